"""What the fetching middlewares decide, without Scrapy: the https -> http rewrite of a host whose
TLS fails, whether a redirect loops back into its own chain, and how long a retry waits.

The middlewares that apply these rules are in spiders/crawling (httpfallback, redirects, retry).
"""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urldefrag, urlsplit, urlunsplit


def to_http(url: str) -> str:
    """The same address over http (an explicit :443 dropped: it is https's port, not http's)."""
    parts = urlsplit(url)
    netloc = parts.netloc[:-4] if parts.netloc.endswith(":443") else parts.netloc
    return urlunsplit(("http", netloc, parts.path, parts.query, parts.fragment))


def https_host(url: str) -> str:
    """host[:port] of an https URL, the default port left out (it is the same host)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host if parts.port in (None, 443) else f"{host}:{parts.port}"


def loops_back(chain: Iterable[str], target: str) -> bool:
    """Does a redirect to `target` go back to an address of its chain (fragments aside)?"""
    return urldefrag(target)[0] in {urldefrag(url)[0] for url in chain}


def backoff_delay(retry_times: int, base: float, cap: float) -> float:
    """Seconds to wait before the retry_times-th retry (1, 2, …): base * 2**(n-1), at most cap."""
    return min(cap, base * 2 ** max(0, retry_times - 1))
