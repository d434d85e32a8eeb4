"""SQL pipeline: the last step of the crawl, saving each parsed ReportPage through govreports.store.

Thin on purpose: the store decides what is new; this counts the outcomes in the crawl stats
(govreports/stored_new, govreports/stored_unchanged, govreports/stored_changed).
"""
from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from govreports.config import database_url
from govreports.store import CHANGED, NEW, UNCHANGED, Store


class SqlPipeline:
    def __init__(self, url: str, stats: Any) -> None:
        self.url = url
        self.stats = stats
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SqlPipeline":
        return cls(database_url(crawler.settings), crawler.stats)

    # Scrapy 2.19 no longer passes the spider to pipeline methods; requiring it is deprecated.
    def open_spider(self) -> None:
        self.store = Store(self.url)
        for outcome in (NEW, UNCHANGED, CHANGED):
            # Zeros in the stats too, so a monitor can tell "nothing new" from "not stored".
            self.stats.set_value(f"govreports/stored_{outcome}", 0)

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_item(self, item: Any) -> Any:
        if item.result is None:
            # Storing the bytes without a parse would mark this content "unchanged" for good.
            raise DropItem(f"{item.url}: no parse result to store")
        self.stats.inc_value(f"govreports/stored_{self.store.save(item, item.result)}")
        return item
