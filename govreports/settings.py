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
LOG_LEVEL = "INFO"

# SQLite file by default; any SQLAlchemy URL (postgresql+psycopg://...) by setting; the environment
# variable of the same name overrides the setting (govreports.config.database_url).
GOVREPORTS_DATABASE_URL = "sqlite:///data/govreports.sqlite"

# Steps of govreports.parse, one pipeline each, then the store.
ITEM_PIPELINES = {
    "pipelines.parse.DocumentPipeline": 100,
    "pipelines.parse.HeaderPipeline": 200,
    "pipelines.parse.TablesPipeline": 300,
    "pipelines.parse.ChecksPipeline": 400,
    "pipelines.sql.SqlPipeline": 800,
}
