"""A generated fleet of county portals on 127.0.0.1, served by a process of its own, with faults
injected at set rates: the server behind bench/crawl.py and tests/test_faults.py.

govreports.mockfleet writes a small fleet to disk and serves it from a thread of the test process.
A national-size crawl (thousands of portals, tens of thousands of pages of real size) needs a
server that keeps up with Scrapy without taking CPU from the crawl's own process: this one
generates every answer from its URL, keeps nothing per page, speaks HTTP/1.1 with keep-alive
(Scrapy pools its connections) and runs as a separate process (`python -m tests.generated_portal
PLAN_JSON` prints its port, then serves until killed).

Portal i of a Plan (division code 600000+i, a code no province uses; name 模拟{i}县):

    /robots.txt                                     allows everything
    /c{code}/zfxxgknb/index.html, index_{k}.html    TRS 年报 list pages (createPageHTML), per_page
                                                    reports each
    /c{code}/zfxxgknb/{yyyymm}/t{yyyymmdd}_{code}{j:03d}.htm
                                                    report j (year FIRST_YEAR + j)
    …/P{yyyymmdd}{code}{j:03d}.pdf                  its attachment, on every attachment_every-th

Report pages are real pages with the county's name and the year put in: the Pingtan 2019 and
2021 reports as served (220 and 360 kB of Word markup, UTF-8) and the GBK TRS page of the markup
fixtures, in turn. Attachments are a one-page PDF.

Faults: `Plan(faults={"http_500": 0.05, …})` gives each report page one fault with that
probability, drawn from `seed` (the test and the server draw the same); `attachment_faults` does
the same for attachments. What each does is FAULTS below; `Plan.expected()` says what a correct
crawl must end with: which reports are stored, which fetches fail. Every request loop here is
bounded: a hung answer is held `hang` seconds at most, a redirect chain ends after
`REDIRECT_CHAIN` hops.
"""
from __future__ import annotations

import json
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
FIRST_YEAR = 2012
PROVINCE, PREFECTURE = "模拟省", "模拟市"
# Past Scrapy's REDIRECT_MAX_TIMES (20): an endless chain of new URLs, as a broken portal makes.
REDIRECT_CHAIN = 40

# What each fault does to a report page (or an attachment), and how a crawl must end with it:
# "stored" (reachable: stored once, right), "failed", "blocked" or "offsite" (recorded, not stored).
FAULTS = {
    "flaky_500": ("HTTP 500 on the first request, the page after", "stored"),
    "wrong_charset": ("GBK bytes declared charset=utf-8", "stored"),
    "http_500": ("HTTP 500 every time", "failed"),
    "timeout": ("no answer for `hang` seconds, then the connection closed", "failed"),
    "reset": ("the connection reset before any answer", "failed"),
    "truncated": ("Content-Length larger than the body, then the connection closed", "failed"),
    "too_large": ("a body larger than DOWNLOAD_MAXSIZE, its length announced", "failed"),
    "too_large_stream": ("a body larger than DOWNLOAD_MAXSIZE, no length, ended by close", "failed"),
    "challenge": ("HTTP 412 with a 瑞数 $_ts script", "blocked"),
    "redirect_loop": ("302 to a second address that sends 302 back", "failed"),
    "redirect_chain": (f"302 to a new address, {REDIRECT_CHAIN} times", "failed"),
    "redirect_offsite": ("302 to a host the crawl may not follow (127.0.0.2)", "offsite"),
}
# The template "wrong_charset" serves (GBK bytes), whatever the report.
GBK_TEMPLATE = 2
CHALLENGE = (b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
             b'charset=utf-8"><script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)'
             b'$_ts=window[\'$_ts\']={};$_ts.nsd=84706;$_ts.cd="qxcrrrQlDqGlcGAmqGlc";</script>'
             b'</head><body></body></html>')


@dataclass
class Plan:
    portals: int = 10
    reports: int = 10
    per_page: int = 5
    attachment_every: int = 5
    faults: dict[str, float] = field(default_factory=dict)
    attachment_faults: dict[str, float] = field(default_factory=dict)
    seed: int = 7
    # Seconds a "timeout" answer is held (the test's DOWNLOAD_TIMEOUT must be shorter).
    hang: float = 3.0
    # Bytes of a "too_large" body (the test's DOWNLOAD_MAXSIZE must be smaller).
    large: int = 600_000
    # Seconds each report page waits before its answer (a crawl slow enough to stop midway).
    delay: float = 0.0

    def __post_init__(self) -> None:
        unknown = (set(self.faults) | set(self.attachment_faults)) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(FAULTS)}")

    # --- addresses --------------------------------------------------------------------------

    @staticmethod
    def code(i: int) -> str:
        return str(600000 + i)

    @staticmethod
    def name(i: int) -> str:
        return f"模拟{i}县"

    def column(self, i: int) -> str:
        return f"/c{self.code(i)}/zfxxgknb/"

    def list_pages(self) -> int:
        return max(1, -(-self.reports // self.per_page))

    @staticmethod
    def stamp(j: int) -> str:
        return f"{FIRST_YEAR + j + 1}{1 + j % 3:02d}{10 + j % 18:02d}"

    def report_path(self, i: int, j: int) -> str:
        s = self.stamp(j)
        return f"{self.column(i)}{s[:6]}/t{s}_{self.code(i)}{j:03d}.htm"

    def attachment_path(self, i: int, j: int) -> Optional[str]:
        if not self.attachment_every or j % self.attachment_every:
            return None
        s = self.stamp(j)
        return f"{self.column(i)}{s[:6]}/P{s}{self.code(i)}{j:03d}.pdf"

    def title(self, i: int, j: int) -> str:
        return f"{self.name(i)}{FIRST_YEAR + j}年度政府信息公开工作年度报告"

    def parse_path(self, path: str) -> Optional[tuple[int, int, str]]:
        """(portal, report, "report" | "attachment") of a report or attachment path."""
        parts = path.split("/")
        if len(parts) != 5 or not parts[1].startswith("c6"):
            return None
        code, leaf = parts[1][1:], parts[4]
        try:
            i = int(code) - 600000
            if leaf.startswith("t") and leaf.endswith(".htm"):
                j = int(leaf.split("_", 1)[1][len(code):-4])
                kind = "report"
            elif leaf.startswith("P") and leaf.endswith(".pdf"):
                j = int(leaf[1 + 8 + len(code):-4])
                kind = "attachment"
            else:
                return None
        except ValueError:
            return None
        if not (0 <= i < self.portals and 0 <= j < self.reports):
            return None
        if (self.report_path(i, j) if kind == "report" else self.attachment_path(i, j)) != path:
            return None
        return i, j, kind

    # --- faults -----------------------------------------------------------------------------

    def fault(self, i: int, j: int, kind: str = "report") -> Optional[str]:
        rates = self.faults if kind == "report" else self.attachment_faults
        if not rates:
            return None
        x = random.Random(f"{self.seed}:{kind}:{i}:{j}").random()
        for name in sorted(rates):
            if x < rates[name]:
                return name
            x -= rates[name]
        return None

    def expected(self) -> dict[str, dict[str, Any]]:
        """Every report path: its title, its fault, what a correct crawl ends with ("stored",
        "failed", "blocked", "offsite") and its attachment's path and fault."""
        out = {}
        for i in range(self.portals):
            for j in range(self.reports):
                fault = self.fault(i, j)
                att = self.attachment_path(i, j)
                out[self.report_path(i, j)] = {
                    "portal": self.code(i), "title": self.title(i, j), "fault": fault,
                    "outcome": FAULTS[fault][1] if fault else "stored",
                    "attachment": att, "attachment_fault": self.fault(i, j, "attachment") if att else None}
        return out

    def urls(self, base: str) -> Iterator[str]:
        """Every page a crawl of the fleet fetches when nothing fails, in crawl order."""
        yield f"{base}/robots.txt"
        for i in range(self.portals):
            yield base + self.column(i)
            for k in range(1, self.list_pages()):
                yield f"{base}{self.column(i)}index_{k}.html"
            for j in range(self.reports):
                yield base + self.report_path(i, j)
                att = self.attachment_path(i, j)
                if att:
                    yield base + att

    def registry_csv(self, base: str) -> str:
        host = urlsplit(base).hostname
        rows = ["code,name,province,prefecture,platform,column_url,allowed_hosts,note"]
        rows += [f"{self.code(i)},{self.name(i)},{PROVINCE},{PREFECTURE},trs,{base}{self.column(i)},"
                 f"{host},generated by tests.generated_portal" for i in range(self.portals)]
        return "\n".join(rows) + "\n"


# --- page bodies ----------------------------------------------------------------------------

class Bodies:
    """Report pages from three real-markup templates, with a county's name and year put in."""

    def __init__(self) -> None:
        real, html = FIXTURES / "real", FIXTURES / "html"
        # (bytes, encoding, old name, old title year phrase)
        self.templates = [
            ((real / "pingtan-2019.html").read_bytes(), "utf-8", "平潭综合实验区", "2019年度"),
            ((real / "pingtan-2021.html").read_bytes(), "utf-8", "平潭综合实验区", "2021年度"),
            ((html / "trs-2019-gbk.html").read_bytes(), "gbk", "某某县人民政府", "2019年"),
        ]

    def report(self, plan: Plan, i: int, j: int, template: Optional[int] = None) -> tuple[bytes, str]:
        """(body, charset) of report j of portal i (in the given template, else the j-th)."""
        body, enc, old_name, old_year = self.templates[j % len(self.templates) if template is None
                                                       else template]
        name = plan.name(i) + ("人民政府" if old_name.endswith("人民政府") else "")
        year = f"{FIRST_YEAR + j}年度" if old_year.endswith("度") else f"{FIRST_YEAR + j}年"
        body = body.replace((old_name + old_year).encode(enc), (name + year).encode(enc))
        body = body.replace(old_name.encode(enc), name.encode(enc))
        att = plan.attachment_path(i, j)
        if att:
            link = f'<p>附件：<a href="{att.rsplit("/", 1)[1]}">{plan.name(i)}年报附件.pdf</a></p>'
            body = body.replace(b"</body>", link.encode(enc) + b"</body>", 1)
        return body, enc

    @staticmethod
    def list_page(plan: Plan, i: int, page: int) -> bytes:
        pages = plan.list_pages()
        first = page * plan.per_page
        items = []
        for j in range(first, min(first + plan.per_page, plan.reports)):
            href = plan.report_path(i, j)[len(plan.column(i)):]
            s = plan.stamp(j)
            items.append(f'<li><a href="./{href}" target="_blank">{plan.title(i, j)}</a>'
                         f'<span class="date">{s[:4]}-{s[4:6]}-{s[6:]}</span></li>')
        return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8" /><meta name="ColumnName" content="政府信息公开年报"/>
<title>政府信息公开年报_{plan.name(i)}人民政府</title></head>
<body><div class="list_con"><ul class="list_base">
{chr(10).join(items)}
</ul><div class="page" id="page_div"><script type="text/javascript">createPageHTML({pages}, {page}, "index", "html");</script></div>
</div></body></html>
""".encode("utf-8")


def small_pdf(text: str = "Annex") -> bytes:
    """A valid one-page PDF with one line of text."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode("latin-1")
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R"
               b"/Resources<</Font<</F1 5 0 R>>>>>>",
               b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
               b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- the server -----------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A crawl opens its 16 connections at once; the default backlog of 5 would refuse some.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Broken and reset connections are what some faults are made of, and what a killed
        # crawler leaves: expected, not worth a traceback.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError,
                                          TimeoutError)):
            return
        super().handle_error(request, client_address)


def make_server(plan: Plan, host: str = "127.0.0.1", port: int = 0) -> _Server:
    bodies = Bodies()
    pdf = small_pdf()
    hits: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "TRS-Generated/1.0"
        timeout = 30  # an idle keep-alive connection is let go after this

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            path, query = parts.path, parts.query
            with lock:
                hits[path] += 1
                n = hits[path]
            if path == "/__hits__":
                with lock:
                    self._send(200, "application/json", json.dumps(hits).encode())
                return
            if path == "/robots.txt":
                self._send(200, "text/plain", b"User-agent: *\nDisallow:\n")
                return
            found = plan.parse_path(path)
            if found is None:
                if path.endswith("/") or path.endswith(".html"):
                    self._list(path)
                else:
                    self._send(404, "text/html", b"<html><body>404 Not Found</body></html>")
                return
            i, j, kind = found
            if plan.delay and kind == "report":
                time.sleep(min(plan.delay, 5.0))
            fault = plan.fault(i, j, kind)
            if fault and self._fault(fault, path, query, n):
                return
            if kind == "attachment":
                self._send(200, "application/pdf", pdf)
                return
            if fault == "wrong_charset":
                body, _ = bodies.report(plan, i, j, template=GBK_TEMPLATE)
                self._send(200, "text/html; charset=utf-8", body)
                return
            body, enc = bodies.report(plan, i, j)
            self._send(200, "text/html; charset=GBK" if enc == "gbk" else "text/html", body)

        def _list(self, path: str) -> None:
            column, _, leaf = path.rpartition("/")
            column += "/"
            try:
                i = int(column.split("/")[1][1:]) - 600000
                page = 0 if leaf in ("", "index.html") else int(leaf[len("index_"):-len(".html")])
            except (ValueError, IndexError):
                i = page = -1
            if not (0 <= i < plan.portals and column == plan.column(i) and 0 <= page < plan.list_pages()):
                self._send(404, "text/html", b"<html><body>404 Not Found</body></html>")
                return
            self._send(200, "text/html; charset=utf-8", Bodies.list_page(plan, i, page))

        def _fault(self, fault: str, path: str, query: str, n: int) -> bool:
            """Answer with the fault; False when this request gets the real page after all."""
            if fault == "flaky_500":
                if n > 1:
                    return False
                self._send(500, "text/html", b"<html><body>500 Internal Server Error</body></html>")
            elif fault == "http_500":
                self._send(500, "text/html", b"<html><body>500 Internal Server Error</body></html>")
            elif fault == "timeout":
                time.sleep(plan.hang)
                self.close_connection = True
            elif fault == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
            elif fault == "truncated":
                body = b"<html><body>" + b"x" * 2000
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body) + 1000))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
            elif fault in ("too_large", "too_large_stream"):
                # Sent piece by piece: a 200 MB answer costs the server 12 kB of memory.
                chunk = b"<p>" + "数据".encode("utf-8") * 2000 + b"</p>\n"
                head, tail, n = b"<html><body>", b"</body></html>", plan.large // len(chunk) + 1
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                if fault == "too_large":
                    self.send_header("Content-Length", str(len(head) + n * len(chunk) + len(tail)))
                else:
                    self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                try:
                    self.wfile.write(head)
                    for _ in range(n):
                        self.wfile.write(chunk)
                    self.wfile.write(tail)
                except OSError:  # the crawler hung up once it had enough: what it should do
                    pass
            elif fault == "challenge":
                self._send(412, "text/html; charset=utf-8", CHALLENGE)
            elif fault == "redirect_loop":
                self._redirect(path + ("" if query == "b" else "?b"))
            elif fault == "redirect_chain":
                hop = int(query[4:]) if query.startswith("hop=") and query[4:].isdigit() else 0
                if hop >= REDIRECT_CHAIN:
                    return False
                self._redirect(f"{path}?hop={hop + 1}")
            elif fault == "redirect_offsite":
                self._redirect(f"http://127.0.0.2:{self.server.server_address[1]}{path}")
            else:  # not an error answer (wrong_charset): the page, below
                return False
            return True

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return _Server((host, port), Handler)


class GeneratedPortal:
    """The server in a process of its own: `with GeneratedPortal(plan) as portal: portal.base`."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.proc: Optional[subprocess.Popen] = None
        self.base = ""

    def start(self) -> "GeneratedPortal":
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.generated_portal",
                                      json.dumps(asdict(self.plan))], cwd=ROOT,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"generated portal did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def hits(self) -> dict[str, int]:
        from urllib.request import urlopen
        with urlopen(self.base + "/__hits__", timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None

    def __enter__(self) -> "GeneratedPortal":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    plan = Plan(**json.loads(argv[0])) if argv else Plan()
    server = make_server(plan)
    print(f"port {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
