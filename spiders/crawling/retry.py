"""Retries held back (BackoffRetryMiddleware, a downloader middleware replacing Scrapy's
RetryMiddleware at its priority, 550).

Scrapy's RetryMiddleware (RETRY_TIMES, RETRY_HTTP_CODES, timeouts and connection errors) with
each retry held back: RETRY_BACKOFF_BASE * 2**(n-1) seconds before the n-th retry, at most
RETRY_BACKOFF_MAX (govreports.fetchpolicy.backoff_delay). Only that request waits; the rest of
the crawl goes on. Anti-bot answers are not retried: the spider classifies them
(govreports.antibot), because what a stub means depends on what was asked for.
"""
from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep

from govreports.fetchpolicy import backoff_delay


class BackoffRetryMiddleware(RetryMiddleware):
    """Replaces Scrapy's RetryMiddleware at the same priority (550)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def delay(self, retry_times: int) -> float:
        """Seconds to wait before the retry_times-th retry (1, 2, …)."""
        return backoff_delay(retry_times, self.base, self.cap)

    async def _wait(self, result: Any) -> Any:
        if isinstance(result, Request) and self.base > 0:
            seconds = self.delay(result.meta.get("retry_times", 1))
            self.crawler.stats.inc_value("govreports/retry_backoff_seconds", seconds)
            await sleep(seconds)
        return result

    async def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        return await self._wait(super().process_response(request, response))

    async def process_exception(self, request: Request, exception: Exception) -> Any:  # type: ignore[override]
        return await self._wait(super().process_exception(request, exception))
