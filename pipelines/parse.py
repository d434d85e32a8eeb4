"""Parse pipelines: each runs one step of govreports.parse on a ReportPage, in order.

They hold no parsing logic of their own, so the crawl, the CLI and the tests share one code path.
"""
from govreports import parse


class DocumentPipeline:
    def process_item(self, item, spider=None):
        item.document, item.result = parse.start(item)
        return item


class HeaderPipeline:
    def process_item(self, item, spider=None):
        parse.extract_header(item.document, item.result, title_hint=item.title_hint,
                             portal_code=item.portal_code)
        return item


class TablesPipeline:
    def process_item(self, item, spider=None):
        parse.extract_tables(item.document, item.result)
        return item


class ChecksPipeline:
    def process_item(self, item, spider=None):
        parse.run_checks(item.result)
        return item
