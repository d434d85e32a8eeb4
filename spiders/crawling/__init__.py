"""The Scrapy side of the crawl: downloader middlewares, extensions, schedulers and add-ons.

Each module is a thin adapter over Scrapy-free logic in govreports/ and is named in
govreports/settings.py by dotted path. This package sits under SPIDER_MODULES, so Scrapy imports
every module here when it loads the spiders: they must import cleanly and define no spider.
"""
