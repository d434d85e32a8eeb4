"""Scrapy settings for the annual_reports crawl: every default in one place.

Polite by default (robots.txt, AutoThrottle, one request at a time per host, an honest
User-Agent). GOVREPORTS_DATABASE_URL may be overridden by the environment variable of that name.
"""
import os

BOT_NAME = "govreports"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

GOVREPORTS_CONTACT_URL = os.environ.get(
    "GOVREPORTS_CONTACT_URL", "https://github.com/govreports/govreports")
USER_AGENT = f"govreports/0.1 (research crawler of annual reports; +{GOVREPORTS_CONTACT_URL})"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
DOWNLOAD_TIMEOUT = 60
# Reports are small; a body beyond this is refused rather than parsed (attachments included).
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8-sig"
# `-O reports.csv` (or .json, .jsonl): one flat row per report, the columns of the export's
# reports.csv, instead of the raw ReportPage the pipelines work on (govreports.feeds).
FEED_EXPORTERS = {
    "csv": "govreports.feeds.ReportCsvItemExporter",
    "json": "govreports.feeds.ReportJsonItemExporter",
    "jsonlines": "govreports.feeds.ReportJsonLinesItemExporter",
    "jsonl": "govreports.feeds.ReportJsonLinesItemExporter",
    "jl": "govreports.feeds.ReportJsonLinesItemExporter",
}
LOG_LEVEL = "INFO"

# SQLite file by default; any SQLAlchemy URL (postgresql+psycopg://...) by setting; the environment
# variable of the same name overrides the setting (govreports.config.database_url).
GOVREPORTS_DATABASE_URL = "sqlite:///data/govreports.sqlite"
# Items the store could not save (database down, a failed write) are appended here whole, one JSON
# line each, and the crawl goes on; `python -m govreports replay FILE` stores them later.
GOVREPORTS_DEADLETTER = "data/deadletter.jsonl"
# After a connection failure, items go straight to the dead-letter file for this long before the
# database is tried again.
GOVREPORTS_DATABASE_RETRY_SECONDS = 30

# Steps of govreports.parse, one pipeline each, then the store.
ITEM_PIPELINES = {
    "pipelines.parse.DocumentPipeline": 100,
    "pipelines.parse.HeaderPipeline": 200,
    "pipelines.parse.TablesPipeline": 300,
    "pipelines.parse.ChecksPipeline": 400,
    "pipelines.sql.SqlPipeline": 800,
}

# Hosts the crawl may follow (govreports.links.HostPolicy): *.gov.cn and every host under it,
# plus the loopback names the tests and the offline demo serve on. Spam mirrors copy gov pages
# under the same paths on other hosts. Registry rows add their own hosts (allowed_hosts column).
GOVREPORTS_ALLOWED_HOSTS = ["*.gov.cn", "127.0.0.1", "localhost"]
# When set, the annual_reports spider writes its crawl stats there as JSON on closing (the demo
# and the tests read them from a subprocess crawl).
GOVREPORTS_STATS_FILE = None
