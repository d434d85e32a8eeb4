"""Pages read with the encoding the parser finds (LatinCharsetMiddleware, a downloader middleware,
after decompression).

A page whose header says ISO-8859-1 (a server's default: Tomcat, Apache error pages) over UTF-8
or GBK bytes is read with the encoding govreports.encoding.decode finds (the <meta>, else the
bytes), as the parser reads it, so the spider's links and titles are not mojibake.
"""
from __future__ import annotations

from scrapy.http import Request, Response, TextResponse

from govreports.encoding import decode, declared_western


class LatinCharsetMiddleware:
    """Scrapy reads a page by its HTTP charset first; for ISO-8859-1 over non-ASCII bytes the
    parser's decode does not (govreports.encoding), and the spider must read as it does."""

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if not declared_western(content_type, response.body):
            return response
        _, encoding = decode(response.body, content_type)
        return response.replace(encoding=encoding)
