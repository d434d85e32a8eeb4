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
# What one response yields is handled by this many tasks at once. A page yields one report or a
# list page's dozen links; Scrapy's 100 started 100 tasks per response, most of them idle, which
# cost more of the crawl's thread than storing the report (bench/crawl.py --profile).
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
# Retries wait RETRY_BACKOFF_BASE * 2**(n-1) s before the n-th one, at most RETRY_BACKOFF_MAX
# (spiders.crawling.retry.BackoffRetryMiddleware); 5xx, 408, 429 and timeouts are retried, anti-bot
# answers (403, 412, 418, 521) are not.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
DOWNLOAD_TIMEOUT = 60
# Reports are small; a body beyond this is refused rather than parsed (attachments included).
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8-sig"
# `-O reports.csv` (or .json, .jsonl): one flat row per report, the columns of the export's
# reports.csv, instead of the raw ReportPage the pipelines work on (pipelines.feeds).
FEED_EXPORTERS = {
    "csv": "pipelines.feeds.ReportCsvItemExporter",
    "json": "pipelines.feeds.ReportJsonItemExporter",
    "jsonlines": "pipelines.feeds.ReportJsonLinesItemExporter",
    "jsonl": "pipelines.feeds.ReportJsonLinesItemExporter",
    "jl": "pipelines.feeds.ReportJsonLinesItemExporter",
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
    "pipelines.parse.ParsePoolPipeline": 50,
    "pipelines.parse.DocumentPipeline": 100,
    "pipelines.parse.HeaderPipeline": 200,
    "pipelines.parse.TablesPipeline": 300,
    "pipelines.parse.ChecksPipeline": 400,
    "pipelines.sql.SqlPipeline": 800,
}
# Worker processes that parse the reports (ParsePoolPipeline), so that parsing does not hold up
# the crawl's own thread (downloads, link finding, the store); 0: parse in the crawl's thread;
# "auto": one per core beyond the first, at most 4 (none on a one-core machine). A worker holds
# ~60 MB after parsing real HTML and PDF reports (bench/crawl.py --parse-processes N: the gain).
GOVREPORTS_PARSE_PROCESSES = "auto"

# Hosts the crawl may follow (govreports.links.HostPolicy): *.gov.cn and every host under it.
# Spam mirrors copy gov pages under the same paths on other hosts. Registry rows add their own
# hosts (allowed_hosts column), `-a column=URL` its host; the tests and the offline demo add
# 127.0.0.1 in their own settings. A redirect off these hosts is dropped and recorded.
GOVREPORTS_ALLOWED_HOSTS = ["*.gov.cn"]

# Fetching right (spiders/crawling): off-site redirects dropped and recorded (redirects), https ->
# http when a host's TLS fails (httpfallback), pages read as the parser reads them (charset),
# retries with backoff (retry).
DOWNLOADER_MIDDLEWARES = {
    "spiders.crawling.redirects.OffsiteRedirectMiddleware": 605,
    "spiders.crawling.redirects.OffsiteMetaRefreshMiddleware": 585,
    "spiders.crawling.charset.LatinCharsetMiddleware": 588,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.crawling.retry.BackoffRetryMiddleware": 550,
    "spiders.crawling.httpfallback.HttpFallbackMiddleware": 560,
}
GOVREPORTS_HTTP_FALLBACK = True
# Anti-bot answers, off-site redirects, failures and fallbacks: a fetch_log row each, stats and a
# close summary per portal (spiders.crawling.fetchlog over govreports.fetchlog).
EXTENSIONS = {"spiders.crawling.fetchlog.FetchLog": 500}
# Skip report pages already stored and stop paging a column at a page with nothing new, once a
# walk of that column reached its end (govreports.incremental); `-a refresh=1` asks again for every
# stored report with its ETag / Last-Modified (a 304 costs no parse), `-a refresh=full` fetches
# everything whole for one run.
GOVREPORTS_INCREMENTAL = True
# A report URL whose fetch failed for good (anti-bot answer, robots.txt, 403/404/410: fetch_log)
# within this many days counts as known, neither fetched again nor "new" on its list page; 0: off.
GOVREPORTS_FAILED_KNOWN_DAYS = 30
# When set, the annual_reports spider writes its crawl stats there as JSON on closing (the demo
# and the tests read them from a subprocess crawl).
GOVREPORTS_STATS_FILE = None

# --- monitoring (govreports.monitor; spiders.crawling.summary and .progress) --------------------
# Per-portal summary of every crawl, JSON; also read back as "the previous crawl" by the next one.
# `python -m govreports crawl` exits non-zero on its alerts (stored nothing, block rate jump). The
# environment variable of the same name replaces this default (the test suite points it away).
GOVREPORTS_SUMMARY_FILE = os.environ.get("GOVREPORTS_SUMMARY_FILE", "data/crawl-summary.json")
# Alert when blocked/responses rose by this much (absolute) over the previous crawl of the same
# scope, both crawls having at least this many responses (a few answers make no rate).
GOVREPORTS_BLOCK_RATE_JUMP = 0.10
GOVREPORTS_BLOCK_RATE_MIN_RESPONSES = 20
# Portals listed one per line in the log at the end (all of them are in the file).
GOVREPORTS_SUMMARY_LOG_PORTALS = 50
# A progress line (reports stored, blocked, queued) this often, beside Scrapy's own stats line.
GOVREPORTS_PROGRESS_INTERVAL = 300
LOGSTATS_INTERVAL = 60.0

# --- distributed mode (govreports.distributed; its Scrapy side in spiders/crawling) ---------------
# Off: one process, Scrapy's scheduler. On (-s GOVREPORTS_DISTRIBUTED=1 or -a distributed=1): the
# queue and duplicate filter live in Redis at REDIS_URL and workers store into one shared database.
GOVREPORTS_DISTRIBUTED = False
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Keys are "<prefix>:annual_reports:…"; two crawls that must not share a queue differ here.
GOVREPORTS_REDIS_PREFIX = "govreports"
# Default "<hostname>-<pid>"; unique among the live workers of a crawl.
GOVREPORTS_WORKER_ID = None
# A worker silent this long is dead and its in-flight requests go back to the queue. Above the
# longest blocking step (parsing a large PDF), or a slow worker's requests are done twice.
GOVREPORTS_WORKER_TIMEOUT = 120
# Heartbeat, recovery and queue polling interval of a worker.
GOVREPORTS_POLL_INTERVAL = 1.0
# A worker closes after the crawl had an empty queue and nothing in flight this long.
GOVREPORTS_MAX_IDLE = 30
# After a crawl finished, workers starting within this time do not start it again.
GOVREPORTS_FINISHED_HOLD = 6 * 3600
# CONCURRENT_REQUESTS_PER_DOMAIN holds for all workers together: a request takes one of its host's
# leases in Redis (govreports.hostleases); a dead worker's leases lapse after this long.
GOVREPORTS_HOST_LEASE_SECONDS = 300
# Only queue the start requests and stop (python -m govreports seed).
GOVREPORTS_SEED_ONLY = False
# Set by `python -m govreports crawl` so it can tell its own summary from an older one.
GOVREPORTS_RUN_ID = None

# Added to any ADDONS / EXTENSIONS / SPIDER_MIDDLEWARES set above; each of these is off unless its
# setting turns it on (NotConfigured).
# With -s JOBDIR=DIR the queue and the duplicate filter live in DIR/requests.sqlite and survive a
# kill (spiders.crawling.jobdir.JobdirAddon, after DistributedAddon, which keeps its own scheduler).
ADDONS = {**globals().get("ADDONS", {}), "spiders.crawling.distributed.DistributedAddon": 0,
          "spiders.crawling.jobdir.JobdirAddon": 10}
EXTENSIONS = {**globals().get("EXTENSIONS", {}),
              "spiders.crawling.worker.DistributedWorker": 100,
              "spiders.crawling.summary.CrawlSummary": 200,
              "spiders.crawling.progress.Progress": 300}
SPIDER_MIDDLEWARES = {**globals().get("SPIDER_MIDDLEWARES", {}),
                      "spiders.crawling.seeding.DistributedStart": 10}
