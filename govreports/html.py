"""Reader for HTML report pages: the article body as a token stream, the page's header and title.

A portal page is mostly chrome (menus, search boxes, footers, scripts); the report sits in one
container (TRS `div.TRS_Editor`, `#zoom`, `.article_content`, VSB `.v_news_content` …, else the
element holding most of the page's visible text). That container is walked in reading order:

- text outside tables becomes one `para` per block (p, div, h1-h6, li, and each `<br>`-separated
  line); inline runs are joined as a browser shows them, without a separator;
- a data table becomes its grid: per `<tr>`, one `cell` per origin cell (a colspan cell once),
  then the cells a rowspan from an earlier row covers, again, with `inherited=True`, each at its
  grid position; then `row_end`, and `table_end` after the table. Cell text joins the pieces a
  word was split over (商业</p><p>企业 → 商业企业); an empty cell is a cell with text "";
- a layout table (one holding another table, a form, a list, very long text …) is a container:
  its cells are walked like divs; a label/value metadata table (索引号, 发布机构, 成文日期 …) gives
  header pairs and no tokens.

Above the article, label runs ("发布时间：… 发布机构：…", "来源：… 时间：…") become header lines and
metadata tables header pairs; TRS <meta> tags give the title and the publish date. Comments, Word's
conditional ones included, are dropped (browsers show the text between `<!--[if !supportLists]-->`
and `<!--[endif]-->`, so it is kept), as is anything styled invisible. A report published only as
images, or only as a PDF in a 全真版 viewer, is flagged, so that an empty result is not mistaken
for a report without tables.

Speed (bench/parse.py): the tree is walked in Python only outside the data tables; a cell's text
is its own text node, or comes from libxml2 in one call, unless the cell needs the slow walk
(whitespace between blocks, hidden parts). Hidden elements, article and title candidates are
found in one pass over the elements (one items() call each; the class and id it reads answer the
chrome tests later), each distinct style or class string judged once; a UTF-8 page is parsed
from its own bytes. lxml's per-call cost (a get() costs more than the Python around it) is what
these choices avoid.
"""
from __future__ import annotations

import codecs
import re
from functools import lru_cache
from typing import Optional
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree

from govreports.documents import CELL, HTML, PARA, ROW_END, TABLE_END, Document, Token, register
from govreports.encoding import decode, read_as_utf8
from govreports.header import FIELD_LABELS, OTHER_LABELS, split_label_runs
from govreports.normalize import CACHED_CHARS, clean, norm

# Containers of the article on the platforms seen (portals.md §2); a lower rank wins.
# Class and id names are compared in lower case (Shanghai writes Article_content).
_ARTICLE_CLASSES = {"trs_editor": 0, "trs_ueditor": 0, "trs_editor_view": 0, "v_news_content": 1,
                    "article-content": 2, "article_content": 2, "xxgk_content": 2,
                    "xxgk-content": 2, "xxgk_detail_content": 2, "zwgk_content": 2,
                    "news_content": 3, "detail-content": 3, "detail_content": 3, "con_text": 3}
_ARTICLE_IDS = {"ucap-content": 0, "zoom": 1, "zoomcon": 1, "ivs_content": 1, "vsb_content": 1,
                "content_detail": 3, "article_content": 2}
_TITLE_CLASSES = frozenset(("article_title", "article-title", "xxgk_title", "content_title",
                            "detail-title", "detail_title", "news_title", "art_title"))
_TITLE_IDS = frozenset(("title", "articletitle", "article_title", "ivs_title"))

_BLOCK = frozenset((
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section",
    "article", "main", "aside", "header", "footer", "blockquote", "center", "pre", "address",
    "form", "fieldset", "figure", "figcaption", "hr", "table", "tbody", "thead", "tfoot", "tr",
    "td", "th", "caption", "body", "html", "nav", "details", "summary", "legend"))
# Blocks inside a cell that make its text more than one libxml2 string (see _cell_text).
_CELL_BLOCKS = frozenset(("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dd",
                          "dt"))
# Never text of the report: scripts, form controls, embedded frames (a viewer is noted apart).
_SKIP = frozenset((
    "script", "style", "noscript", "template", "head", "title", "select", "option", "button",
    "input", "textarea", "iframe", "frame", "frameset", "object", "embed", "svg", "math", "map",
    "audio", "video", "canvas", "link", "meta"))
_CHROME_TAGS = frozenset(("nav", "header", "footer"))
_CELL_TAGS = frozenset(("td", "th"))
# Class/id words of portal chrome; the word must start the token (article_header is not chrome).
_CHROME = re.compile(r"^(?:nav|menu|header|head|topbar|top|banner|search|login|footer|foot|bottom|"
                     r"crumb|breadcrumb|position|location|logo|share|sidebar|side|skip)(?:$|[_\-\d])",
                     re.I)
# A table holding any of these lays out a page; it holds no statistics of its own.
_LAYOUT_TAGS = ("table", "form", "ul", "ol", "iframe", "input", "select", "nav", "h1", "h2",
                "h3", "object", "embed", "frame", "textarea")
# Styles that hide an element (Word's hidden text is display:none;mso-hide:all).
_HIDING = {"display": re.compile(r"display\s*:\s*none"),
           "visibility": re.compile(r"visibility\s*:\s*hidden")}
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WS = re.compile(r"\s")

# No cell of the forms is this long; a longer one is a page region laid out with a table.
LAYOUT_CELL_CHARS = 400
# A span beyond these is a markup accident (the widest form, table 四, has 15 value columns).
MAX_COLSPAN = 50
MAX_ROWSPAN = 200
# An article with less text than this, no table and some images is a report published as images.
IMAGE_ONLY_TEXT_CHARS = 300
# Images smaller than this (by their width/height attributes) are icons, not scanned pages.
ICON_PIXELS = 50
# Paragraphs at the top of the article that may hold a header line or a title broken in two.
TOP_PARAS = 4
TITLE_CHARS = 60
HEADER_LINE_CHARS = 300
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".rar",
                         ".zip")
# What the path of a link _links keeps must end with (one search for any of them).
_LINK_WORDS = re.compile("|".join(map(re.escape, ("viewer.html",) + ATTACHMENT_EXTENSIONS)))

_HEADER_VOCAB = frozenset(norm(lab) for labs in FIELD_LABELS.values() for lab in labs) | frozenset(
    norm(lab) for lab in OTHER_LABELS) | frozenset(("发文字号", "信息索引号", "效力状态", "公开形式"))
_FIRST_HEADING = re.compile(r"^\s*[一1][、.．]")
# Punctuation of a sentence, which a title has not.
_SENTENCE = re.compile(r"[。，；]")
_COLON_TAIL = re.compile(r"[:：\s]+$")
_LEADING_INT = re.compile(r"\s*(\d+)")

_FLUSH = object()


def _visible(text: str) -> str:
    """The text without zero-width characters and soft hyphens (str.translate with a deletion
    table costs ten times this on Chinese text)."""
    return text if text.isascii() else _INVISIBLE.sub("", text)


def _int_attr(value: Optional[str], default: int = 1) -> int:
    """A span or size as browsers read it: its leading digits ("2px" → 2)."""
    m = _LEADING_INT.match(value) if value else None
    return int(m.group(1)) if m else default


def _is_chrome(el) -> bool:
    if el.tag in _CHROME_TAGS:
        return True
    for attr in ("class", "id"):
        value = el.get(attr)
        if value and _chrome_value(value):
            return True
    return False


@lru_cache(maxsize=4096)
def _chrome_value(value: str) -> bool:
    """Whether a class or id attribute names portal chrome (a page repeats a few dozen)."""
    return any(_CHROME.match(tok) for tok in value.split())


def _header_label(text: str) -> Optional[str]:
    """The header label a cell holds on its own (索 引 号：), normalised; else None."""
    return _header_label_short(text) if len(text) <= CACHED_CHARS else _header_label_of(text)


def _header_label_of(text: str) -> Optional[str]:
    n = _COLON_TAIL.sub("", norm(text))
    return n if n in _HEADER_VOCAB else None


def _starts_with_label(text: str) -> bool:
    """A "label：value" run at the start of the text (索引号：0123 …)."""
    if ":" not in text and "：" not in text:
        return False
    runs = split_label_runs(text)
    return bool(runs) and norm(text).startswith(runs[0][0])


def _is_label(text: str) -> bool:
    """A cell holding a header label, alone or starting a "label：value" run."""
    return _is_label_short(text) if len(text) <= CACHED_CHARS else _is_label_of(text)


def _is_label_of(text: str) -> bool:
    return bool(_header_label(text) or _starts_with_label(text))


# Cells recur in every report of a form (table headings, 索引号：): each is judged once.
_header_label_short = lru_cache(maxsize=16384)(_header_label_of)
_is_label_short = lru_cache(maxsize=16384)(_is_label_of)


class _Page:
    """What the whole page tells before the article is walked: the hidden elements, the article
    candidates, title elements."""

    def __init__(self, root):
        self.root = root
        # One pass over the tree in Python: elements with a class or id (article and title
        # candidates), a `hidden` attribute, or a style that hides them. An XPath test of the
        # same attributes costs twice as much (libxml2's XPath engine is slow per node), and
        # scanning the page source for hiding styles costs more than both.
        self.hidden: set = set()
        self.candidates: list[tuple[int, object]] = []
        self.titles: list = []
        # Word pages repeat a few dozen style and class strings over thousands of elements:
        # each distinct one is judged once per page (a dict lookup), and once per process
        # (_hides and _class_kind are cached: every portal's template repeats them).
        hides: dict[str, bool] = {}
        kinds: dict[str, tuple[Optional[int], bool]] = {}
        hidden = self.hidden
        # Element -> (class, id) where it has either: what chrome() asks, without asking lxml.
        self.named: dict = {}
        named = self.named
        for el in root.iter(etree.Element):
            # One items() call costs less than the four get() calls it replaces (lxml's per-call
            # overhead dominates), and an element without attributes costs nothing more.
            attrs = el.items()
            if not attrs:
                continue
            cls = ident = None
            for name, value in attrs:
                if name == "style":
                    if value:
                        verdict = hides.get(value)
                        if verdict is None:
                            verdict = hides[value] = _hides(value)
                        if verdict:
                            hidden.add(el)
                elif name == "class":
                    cls = value
                elif name == "id":
                    ident = value
                elif name == "hidden":
                    hidden.add(el)
            if not cls and not ident:
                continue
            named[el] = (cls, ident)
            if cls:
                kind = kinds.get(cls)
                if kind is None:
                    kind = kinds[cls] = _class_kind(cls)
                rank, is_title = kind
            else:
                rank, is_title = None, False
            if ident:
                ident = ident.lower()
                id_rank = _ARTICLE_IDS.get(ident, 1 if ident.startswith("vsb_content") else None)
                if id_rank is not None and (rank is None or id_rank < rank):
                    rank = id_rank
                is_title = is_title or ident in _TITLE_IDS
            if rank is not None:
                self.candidates.append((rank, el))
            if is_title:
                self.titles.append(el)
        # Cells holding hidden parts or scripts must be walked one element at a time.
        self.tainted: set = set()
        for el in list(self.hidden) + list(root.iter("script", "style")):
            self.tainted.update(el.iterancestors("td", "th"))

    def chrome(self, el) -> bool:
        """_is_chrome(el), from the attributes the pass over the page read."""
        if el.tag in _CHROME_TAGS:
            return True
        found = self.named.get(el)
        return found is not None and any(v and _chrome_value(v) for v in found)

    def article(self):
        """(element, found by a known container)."""
        for rank in sorted({r for r, _ in self.candidates}):
            found = [el for r, el in self.candidates if r == rank and el not in self.hidden]
            # Several matches (nested editors, a print copy): the one with the most text.
            best = max(found, key=lambda el: len(_text(el)), default=None)
            # An empty one is a placeholder of the template; the report is elsewhere.
            if best is not None and (_text(best).strip() or next(
                    best.iterdescendants("table", "img"), None) is not None):
                return best, True
        body = self.root.find("body")
        if body is None:
            return self.root, False
        return _largest_container(body, self.hidden), False


@lru_cache(maxsize=4096)
def _class_kind(cls: str) -> tuple[Optional[int], bool]:
    """(the best article rank of a class attribute's names or None, whether one names a title)."""
    classes = cls.lower().split()
    ranks = [_ARTICLE_CLASSES[c] for c in classes if c in _ARTICLE_CLASSES]
    return (min(ranks) if ranks else None), not _TITLE_CLASSES.isdisjoint(classes)


@lru_cache(maxsize=4096)
def _hides(style: str) -> bool:
    """Whether a style attribute hides its element (display:none, visibility:hidden), in any
    letter case, as a browser reads it."""
    low = style.lower()
    return ("display" in low or "visibility" in low) and any(
        pattern.search(low) for pattern in _HIDING.values())


def _has_block(el) -> bool:
    """Whether a block (_CELL_BLOCKS) is below el. A loop over the few elements of a cell costs a
    fifth of iterdescendants(*tags), which builds its tag matcher on every call."""
    for child in el.iterdescendants():
        if child.tag in _CELL_BLOCKS:
            return True
    return False


def _text(el) -> str:
    # The element's string value (its text nodes, not its tail) as XPath string() gives it:
    # both are libxml2's xmlNodeGetContent, but an XPath call costs three times as much.
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def _largest_container(body, hidden: set):
    """The deepest element holding most of the page's visible text outside links."""
    length: dict = {}
    order = []
    stack = [body]
    while stack:
        el = stack.pop()
        order.append(el)
        for child in el:
            if isinstance(child.tag, str) and child.tag not in _SKIP and child not in hidden \
                    and not _is_chrome(child):
                stack.append(child)
    for el in reversed(order):  # children before parents
        if el.tag == "a":
            length[el] = 0
            continue
        total = len((el.text or "").strip())
        for child in el:
            total += length.get(child, 0) + len((child.tail or "").strip())
        length[el] = total
    node = body
    while True:
        kids = [c for c in node if c in length]
        best = max(kids, key=lambda c: length[c], default=None)
        if best is None or length[best] < 0.6 * length[node] or best.tag in ("p", "span", "font") \
                or (best.tag == "table" and _table_kind_cheap(best) != "layout"):
            return node
        node = best


def _table_kind_cheap(table) -> str:
    if next(table.iterdescendants(*_LAYOUT_TAGS), None) is not None:
        return "layout"
    if any(len(_text(td)) > LAYOUT_CELL_CHARS for td in table.iterdescendants("td", "th")):
        return "layout"
    return "data"


def _table_rows(table) -> list:
    rows = []
    for child in table:
        tag = child.tag
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(tr for tr in child if tr.tag == "tr")
    return rows


class _Lines:
    """Text of a subtree cut at block boundaries (p, div, br …), each line's inline pieces joined
    as a browser shows them."""

    def __init__(self, hidden: set):
        self.hidden = hidden
        self.lines: list[str] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        if self.buf:
            text = clean(_visible("".join(self.buf)))
            self.buf.clear()
            if text:
                self.lines.append(text)

    def walk(self, root) -> list[str]:
        hidden, buf = self.hidden, self.buf
        stack: list = [root]
        while stack:
            item = stack.pop()
            if item.__class__ is str:
                buf.append(item)
                continue
            if item is _FLUSH:
                self.flush()
                continue
            tag = item.tag
            if tag.__class__ is not str or tag in _SKIP or item in hidden:
                continue
            if tag == "br":
                self.flush()
                continue
            if tag in _BLOCK:
                self.flush()
                stack.append(_FLUSH)
            _push_children(stack, item)
        self.flush()
        return self.lines


def _spaced_text(el, hidden: set) -> str:
    """The lines of el joined by spaces: " ".join(_Lines(hidden).walk(el)), without the walk for
    an element that has no children (a header table's cells)."""
    if not len(el):
        return "" if el in hidden else clean(_visible(el.text or ""))
    return " ".join(_Lines(hidden).walk(el))


def _push_children(stack: list, el) -> None:
    """Schedule el's text, then each child and its tail, in reading order (last pushed pops
    first). Comments are children too: skipped when popped, their tails kept."""
    for child in reversed(el):
        if child.tail:
            stack.append(child.tail)
        stack.append(child)
    if el.text:
        stack.append(el.text)


class _Span:
    __slots__ = ("text", "left", "col", "width")

    def __init__(self, text: str, left: int, col: int, width: int):
        self.text, self.left, self.col, self.width = text, left, col, width


class _Article:
    """The walk of the article: tokens, metadata pairs, links, images."""

    def __init__(self, page: _Page, doc: Document, url: Optional[str], skip_chrome: bool):
        self.page = page
        self.doc = doc
        self.url = url
        self.skip_chrome = skip_chrome
        self.tokens = doc.tokens
        self.buf: list[str] = []
        self.tables = 0
        self.images = 0
        self.pairs: list[tuple[str, str]] = []
        self.links: list[tuple[str, str]] = []

    def flush(self) -> None:
        if self.buf:
            text = clean(_visible("".join(self.buf)))
            self.buf = []
            if text:
                self.tokens.append(Token(PARA, text))

    def walk(self, root) -> None:
        hidden = self.page.hidden
        stack: list = [root]
        while stack:
            item = stack.pop()
            if item.__class__ is str:
                self.buf.append(item)
                continue
            if item is _FLUSH:
                self.flush()
                continue
            tag = item.tag
            if tag.__class__ is not str or tag in _SKIP or item in hidden:
                continue
            if self.skip_chrome and item is not root and self.page.chrome(item):
                continue
            if tag == "br":
                self.flush()
                continue
            if tag == "img":
                if not _is_icon(item):
                    self.images += 1
                continue
            if tag == "a":
                self._link(item)
            elif tag == "table":
                self.flush()
                kind, rows = self._classify(item)
                if kind == "data":
                    caption = item.find("caption")
                    if caption is not None:  # 表三 收到和处理…: a heading for the mapper
                        self.tokens.extend(Token(PARA, t) for t in _Lines(hidden).walk(caption))
                    self._emit_table(rows)
                    continue
                if kind == "meta":
                    self.pairs.extend(_meta_pairs(rows))
                    continue
                # A layout table: its cells are walked like divs.
            if tag in _BLOCK:
                self.flush()
                stack.append(_FLUSH)
            _push_children(stack, item)
        self.flush()

    def _link(self, a) -> None:
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            self.links.append((urljoin(self.url or "", href), clean(_text(a))))

    # ------------------------------------------------------------------ tables
    def _cell_text(self, td) -> str:
        if td not in self.page.tainted:
            # A cell without children (comments count as children) is its own text: no
            # serialiser call, no search for blocks.
            leaf = not len(td)
            text = (td.text or "") if leaf else _text(td)
            if not _WS.search(text):
                return _visible(text)
            if leaf or not _has_block(td):
                return clean(_visible(text))
        # The pieces of a word split over <p>/<br> are one word (商业</p><p>企业), whatever
        # whitespace the source has between the blocks.
        return "".join(_Lines(self.page.hidden).walk(td))

    def _classify(self, table) -> tuple[str, list]:
        """("data" | "meta" | "layout", rows of (text, rowspan, colspan))."""
        if next(table.iterdescendants(*_LAYOUT_TAGS), None) is not None \
                or table.get("role") == "presentation":
            return "layout", []
        hidden = self.page.hidden
        cell_text = self._cell_text
        rows = []
        filled = labels = 0
        for tr in _table_rows(table):
            if tr in hidden:
                continue
            cells = []
            append = cells.append
            for td in tr:
                if td.tag not in _CELL_TAGS or td in hidden:
                    continue
                text = cell_text(td)
                if len(text) > LAYOUT_CELL_CHARS:
                    return "layout", []
                # One keys() call costs less than a get(); most cells span nothing.
                keys = td.keys()
                if keys and ("rowspan" in keys or "colspan" in keys):
                    append((text, _int_attr(td.get("rowspan")), _int_attr(td.get("colspan"))))
                else:
                    append((text, 1, 1))
                if text:
                    filled += 1
                    # Digits are no label (most cells of a statistics table are digits).
                    if not text.isdigit() and _is_label(text):
                        labels += 1
            rows.append(cells)
        if sum(len(r) for r in rows) <= 1:
            return "layout", []
        return ("meta" if _is_meta(labels, filled) else "data"), rows

    def _emit_table(self, rows: list) -> None:
        table_no = self.tables
        self.tables += 1
        tokens = self.tokens
        add = tokens.append
        pending: dict[int, _Span] = {}  # grid column -> the rowspan cell covering it
        n_rows = len(rows)
        for r, cells in enumerate(rows):
            born: dict[int, _Span] = {}
            col = 0
            start = len(tokens)
            for text, rowspan, colspan in cells:
                while col in pending:
                    sp = pending[col]
                    add(Token(CELL, sp.text, table_no, r, inherited=True))
                    col = sp.col + sp.width
                if rowspan == 1 and colspan == 1:  # most cells: nothing to clamp or carry down
                    add(Token(CELL, text, table_no, r))
                    col += 1
                    continue
                if colspan > MAX_COLSPAN or rowspan > MAX_ROWSPAN:
                    self.doc.warn("span_clamped", "tables",
                                  f"table {table_no + 1}, row {r + 1}: rowspan={rowspan} "
                                  f"colspan={colspan} cut to the table's size")
                colspan = min(max(colspan, 1), MAX_COLSPAN)
                # rowspan=0 spans the rest of the table; no span reaches past its end.
                rowspan = n_rows - r if rowspan == 0 else min(rowspan, n_rows - r)
                tokens.append(Token(CELL, text, table_no, r))
                if rowspan > 1:
                    sp = _Span(text, rowspan - 1, col, colspan)
                    for c in range(col, col + colspan):
                        born[c] = sp
                col += colspan
            if pending:
                # Columns a rowspan covers after the row's last own cell (总计 in a header row).
                for c in sorted(pending):
                    if c >= col:
                        sp = pending[c]
                        tokens.append(Token(CELL, sp.text, table_no, r, inherited=True))
                        col = sp.col + sp.width
            if len(tokens) > start:
                tokens.append(Token(ROW_END, table_no=table_no, row_no=r))
            if pending:
                for sp in {id(sp): sp for sp in pending.values()}.values():
                    sp.left -= 1
                pending = {c: sp for c, sp in pending.items() if sp.left > 0}
            if born:
                pending.update(born)
        tokens.append(Token(TABLE_END, table_no=table_no))


def _is_meta(labels: int, filled: int) -> bool:
    # gkmlpt, Hanweb and VSB header tables are half labels; a statistics table has none.
    return labels >= 2 and labels * 10 >= filled * 3


def _is_icon(img) -> bool:
    return any(_int_attr(img.get(attr), ICON_PIXELS) < ICON_PIXELS for attr in ("width", "height"))


def _meta_pairs(rows: list) -> list[tuple[str, str]]:
    """Label/value pairs of a metadata table: a label cell and the cell after it (empty when the
    next cell is a label itself), or a cell holding "label：value" runs."""
    pairs = []
    cells = [cell[0] for row in rows for cell in row]
    i = 0
    while i < len(cells):
        text = cells[i]
        label = _header_label(text)
        if label is not None:
            nxt = cells[i + 1] if i + 1 < len(cells) else ""
            if _is_label(nxt):
                pairs.append((label, ""))
                i += 1
            else:
                pairs.append((label, nxt))
                i += 2
            continue
        if text and _starts_with_label(text):
            pairs.extend(split_label_runs(text))
        i += 1
    return pairs


class _HeaderScan:
    """The page above the article: lines of label runs and metadata tables, outside the chrome."""

    def __init__(self, page: _Page, article):
        self.page = page
        self.article = article
        self.lines: list[str] = []
        self.pairs: list[tuple[str, str]] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        if self.buf:
            line = clean(_visible(" ".join(self.buf)))
            self.buf = []
            if line and len(line) <= HEADER_LINE_CHARS and split_label_runs(line):
                self.lines.append(line)

    def walk(self, body) -> None:
        hidden = self.page.hidden
        # A container of the article is never chrome, whatever its class (<div class="top_con">):
        # skipping it would carry the scan past the article into the page's foot.
        around = set(self.article.iterancestors())
        stack: list = [body]
        while stack:
            item = stack.pop()
            if item.__class__ is str:
                if not item.isspace():
                    self.buf.append(item)
                continue
            if item is _FLUSH:
                self.flush()
                continue
            if item is self.article:
                break
            tag = item.tag
            if tag.__class__ is not str or tag in _SKIP or item in hidden or (
                    item not in around and self.page.chrome(item)):
                continue
            if tag == "br":
                self.flush()
                continue
            if tag == "table" and next(item.iterdescendants("table"), None) is None:
                self.flush()
                rows = [[(_spaced_text(td, hidden),) for td in tr if td.tag in _CELL_TAGS]
                        for tr in _table_rows(item)]
                texts = [c[0] for row in rows for c in row if c[0]]
                labels = sum(1 for t in texts if _is_label(t))
                if _is_meta(labels, len(texts)):
                    self.pairs.extend(_meta_pairs(rows))
                    continue
            if tag in _BLOCK:
                self.flush()
                stack.append(_FLUSH)
            _push_children(stack, item)
        self.flush()


def _meta_tags(root, doc: Document) -> list[tuple[str, str]]:
    """<meta> tags into doc.meta; the TRS title is a title candidate, PubDate and a non-empty
    ContentSource are header pairs."""
    pairs = []
    for m in root.iter("meta"):
        name = m.get("name") or m.get("property") or m.get("http-equiv")
        content = m.get("content")
        if not name or content is None:
            continue
        content = clean(content)
        doc.meta[name] = content
        key = name.lower()
        if key in ("articletitle", "og:title") and content:
            doc.title_candidates.append(content)
        elif key == "pubdate" and content:
            pairs.append(("发布日期", content))
        elif key == "contentsource" and content:
            pairs.append(("来源", content))
    return pairs


def _links(root, url: Optional[str]) -> tuple[list[tuple[str, str]], Optional[str]]:
    """Attachment links anywhere outside the chrome (TRS lists them below the article), and the
    PDF a 全真版 viewer (pdf.js …/viewer.html?file=…) or an embedded frame shows.

    Fujian's TRS template fills the viewer's address by script (ms-attr-src="…viewer.html?file=
    {{qzbFile}}") from the PDF among the attachments; there the attached PDF is the one shown."""
    out = []
    pdf = None
    templated_viewer = False
    for el in root.iter("a", "iframe", "frame", "embed", "object"):
        if el.tag == "a":
            src = el.get("href") or ""
        else:
            src = el.get("src") or el.get("data") or el.get("ms-attr-src") or ""
        src = src.strip()
        if not src or src.startswith(("javascript:", "#")):
            continue
        low = src.lower()
        if _LINK_WORDS.search(low) is None and "\t" not in src and "\r" not in src \
                and "\n" not in src:
            # No path below can end so (urlsplit's path is part of the address once it has no
            # tab or newline to drop): the common link is not split.
            continue
        parts = urlsplit(src)
        path = parts.path.lower()
        if path.endswith("viewer.html"):
            file = (parse_qs(parts.query).get("file") or [""])[0].strip()
            if "{{" in file:
                templated_viewer = el.tag != "a" or templated_viewer
            elif pdf is None and file:
                pdf = urljoin(urljoin(url or "", src), file)
            continue
        if "{{" in src:
            continue  # a template the page's script fills in is no address
        if el.tag != "a":
            if pdf is None and path.endswith(".pdf"):
                pdf = urljoin(url or "", src)
            continue
        if path.endswith(ATTACHMENT_EXTENSIONS) and not any(
                _is_chrome(anc) for anc in el.iterancestors()):
            out.append((urljoin(url or "", src), clean(_text(el))))
    if pdf is None and templated_viewer:
        pdf = next((href for href, _ in out if urlsplit(href).path.lower().endswith(".pdf")), None)
    return out, pdf


def _top_paras(tokens: list[Token]) -> list[str]:
    """The paragraphs above the report's first table or section heading (一、总体情况)."""
    top = []
    for tok in tokens:
        if tok.kind != PARA or len(top) == TOP_PARAS or _FIRST_HEADING.match(tok.text):
            break
        top.append(tok.text)
    return top


def _utf8_tree(data: bytes, strict: bool = False):
    """The tree of UTF-8 bytes; `strict`: None if they are not valid UTF-8 (libxml2 says so)."""
    # The encoding stated, so that a <meta charset> or an <?xml encoding?> in the page cannot
    # make libxml2 decode the bytes another way.
    parser = etree.HTMLParser(encoding="utf-8")
    root = etree.fromstring(data, parser)
    if strict and any(e.type_name == "ERR_INVALID_ENCODING" for e in parser.error_log):
        return None
    return root if root is not None else etree.fromstring(b"<html><body></body></html>", parser)


def _tree(body: bytes, content_type: Optional[str]):
    """(tree, encoding). A page `decode` would read as UTF-8 is parsed from its bytes, and only
    decoded when they are not valid UTF-8: decoding a 300 kB page costs a fifth of parsing it,
    for text the reader never uses."""
    if read_as_utf8(body, content_type):
        root = _utf8_tree(body, strict=True)
        if root is not None:
            return root, "utf-8"
    text, encoding = decode(body, content_type)
    # A UTF-8 body that decoded without a replacement character (nor a BOM to drop) is the text's
    # UTF-8 encoding byte for byte: no copy to encode.
    same = encoding == "utf-8" and not body.startswith(codecs.BOM_UTF8) and "\ufffd" not in text
    return _utf8_tree(body if same else text.encode("utf-8", "surrogatepass")), encoding


def read_html(body: bytes, url: Optional[str], headers: dict) -> Document:
    root, encoding = _tree(body, headers.get("content-type"))
    doc = Document(media_type=HTML, encoding=encoding, url=url)
    page = _Page(root)
    meta_pairs = _meta_tags(root, doc)

    article, known = page.article()
    walk = _Article(page, doc, url, skip_chrome=not known)
    walk.walk(article)

    scan = _HeaderScan(page, article)
    body_el = root.find("body")
    if body_el is not None and article is not body_el:
        scan.walk(body_el)

    # Titles: what the CMS says, what the page shows, then the top of the article, where a
    # title may be broken over two paragraphs.
    for el in list(root.iter("h1")) + page.titles:
        if el not in page.hidden and not page.chrome(el):
            doc.title_candidates.append(clean(_text(el)))
    title = root.find(".//title")
    if title is not None:
        doc.title_candidates.append(clean(_text(title)))
    top = _top_paras(doc.tokens)
    titles = [t for t in top if len(t) <= TITLE_CHARS and not _SENTENCE.search(t)]
    doc.title_candidates.extend(titles + [a + b for a, b in zip(titles, titles[1:])])
    seen: set = set()
    doc.title_candidates = [t for t in doc.title_candidates
                            if t and not (t in seen or seen.add(t))]

    # The visible header first: header.extract keeps the first non-empty value of a label.
    doc.header_pairs = scan.pairs + walk.pairs + meta_pairs
    doc.header_lines = scan.lines + [t for t in top if len(t) <= 150 and split_label_runs(t)]

    attachments, pdf = _links(root, url)
    links = walk.links + attachments + ([(pdf, "全真版")] if pdf else [])
    seen = set()
    doc.links = [ln for ln in links if not (ln[0] in seen or seen.add(ln[0]))]

    if walk.tables == 0:
        prose = sum(len(t.text) for t in doc.tokens if t.kind == PARA)
        if walk.images and prose < IMAGE_ONLY_TEXT_CHARS:
            doc.warn("tables_are_images", "tables",
                     f"the article is {walk.images} image(s) and {prose} characters of text with no "
                     f"HTML table: its statistics are pictures, nothing to read")
        if pdf:
            doc.warn("pdf_viewer_only", "tables",
                     f"the report is shown as a PDF in a viewer ({pdf}) and the page has no HTML "
                     f"table: the numbers are in that PDF")
    return doc


@register(HTML)
def _factory():
    return read_html
