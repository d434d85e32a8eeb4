"""SqlPipeline: where its database URL comes from, what it counts, and that Scrapy runs it as is."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from scrapy.core.scraper import ItemPipelineManager
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from govreports.config import DATABASE_URL_NAME
from govreports.store import Store
from pipelines.sql import SqlPipeline
from tests.test_store import URL, make_page, make_result

ROOT = Path(__file__).resolve().parents[1]


def _pipeline(settings: dict) -> tuple[SqlPipeline, object]:
    crawler = get_crawler(settings_dict=settings)
    return SqlPipeline.from_crawler(crawler), crawler


def test_the_setting_names_the_database(monkeypatch, tmp_path):
    monkeypatch.delenv(DATABASE_URL_NAME, raising=False)
    pipeline, _ = _pipeline({DATABASE_URL_NAME: f"sqlite:///{tmp_path}/setting.sqlite"})
    assert pipeline.url == f"sqlite:///{tmp_path}/setting.sqlite"


def test_the_environment_variable_overrides_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv(DATABASE_URL_NAME, f"sqlite:///{tmp_path}/env.sqlite")
    pipeline, _ = _pipeline({DATABASE_URL_NAME: f"sqlite:///{tmp_path}/setting.sqlite"})
    pipeline.open_spider()
    pipeline.save_item(_item())
    pipeline.close_spider()
    assert (tmp_path / "env.sqlite").exists() and not (tmp_path / "setting.sqlite").exists()


def _item(body: bytes = b"<html>v1</html>", **kw):
    page = make_page(body)
    page.result = make_result(**kw)
    return page


def test_outcomes_are_counted_in_the_crawl_stats(db_url, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_NAME, raising=False)
    pipeline, crawler = _pipeline({DATABASE_URL_NAME: db_url})
    pipeline.open_spider()
    try:
        for item in (_item(), _item(), _item(b"<html>v2</html>", new_natural=70)):
            assert pipeline.save_item(item) is item
    finally:
        pipeline.close_spider()
    stats = crawler.stats.get_stats()
    assert (stats["govreports/stored_new"], stats["govreports/stored_unchanged"],
            stats["govreports/stored_changed"]) == (1, 1, 1)
    with Store(db_url) as store:
        assert store.result_for(URL).value("requests", "new", "natural_person") == 70
        assert store.counts()["report_versions"] == 2


def test_an_item_without_a_parse_is_dropped_not_stored(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_NAME, raising=False)
    pipeline, _ = _pipeline({DATABASE_URL_NAME: f"sqlite:///{tmp_path}/x.sqlite"})
    pipeline.open_spider()
    with pytest.raises(DropItem, match="no parse result"):
        pipeline.save_item(make_page())
    assert pipeline.store.counts()["reports"] == 0
    pipeline.close_spider()


def test_scrapy_loads_the_pipeline_without_deprecation_warnings(tmp_path):
    crawler = get_crawler(settings_dict={"ITEM_PIPELINES": {"pipelines.sql.SqlPipeline": 800},
                                         DATABASE_URL_NAME: f"sqlite:///{tmp_path}/x.sqlite"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ItemPipelineManager.from_crawler(crawler)
    assert [str(w.message) for w in caught if "SqlPipeline" in str(w.message)] == []


CRAWL = textwrap.dedent("""
    import json, sys, threading, warnings
    from scrapy import Spider
    from scrapy.crawler import CrawlerProcess
    from govreports.store import Store
    from tests.test_store import make_page, make_result

    # Where each batch was saved and how many items it held, beside the crawl's own thread.
    threads, sizes = [], []
    save_many = Store.save_many

    def recording(self, pages, **kw):
        pages = list(pages)
        threads.append(threading.current_thread().name)
        sizes.append(len(pages))
        return save_many(self, pages, **kw)

    Store.save_many = recording

    # Scrapy logs warnings (logging.captureWarnings): they end up on stderr, where the test looks.
    warnings.simplefilter("always")

    class OneReport(Spider):
        name = "one_report"

        async def start(self):
            for body in (b"v1", b"v1", b"v2"):
                page = make_page(body)
                page.result = make_result()
                yield page

    process = CrawlerProcess({"ITEM_PIPELINES": {"pipelines.sql.SqlPipeline": 800},
                              "GOVREPORTS_DATABASE_URL": sys.argv[1], "LOG_LEVEL": "WARNING",
                              "TELNETCONSOLE_ENABLED": False})
    crawler = process.create_crawler(OneReport)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    out = {k: v for k, v in stats.items() if k.startswith(("govreports/", "item_"))}
    print(json.dumps(dict(out, save_threads=threads, batch_sizes=sizes,
                          crawl_thread=threading.current_thread().name)))
""")


def test_a_real_crawl_stores_through_the_pipeline(tmp_path):
    """Scrapy's own engine drives the pipeline (a fresh process: the reactor starts once)."""
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL, encoding="utf-8")
    db = f"sqlite:///{tmp_path}/crawl.sqlite"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(script), db], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "SqlPipeline" not in proc.stderr, proc.stderr
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (stats["govreports/stored_new"], stats["govreports/stored_unchanged"],
            stats["govreports/stored_changed"], stats["item_scraped_count"]) == (1, 1, 1, 3)
    # Saved in the store's own thread, never in the crawl's, each item in one batch; the
    # outcomes above are in order however the three were batched.
    assert len(set(stats["save_threads"])) == 1 and "govreports-store" in stats["save_threads"][0]
    assert stats["crawl_thread"] not in stats["save_threads"]
    assert sum(stats["batch_sizes"]) == 3
    with Store(db) as store:
        assert store.counts()["report_versions"] == 2



BATCHES = textwrap.dedent("""
    import json, sys, time
    from twisted.internet import defer, reactor, task
    from scrapy.utils.test import get_crawler
    import pipelines.sql
    from govreports.store import Store
    from tests.test_store import make_page, make_result

    batches = []

    class SlowStore(Store):
        # Saves that take a while: items arrive while a batch is being saved.
        def save_many(self, pages, **kw):
            pages = list(pages)
            batches.append(len(pages))
            time.sleep(0.2)
            return super().save_many(pages, **kw)

    pipelines.sql.Store = SlowStore

    def item(body, url=None, **kw):
        page = make_page(body, **({"url": url} if url else {}))
        page.result = make_result(**kw)
        return page

    bad = item(b"bad", "https://x.gov.cn/bad")
    bad.result.cells.append(bad.result.cells[0])  # a duplicate cell key: refused alone
    items = [item(b"v1"), item(b"v1"), item(b"v2", new_natural=70), bad, item(b"v3", new_natural=71)]

    async def main(_reactor):
        crawler = get_crawler(settings_dict={"GOVREPORTS_DATABASE_URL": sys.argv[1],
                                             "GOVREPORTS_DEADLETTER": sys.argv[2]})
        pipeline = pipelines.sql.SqlPipeline.from_crawler(crawler)
        pipeline.open_spider()
        first = defer.ensureDeferred(pipeline.process_item(items[0]))
        await task.deferLater(reactor, 0.05, lambda: None)  # the first batch is being saved
        rest = [defer.ensureDeferred(pipeline.process_item(i)) for i in items[1:]]
        done = await defer.gatherResults([first, *rest])
        pipeline.close_spider()
        stats = {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("govreports/")}
        print(json.dumps(dict(stats, batches=batches, in_order=[d is i for d, i in zip(done, items)])))

    task.react(lambda r: defer.ensureDeferred(main(r)))
""")


def test_items_that_come_during_a_save_are_stored_together(tmp_path):
    """The reactor's side of the batching: an item starts a save at once; those that come while
    it runs go together in the next, each with its own outcome (a bad one dead-lettered alone)."""
    script = tmp_path / "batches.py"
    script.write_text(BATCHES, encoding="utf-8")
    db, dead = f"sqlite:///{tmp_path}/b.sqlite", tmp_path / "dl.jsonl"
    proc = subprocess.run([sys.executable, str(script), db, str(dead)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert stats["batches"] == [1, 4] and stats["in_order"] == [True] * 5
    assert (stats["govreports/stored_new"], stats["govreports/stored_unchanged"],
            stats["govreports/stored_changed"], stats["govreports/deadlettered"]) == (1, 1, 2, 1)
    with Store(db) as store:
        assert store.result_for(URL).value("requests", "new", "natural_person") == 71
        assert store.counts()["report_versions"] == 3
        assert store.version("https://x.gov.cn/bad") is None
    assert json.loads(dead.read_text(encoding="utf-8"))["page"]["url"] == "https://x.gov.cn/bad"
