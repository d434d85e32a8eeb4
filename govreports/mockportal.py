"""A simulated county portal on 127.0.0.1, for the tests and the offline demo.

It serves govreports/demo_site/ as a TRS-style 年报 column: three list pages announced by
`createPageHTML(3, …)`, six report pages (two real Pingtan pages, a GBK page, one whose report
is a PDF attachment, two pre-2019 reports), a 瑞数-style HTTP 412 answer, a robots.txt, and a
政务公开 page that links the column. Each file is sent as stored on disk with the Content-Type
and status from manifest.json, so a GBK page stays GBK bytes.

    with MockPortal() as portal:
        portal.url("/zwgk/zfxxgk/zfxxgknb/")    # http://127.0.0.1:<free port>/zwgk/…
        portal.hits["/robots.txt"]              # how often a path was requested

`python -m govreports.mockportal [--port N]` serves it until Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import unquote, urlsplit

SITE_DIR = Path(__file__).with_name("demo_site")
NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"


def load_manifest(site_dir: Union[str, Path] = SITE_DIR) -> dict[str, Any]:
    return json.loads((Path(site_dir) / "manifest.json").read_text(encoding="utf-8"))


class MockPortal:
    """The simulated portal. `start()` binds a free port on 127.0.0.1 and serves from a
    background thread; `stop()` shuts it down. Also a context manager."""

    def __init__(self, site_dir: Union[str, Path] = SITE_DIR, host: str = "127.0.0.1",
                 port: int = 0):
        self.site_dir = Path(site_dir)
        self.manifest = load_manifest(self.site_dir)
        self.pages: dict[str, dict] = self.manifest["pages"]
        self.host, self.port = host, port
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> "MockPortal":
        if self._server is not None:
            return self
        self._server = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"mockportal:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "MockPortal":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- addresses --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    @property
    def column_url(self) -> str:
        return self.url(self.manifest["column"])

    def file_bytes(self, path: str) -> bytes:
        """The bytes served at a URL path, as stored."""
        return (self.site_dir / "site" / self.pages[self._key(path)]["file"]).read_bytes()

    # --- serving ----------------------------------------------------------------------------

    @staticmethod
    def _key(path: str) -> str:
        path = unquote(urlsplit(path).path) or "/"
        return path + "index.html" if path.endswith("/") else path

    def _answer(self, raw_path: str) -> tuple[int, str, bytes]:
        key = self._key(raw_path)
        with self._lock:
            self.hits[urlsplit(raw_path).path] += 1
        entry = self.pages.get(key)
        if entry is None:
            return 404, "text/html; charset=iso-8859-1", NOT_FOUND
        body = (self.site_dir / "site" / entry["file"]).read_bytes()
        return int(entry.get("status", 200)), entry["content_type"], body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "TRS-Mock/1.0"

            def _send(self, with_body: bool) -> None:
                status, ctype, body = portal._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._send(True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._send(False)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the tests read `hits`; request lines would only clutter their output

        return Handler


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m govreports.mockportal",
                                description="Serve the simulated portal on 127.0.0.1.")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = p.parse_args(argv)
    with MockPortal(port=args.port) as portal:
        print(f"simulated portal at {portal.base_url}/ ; 年报 column {portal.column_url}",
              flush=True)
        print("crawl it: scrapy crawl annual_reports -a column=" + portal.column_url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
