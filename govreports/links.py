"""Which links a crawl follows: report titles, the 年报 column, attachments, pagers, allowed hosts.

Pure functions over strings and parsel selectors, so the spider, the platform adapters and the
tests share one rule and none of it needs Scrapy. Titles are compared after removing all
whitespace, because list pages break long titles over lines (<br>, newlines, full-width spaces).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence, Union
from urllib.parse import SplitResult, parse_qs, urljoin, urlparse, urlsplit, urlunsplit

from parsel import Selector

# --- titles ---------------------------------------------------------------------------------

_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff]+")

# What a report calls itself (portals.md §5): …政府信息公开工作年度报告, …信息公开年度报告,
# …年度政府信息公开工作年度报告, …工作报告, …年报. 政务公开 appears in some counties' titles.
_REPORT_WORDS = re.compile(r"(?:信息公开|政务公开).{0,12}?(?:年度报告|年报|工作报告)")
# Inside a known 年报 column, a bare "2021年年报" or "…2020年度报告" is a report too.
_LOOSE_REPORT_WORDS = re.compile(r"(?:\d{4}|[〇○零一二三四五六七八九]{4})年?.{0,20}?(?:年度报告|年报)")
# Pages about reports that are not reports: notices on compiling them, templates, readings,
# rankings, and the other kinds of 年报 (enterprise and statistics filings).
_NOT_REPORT = re.compile(
    r"通知|通报|通告|编制|模板|模版|格式|解读|图解|评估|考核|测评|征集|问卷|培训|"
    r"企业年报|统计年报|决算|预算")
# A column is named like a report minus the year: 政府信息公开年报, 信息公开工作年度报告, 年报.
_COLUMN_TITLE = re.compile(
    r"^(?:政府|政务)?(?:信息)?公开(?:工作)?(?:年度报告|年报)(?:专栏|栏目)?$|^(?:年度报告|年报)(?:专栏)?$")
_YEAR = re.compile(r"\d{4}|[〇○零一二三四五六七八九]{4}年")


def normalize_title(text: Optional[str]) -> str:
    """Title text without any whitespace (titles broken across lines compare equal)."""
    return _SPACE.sub("", text or "")


def is_report_title(text: Optional[str], in_column: bool = False) -> bool:
    """True for the title of an annual report on government information disclosure.

    `in_column`: the link sits on a page known to be a 年报 column, where a title need not
    repeat 信息公开 ("平潭县2012年年报").
    """
    t = normalize_title(text)
    # Every report names its year; a yearless "政府信息公开年报" is the column, not a report.
    if len(t) < 4 or len(t) > 120 or not _YEAR.search(t) or _NOT_REPORT.search(t):
        return False
    if _REPORT_WORDS.search(t):
        return True
    return in_column and bool(_LOOSE_REPORT_WORDS.search(t))


def is_column_title(text: Optional[str]) -> bool:
    """True for the link text of a 年报 column (a name without a year), e.g. 政府信息公开年报."""
    t = normalize_title(text)
    return bool(t) and not _YEAR.search(t) and bool(_COLUMN_TITLE.match(t))


def page_is_annual_column(title: Optional[str], column_name: Optional[str] = None) -> bool:
    """A list page is a 年报 column if its column name or <title> says so (TRS `ColumnName`
    meta, "政府信息公开年报_平潭综合实验区…" titles)."""
    for text in (column_name, *(normalize_title(title).split("_")[:2] if title else ())):
        if text and is_column_title(text):
            return True
    return False


# --- links on a page ------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    url: str
    title: str = ""


@dataclass(frozen=True)
class ReportLink(Link):
    """A report link with what the list itself says about the report, where a platform's list
    carries more than a title (gkmlpt's JSON articles): header pairs under the labels a report
    page would show (索引号, 文号, 发布机构, 成文日期, 发布日期), and files the list names."""
    header: tuple[tuple[str, str], ...] = ()
    files: tuple[Link, ...] = ()


_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")


def clean_url(url: str) -> str:
    """Absolute URL without its fragment (TRS lists link the same page with #anchors)."""
    return _unfragmented(urlsplit(url.strip()))


def _unfragmented(parts: SplitResult) -> str:
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def anchors(page: Union[Selector, str], base_url: str) -> list[Link]:
    """Every <a href> of a page as (absolute URL, title). The title is the anchor's text with
    its lines joined, or its title attribute when that is longer (lists often cut the text
    to "平潭综合实验区2021年度政府信…" and keep the whole title in the attribute)."""
    sel = page if isinstance(page, Selector) else Selector(text=page)
    root = sel.root
    if not hasattr(root, "iter"):  # a selector over text or JSON has no elements
        return []
    out: list[Link] = []
    # The lxml tree is walked directly: a parsel selector per anchor costs more than the whole
    # page's parse on list and report pages with a hundred links (bench/crawl.py).
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        text = normalize_title("".join(a.itertext()))
        attr = normalize_title(a.get("title"))
        title = attr if len(attr) > len(text.rstrip("….")) else text
        try:
            parts = urlsplit(urljoin(base_url, href))
        except ValueError:  # a malformed href (bad IPv6 literal and the like) is skipped
            continue
        if parts.scheme in ("http", "https", "file"):
            out.append(Link(_unfragmented(parts), title))
    return out


ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".rtf", ".ofd")


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def is_attachment_url(url: str) -> bool:
    """A file the report may live in: by extension, or a PDF viewer's file= parameter."""
    parsed = urlsplit(url)
    if _suffix(parsed.path) in ATTACHMENT_EXTENSIONS:
        return True
    return "file=" in parsed.query and attachment_in_viewer(url) is not None


_EXTENSIONS = "|".join(e[1:] for e in ATTACHMENT_EXTENSIONS)
_SCRIPT_SUFFIX = r"\.(?:jsp|php|aspx?|do)"
_FILE_NAME = re.compile(r"\.(?:" + _EXTENSIONS + r")$", re.I)
_DOWNLOAD_SCRIPT = re.compile(r"down(?:load|file)[^/]*" + _SCRIPT_SUFFIX + "$", re.I)


# Everything is_attachment_url / is_download_link / attachment_in_viewer accept has one of these
# in the page's text, literally: a page without any has no attachment links to look for.
_EXTENSION_HINT = re.compile(rb"\.(?:" + _EXTENSIONS.encode() + rb")(?![a-z0-9])")
_SCRIPT_HINT = re.compile(rb"[^/\"'\s<>?#]{0,200}?" + _SCRIPT_SUFFIX.encode() + rb"(?![a-z0-9])")


def may_link_attachments(page: Union[str, bytes]) -> bool:
    """False when a page cannot link any attachment: a scan of its text or its body (any
    ASCII-compatible encoding), far cheaper than parsing it for anchors (most report pages
    hold their tables themselves)."""
    # bytes.lower() touches ASCII only, as the patterns need, and is ten times str.lower().
    low = (page if isinstance(page, bytes) else page.encode("utf-8", "replace")).lower()
    if _EXTENSION_HINT.search(low):
        return True
    # Download scripts (…/downfile.jsp?…, download.aspx?…): each "down…" checked where it stands,
    # not a pattern tried at every character of a 300 kB page.
    for word in (b"download", b"downfile"):
        at = low.find(word)
        while at >= 0:
            if _SCRIPT_HINT.match(low, at + len(word)):
                return True
            at = low.find(word, at + 1)
    return False


def is_download_link(url: str, title: Optional[str] = "") -> bool:
    """A download script's link whose file is named in its query or its text, not its path:
    Hanweb `/module/download/downfile.jsp?classid=0&filename=2101291642.pdf`, VSB
    `/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=…&wbfileid=…` with the
    text "…年度报告.pdf"."""
    parsed = urlsplit(url)
    if not _DOWNLOAD_SCRIPT.search(parsed.path):
        return False
    names = [v for vs in parse_qs(parsed.query).values() for v in vs]
    names.append(normalize_title(title).strip("【】[]()（）"))
    return any(_FILE_NAME.search(n.strip()) for n in names if n)


def attachment_in_viewer(url: str) -> Optional[str]:
    """The file behind a 全真版 viewer link (/generic2/web/viewer.html?file=/…/x.pdf)."""
    for value in parse_qs(urlsplit(url).query).get("file", []):
        if _suffix(urlsplit(value).path) in ATTACHMENT_EXTENSIONS:
            return urljoin(url, value)
    return None


_NEXT_TEXT = re.compile(r"^(?:下一页|下页|后一页|后页|>|›|»|>>|下一页>|下一页»)$")


def is_next_page_text(text: Optional[str]) -> bool:
    return bool(_NEXT_TEXT.match(normalize_title(text)))


def same_directory(url: str, other: str) -> bool:
    """Both URLs on one host, in one folder (page-number links of a list stay in its folder)."""
    a, b = urlparse(url), urlparse(other)
    return a.netloc == b.netloc and a.path.rsplit("/", 1)[0] == b.path.rsplit("/", 1)[0]


# --- hosts ----------------------------------------------------------------------------------

# Loopback hosts are not here: the tests and the offline demo name 127.0.0.1 in their own
# settings (GOVREPORTS_ALLOWED_HOSTS), so a production crawl never follows a link to itself.
DEFAULT_ALLOWED_HOSTS = ("*.gov.cn",)


def host_of(url: str) -> str:
    return (urlparse(url).hostname or "").lower().rstrip(".")


def host_matches(host: str, pattern: str) -> bool:
    """`*.gov.cn` matches gov.cn and every host under it; anything else matches exactly."""
    host, pattern = host.lower().rstrip("."), pattern.lower().strip().rstrip(".")
    if pattern.startswith("*."):
        suffix = pattern[2:]
        return host == suffix or host.endswith("." + suffix)
    return host == pattern


class HostPolicy:
    """The hosts a crawl may follow. Spam mirrors clone gov.cn pages under the same paths
    (portals.md §5), so only listed hosts are trusted; file:// URLs have no host and are
    only fetched when given by hand."""

    def __init__(self, patterns: Iterable[str] = DEFAULT_ALLOWED_HOSTS):
        self.patterns: tuple[str, ...] = tuple(p.strip() for p in patterns if p and p.strip())

    def extended(self, more: Iterable[str]) -> "HostPolicy":
        return HostPolicy((*self.patterns, *more))

    def allows(self, url: str) -> bool:
        host = host_of(url)
        return bool(host) and any(host_matches(host, p) for p in self.patterns)

    def domains(self) -> list[str]:
        """The patterns as Scrapy `allowed_domains` (which always include subdomains)."""
        return sorted({p[2:] if p.startswith("*.") else p for p in self.patterns})


def parse_host_list(value: Union[str, Sequence[str], None]) -> list[str]:
    """A host list from a setting, registry cell or -a argument: list, or comma/space separated."""
    if not value:
        return []
    if isinstance(value, str):
        return [h for h in re.split(r"[,\s;]+", value) if h]
    return [str(h).strip() for h in value if str(h).strip()]
