"""A simulated county portal on 127.0.0.1, for the tests and the offline demo.

It serves govreports/demo_site/ as a TRS-style 年报 column: three list pages announced by
`createPageHTML(3, …)`, six report pages (two real Pingtan pages, a GBK page, one whose report
is a PDF attachment, two pre-2019 reports), a 瑞数-style HTTP 412 answer, a robots.txt, and a
政务公开 page that links the column. Each file is sent as stored on disk with the Content-Type
and status from manifest.json, so a GBK page stays GBK bytes.

    with MockPortal() as portal:
        portal.url("/zwgk/zfxxgk/zfxxgknb/")    # http://127.0.0.1:<free port>/zwgk/…
        portal.hits["/robots.txt"]              # how often a path was requested

Other platforms' portals (tests/platform_sites.py) are served by the same class from `routes`:
a URL path mapped to a function of the request (`Hit`: path, query, how many times this path was
asked for) that returns an `Answer` (status, type, body, headers, and a delay before answering,
for timeouts). Routes come before the files; `site_dir=None` serves routes only. `hits_full`
counts path+query (list APIs differ only in their query) and `hit_log` keeps the time of each.
A TLS ClientHello is answered by closing the connection, as a host with broken https does, so
`https://127.0.0.1:<port>/…` fails its handshake where `http://` on the same port works.

`python -m govreports.mockportal [--port N]` serves it until Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qsl, unquote, urlsplit

SITE_DIR = Path(__file__).with_name("demo_site")
NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"


def load_manifest(site_dir: Union[str, Path] = SITE_DIR) -> dict[str, Any]:
    return json.loads((Path(site_dir) / "manifest.json").read_text(encoding="utf-8"))


@dataclass
class Hit:
    """A request to a route: its path, its query, and the how-manieth request to this path."""
    path: str
    query: dict[str, str]
    n: int


@dataclass
class Answer:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering: longer than the client's timeout makes a timeout.
    delay: float = 0.0


Route = Callable[[Hit], Answer]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout, TLS probe) is part of the simulation


class MockPortal:
    """The simulated portal. `start()` binds a free port on 127.0.0.1 and serves from a
    background thread; `stop()` shuts it down. Also a context manager."""

    def __init__(self, site_dir: Union[str, Path, None] = SITE_DIR, host: str = "127.0.0.1",
                 port: int = 0, routes: Optional[dict[str, Route]] = None):
        self.site_dir = Path(site_dir) if site_dir is not None else None
        self.manifest = load_manifest(self.site_dir) if self.site_dir is not None else {"pages": {}}
        self.pages: dict[str, dict] = self.manifest["pages"]
        self.routes: dict[str, Route] = dict(routes or {})
        self.host, self.port = host, port
        self.hits: Counter[str] = Counter()
        self.hits_full: Counter[str] = Counter()
        self.hit_log: list[tuple[float, str]] = []
        self.tls_refused = 0
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> "MockPortal":
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self._handler_class())
        self.port = self._server.server_address[1]
        # A short poll interval: stop() waits for it, and the tests stop many portals.
        server = self._server
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05),
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

    def _answer(self, raw_path: str) -> Answer:
        key = self._key(raw_path)
        parts = urlsplit(raw_path)
        path = unquote(parts.path) or "/"
        with self._lock:
            self.hits[parts.path] += 1
            self.hits_full[parts.path + ("?" + parts.query if parts.query else "")] += 1
            self.hit_log.append((time.monotonic(), raw_path))
            n = self.hits[parts.path]
        route = self.routes.get(path)
        if route is not None:
            return route(Hit(path, dict(parse_qsl(parts.query)), n))
        entry = self.pages.get(key)
        if entry is None or self.site_dir is None:
            return Answer(404, "text/html; charset=iso-8859-1", NOT_FOUND)
        body = (self.site_dir / "site" / entry["file"]).read_bytes()
        return Answer(int(entry.get("status", 200)), entry["content_type"], body)

    def times(self, path: str) -> list[float]:
        """When each request for this path (query ignored) came in, monotonic seconds."""
        with self._lock:
            return [t for t, raw in self.hit_log if urlsplit(raw).path == path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "TRS-Mock/1.0"

            def handle(self) -> None:
                # 0x16: a TLS handshake record. Closing on it is what a host whose https is
                # broken looks like to a client.
                try:
                    first = self.request.recv(1, socket.MSG_PEEK)
                except OSError:
                    return
                if first == b"\x16":
                    with portal._lock:
                        portal.tls_refused += 1
                    return
                super().handle()

            def _send(self, with_body: bool) -> None:
                answer = portal._answer(self.path)
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if with_body:
                    self.wfile.write(answer.body)

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
