"""A fleet of generated county portals on one simulated server, for crawls larger than the demo.

govreports.mockportal serves the hand-made demo site (six real reports). Distributed crawls,
kill-and-resume trials and the monitoring checks need hundreds of reports over many portals, so
this module writes such a site: `columns` TRS-style 年报 columns (one per county, each its own
registry row), every column `reports` small but realistic report pages (header table, sections
一 … 六, the 2021 form's table 二) listed `per_page` to a page behind `createPageHTML(n, i, …)`.
A column can be made to answer every report page with a 瑞数 HTTP 412 challenge (`blocked`).

The site goes to a folder with a manifest.json in MockPortal's format, so the same server serves
it; FleetPortal only adds a per-response delay, so that requests are really in flight when a
test kills a worker.

    site = build_fleet(tmp_path / "fleet", columns=10, reports=30)
    with FleetPortal(site, delay=0.02) as portal:
        (tmp_path / "registry.csv").write_text(registry_csv(site, portal.base_url))
        portal.report_urls()     # every report URL the crawl should store

`python -m govreports.mockfleet OUT [--columns N --reports M --serve]` writes (and serves) one.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from html import escape
from pathlib import Path
from typing import Any, Iterable, Optional, Union
from urllib.parse import urlsplit

from govreports.mockportal import MockPortal

# Fuzhou's districts and counties, then made-up ones: codes are real-shaped, names plausible.
COUNTIES = (
    ("350102", "鼓楼区"), ("350103", "台江区"), ("350104", "仓山区"), ("350105", "马尾区"),
    ("350111", "晋安区"), ("350112", "长乐区"), ("350121", "闽侯县"), ("350122", "连江县"),
    ("350123", "罗源县"), ("350124", "闽清县"), ("350125", "永泰县"), ("350128", "平潭县"),
    ("350181", "福清市"),
)
PROVINCE, PREFECTURE = "福建省", "福州市"
# A county publishes its government's report and its departments' ones, one a year each.
ISSUERS = ("人民政府", "教育局", "财政局", "卫生健康局", "自然资源局", "交通运输局")
FIRST_YEAR = 2008
CHALLENGE = (b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
             b'charset=utf-8"><script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)'
             b'$_ts=window[\'$_ts\']={};$_ts.nsd=84706;$_ts.cd="qxcrrrQlDqGlcGAmqGlc";</script>'
             b'<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.js" '
             b'r=\'m\'></script></head><body></body></html>')


def county(i: int) -> tuple[str, str]:
    """The i-th county of the fleet: real Fuzhou ones first, then 3599xx made-up ones."""
    if i < len(COUNTIES):
        return COUNTIES[i]
    return f"3599{i:02d}", f"模拟{i}县"


def _report_page(county_name: str, issuer: str, year: int, index_no: str, day: str,
                 n: int) -> str:
    # Figures vary by report so contents differ, and add up so the checks have something to pass.
    issued, repealed = 3 + n % 7, n % 3
    in_force = 20 + n % 11
    title = f"{county_name}{issuer}{year}年政府信息公开工作年度报告"
    issuer_full = f"{county_name}{issuer}"
    sections = (
        ("一、总体情况", f"{year}年，{issuer_full}坚持以习近平新时代中国特色社会主义思想为指导，"
                     f"全面贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息{40 + n}条。"),
        ("二、主动公开政府信息情况", "见下表。"),
        ("三、收到和处理政府信息公开申请情况", f"本年新收政府信息公开申请{n % 9}件，均已按时答复。"),
        ("四、政府信息公开行政复议、行政诉讼情况", "本年度未发生因政府信息公开引起的行政复议、行政诉讼。"),
        ("五、政府信息公开工作存在的主要问题及改进情况", "主动公开的及时性有待提高，下一步将加强培训。"),
        ("六、其他需要报告的事项", "本年度未收取信息处理费。"),
    )
    prose = "\n".join(f"<p><strong>{h}</strong></p><p>{escape(t)}</p>" +
                      (_active_table(issued, repealed, in_force) if h.startswith("二") else "")
                      for h, t in sections)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8" />
<meta name="ColumnName" content="政府信息公开年报"/>
<meta name="ArticleTitle" content="{title}"/>
<title>{title}_{county_name}人民政府</title>
</head>
<body>
<table class="xxgk_table">
<tr><td>索引号：</td><td>{index_no}</td><td>发文机关：</td><td>{issuer_full}</td></tr>
<tr><td>成文日期：</td><td>{day}</td><td>发布日期：</td><td>{day}</td></tr>
<tr><td>标题：</td><td colspan="3">{title}</td></tr>
</table>
<div class="TRS_Editor">
<p>本报告根据《中华人民共和国政府信息公开条例》要求编制。本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。</p>
{prose}
</div>
</body>
</html>
"""


def _active_table(issued: int, repealed: int, in_force: int) -> str:
    return f"""<table border="1">
<tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>行政规范性文件</td><td>{issued}</td><td>{repealed}</td><td>{in_force}</td></tr>
<tr><td colspan="4">第二十条第（五）项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>
<tr><td>行政许可</td><td colspan="3">{100 + issued * 7}</td></tr>
</table>"""


def _list_page(county_name: str, links: list[tuple[str, str, str]], page: int, pages: int) -> str:
    items = "\n".join(f'<li><a href="./{href}" target="_blank">{escape(title)}</a>'
                      f'<span class="date">{day}</span></li>' for href, title, day in links)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8" />
<meta name="ColumnName" content="政府信息公开年报"/>
<title>政府信息公开年报_{county_name}人民政府</title>
</head>
<body>
<div class="list_con">
<ul class="list_base">
{items}
</ul>
<div class="page" id="page_div"><script type="text/javascript">createPageHTML({pages}, {page}, "index", "html");</script></div>
</div>
</body>
</html>
"""


def build_fleet(out_dir: Union[str, Path], columns: int = 10, reports: int = 30,
                per_page: int = 10, blocked: Iterable[int] = ()) -> Path:
    """Write the fleet's site and manifest.json under out_dir; return out_dir.

    `blocked`: indices of columns whose report pages all answer a 瑞数 HTTP 412 challenge.
    """
    out = Path(out_dir)
    site = out / "site"
    site.mkdir(parents=True, exist_ok=True)
    blocked = set(blocked)
    pages: dict[str, dict[str, Any]] = {}
    fleet: list[dict[str, Any]] = []

    def put(path: str, body: bytes, content_type: str = "text/html; charset=utf-8",
            status: int = 200) -> None:
        file = path.lstrip("/")
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_bytes(body)
        pages[path] = {"file": file, "content_type": content_type, "status": status}

    put("/robots.txt", b"User-agent: *\nDisallow: /preview/\n", "text/plain; charset=utf-8")
    serial = 10000
    for c in range(columns):
        code, name = county(c)
        column = f"/{code}/zwgk/zfxxgknb/"
        links: list[tuple[str, str, str]] = []
        report_paths: list[str] = []
        for r in range(reports):
            serial += 1
            issuer = ISSUERS[r % len(ISSUERS)]
            # Over 2008-2023, never the same issuer and year twice (that would be one report).
            year = FIRST_YEAR + (r * 7) % 16
            month, day = 1 + r % 3, 10 + r % 18
            stamp = f"{year + 1}{month:02d}{day:02d}"
            href = f"{stamp[:6]}/t{stamp}_{serial}.htm"
            title = f"{name}{issuer}{year}年政府信息公开工作年度报告"
            iso = f"{year + 1}-{month:02d}-{day:02d}"
            path = column + href
            if c in blocked:
                put(path, CHALLENGE, status=412)
            else:
                body = _report_page(name, issuer, year, f"{code}00-{year}-{serial:06d}", iso, serial)
                put(path, body.encode("utf-8"))
            links.append((href, title, iso))
            report_paths.append(path)
        n_pages = max(1, -(-reports // per_page))
        for p in range(n_pages):
            chunk = links[p * per_page:(p + 1) * per_page]
            html = _list_page(name, chunk, p, n_pages)
            put(column + ("index.html" if p == 0 else f"index_{p}.html"), html.encode("utf-8"))
        fleet.append({"code": code, "name": name, "column": column, "reports": report_paths,
                      "blocked": c in blocked, "list_pages": n_pages})
    manifest = {
        "_about": "Generated by govreports.mockfleet.build_fleet; served by MockPortal/FleetPortal.",
        "column": fleet[0]["column"] if fleet else "/",
        "pages": pages,
        "fleet": fleet,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    return out


def registry_csv(site_dir: Union[str, Path], base_url: str) -> str:
    """A registry file (govreports.registry's columns) naming every column of the fleet."""
    manifest = json.loads((Path(site_dir) / "manifest.json").read_text(encoding="utf-8"))
    # A column off *.gov.cn must be named in allowed_hosts to pass the registry's check.
    host = urlsplit(base_url).hostname
    rows = ["code,name,province,prefecture,platform,column_url,allowed_hosts,note"]
    for col in manifest["fleet"]:
        rows.append(f"{col['code']},{col['name']},{PROVINCE},{PREFECTURE},trs,"
                    f"{base_url}{col['column']},{host},generated by govreports.mockfleet")
    return "\n".join(rows) + "\n"


class FleetPortal(MockPortal):
    """MockPortal over a generated fleet, answering each request after `delay` seconds."""

    def __init__(self, site_dir: Union[str, Path], delay: float = 0.0, host: str = "127.0.0.1",
                 port: int = 0):
        super().__init__(site_dir, host=host, port=port)
        self.delay = delay
        self.fleet: list[dict[str, Any]] = self.manifest["fleet"]
        # Requests being answered at once, and the most there were: the crawl's politeness.
        self.in_flight = self.max_in_flight = 0
        self._count = threading.Lock()

    def start(self) -> "FleetPortal":
        super().start()
        server = self._server
        default = server.handle_error

        def handle_error(request: Any, client_address: Any) -> None:
            # A crawler killed mid-download (what the tests do) breaks its connections: expected.
            if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                return
            default(request, client_address)

        server.handle_error = handle_error
        return self

    def _answer(self, raw_path: str) -> tuple[int, str, bytes]:
        with self._count:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                # Each request has its own server thread, so the delay does not serialise them.
                time.sleep(self.delay)
            return super()._answer(raw_path)
        finally:
            with self._count:
                self.in_flight -= 1

    def report_urls(self, include_blocked: bool = False) -> list[str]:
        return [self.url(p) for col in self.fleet if include_blocked or not col["blocked"]
                for p in col["reports"]]


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m govreports.mockfleet",
                                description="Write (and serve) a fleet of generated portals.")
    p.add_argument("out", help="folder for the site and its manifest.json")
    p.add_argument("--columns", type=int, default=10)
    p.add_argument("--reports", type=int, default=30, help="reports per column")
    p.add_argument("--serve", action="store_true", help="serve it on 127.0.0.1 until Ctrl-C")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = p.parse_args(argv)
    site = build_fleet(args.out, columns=args.columns, reports=args.reports)
    print(f"{args.columns} columns x {args.reports} reports in {site}", flush=True)
    if args.serve:
        with FleetPortal(site, delay=args.delay, port=args.port) as portal:
            registry = Path(args.out) / "registry.csv"
            registry.write_text(registry_csv(site, portal.base_url), encoding="utf-8")
            print(f"serving at {portal.base_url}/ ; registry {registry}", flush=True)
            print(f"crawl it: scrapy crawl annual_reports -a registry={registry}", flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
