"""Numbers stated in prose: the headline figures a report gives in its text, in every era.

Reports of every era state their headline numbers in sentences as well as (or, before 2019,
often instead of) tables: "共收到有关政府信息公开的申请21条，其中当面申请数18条，电子邮件申请数3条",
"对依申请公开的答复总数21条，其中同意公开答复数17条", "行政复议7件，诉讼9件", "未收到有关政府信息公开
行政复议申请". Those become cells of table `legacy` (keys as in govreports.legacy), column `year`,
`origin="text"`, `raw` the phrase as published. They never go into the official tables, even in a
2019 or 2021 report, and the checks never use them. A report holds one number per cell (the
store's key is table, row, column): where the report's own statistics table has that cell, the
table's number stays and a text that disagrees is a `text_table_differs` warning (Pingtan 2013:
网上申请数3条 in the text, 4 in the table's 网上申请数 row), never a second cell.

Only unambiguous sentences count:
- a headline needs a marker of the whole (共/全年/本年度 收到…申请; 我市/全县/共 主动公开…; 答复总数)
  and a unit right after the number; approximations (400余件) never count;
- a breakdown (channels, kinds of reply) is read only in the clauses that follow its headline in
  the same sentence, each clause wholly one known item; reading stops at the first clause that
  is not (邮件信函申请34条 names two channels, so it stops there);
- "未收到…申请" / "未发生…行政复议、行政诉讼" state 0;
- a key stated with two different values in one report is ambiguous: no cell, a `text_ambiguous`
  warning with the phrases.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from govreports.documents import CELL, LINE, PARA, Document
from govreports.legacy import TABLE, matching_form
from govreports.model import Cell, ParseResult
from govreports.normalize import clean

_UNIT = r"\s*(?:条|件|份|宗|起|个|次|项)(?![余多])"
_N = r"(?P<n>\d+)"
_NOT = r"(?:未|没有)(?:收到|受理|接到|发生|出现|产生)"
_WHOLE = r"(?:共|全年|本年度?|年内|全年度)(?:共|计|共计)?"
# Words that make a "申请" sentence about appeals or enquiries, not disclosure requests.
_NOT_REQUESTS = re.compile(r"复议|诉讼|申诉|投诉|举报|咨询")

_REQUESTS = (
    re.compile(_WHOLE + r"(?:收到|受理|接到|接收)[^,;。\d]{0,24}?申请[^,;。\d]{0,8}?" + _N + _UNIT),
    re.compile(_WHOLE + r"(?:收到|受理|接到|接收)" + _N + _UNIT + r"[^,;。\d]{0,12}?申请"),
    re.compile(r"(?:未|没有)(?:收到|受理|接到)[^,;。\d]{0,20}?申请"),
)
_REPLIES = (re.compile(r"(?:答复总数|答复数|共答复|共计答复)(?:为|共|是)?" + _N + _UNIT),)
_REVIEW = (
    re.compile(r"(?:行政)?复议(?:申请|案件)?(?:共|共计)?(?:为)?" + _N + r"\s*(?:件|起|宗|个|次|份)(?![余多])"),
    re.compile(r"(?:收到|受理|发生|接到)" + _N + r"\s*(?:件|起|宗|个|次|份)[^,;。\d]{0,16}?(?:行政)?复议"),
    re.compile(_NOT + r"[^,;。\d]{0,24}?(?:行政)?复议(?:申请|案件)?"),
)
_SUIT = (
    re.compile(r"(?:行政)?诉讼(?:案件)?(?:共|共计)?(?:为)?" + _N + r"\s*(?:件|起|宗|个|次)(?![余多])"),
    re.compile(r"(?:收到|发生|接到)" + _N + r"\s*(?:件|起|宗|个|次|份)[^,;。\d]{0,16}?(?:行政)?诉讼"),
    re.compile(_NOT + r"[^,;。\d]{0,24}?(?:行政)?诉讼(?:案件)?"),
)
_PROACTIVE = (re.compile(
    r"(?:共|全年|累计|全市|全县|全区|全省|全镇|全乡|我市|我县|我区|我省|我镇|我乡|本机关|本局|本委|本办|本单位|本部门)"
    r"(?:共|累计|共计)?主动公开(?:政府)?信息(?:共|累计|共计|总数|数量)?(?:为|达)?" + _N + r"\s*(?:条|件)(?![余多])"),)

_CHANNELS = {"当面": "requests_in_person", "现场": "requests_in_person", "传真": "requests_fax",
             "电子邮件": "requests_email", "电子邮箱": "requests_email", "网上": "requests_online",
             "网络": "requests_online", "在线": "requests_online", "互联网": "requests_online",
             "信函": "requests_letter", "其他形式": "requests_other_channel",
             "其它形式": "requests_other_channel"}
_CHANNEL = re.compile(r"^(?:其中)?(?:通过)?(?P<k>" + "|".join(sorted(_CHANNELS, key=len, reverse=True)) +
                      r")(?:方式|渠道)?(?:提出|提交)?(?:的)?申请(?:数)?(?:为|共)?" + _N + _UNIT + "$")
_REPLY_KINDS = {"同意公开": "replies_disclosed", "同意部分公开": "replies_partly", "部分公开": "replies_partly",
                "部分同意公开": "replies_partly", "不予公开": "replies_refused", "否决公开": "replies_refused",
                "不同意公开": "replies_refused", "属于已主动公开范围": "replies_already_public"}
_REPLY = re.compile(r"^(?:其中)?(?P<k>" + "|".join(sorted(_REPLY_KINDS, key=len, reverse=True)) +
                    r")(?:的)?(?:答复)?(?:数)?(?:为|共)?" + _N + _UNIT + "$")
_SENTENCE = re.compile(r"[^。;；!！?？\n]+")
_CLAUSE = re.compile(r"[^,、]+")


@dataclass
class _Found:
    key: str
    value: int
    raw: str


def _headline(patterns, sentence: str, prepared: str, key: str, exclude=None) -> Optional[tuple[_Found, int]]:
    for pat in patterns:
        m = pat.search(prepared)
        # The whole clause decides: 未发生因政府信息公开申请提起行政复议 is about appeals.
        clause = m.group(0) + re.match(r"[^,;。]*", prepared[m.end():]).group(0) if m else ""
        if m is None or exclude is not None and exclude.search(clause):
            continue
        n = m.groupdict().get("n")
        return _Found(key, int(n) if n is not None else 0, clean(sentence[m.start():m.end()])), m.end()
    return None


def _breakdown(pattern, kinds: dict[str, str], sentence: str, prepared: str, after: int) -> list[_Found]:
    """Items of the clauses right after a headline, up to the first clause that is not one."""
    found = []
    for c in _CLAUSE.finditer(prepared, after):
        text = c.group(0).strip()
        m = pattern.match(text)
        if m is None:
            break
        start = c.start() + c.group(0).index(text)
        found.append(_Found(kinds[m.group("k")], int(m.group("n")), clean(sentence[start:start + len(text)])))
    return found


def _sentence_figures(sentence: str) -> list[_Found]:
    prepared = matching_form(sentence)
    out: list[_Found] = []
    # Each group of patterns spells out one word (申请, 答复 …): a sentence without it is not
    # searched with them, which spares most sentences a dozen regex searches.
    hit = "申请" in prepared and _headline(_REQUESTS, sentence, prepared, "requests_received", _NOT_REQUESTS)
    if hit:
        out.append(hit[0])
        out += _breakdown(_CHANNEL, _CHANNELS, sentence, prepared, hit[1])
    hit = "答复" in prepared and _headline(_REPLIES, sentence, prepared, "replies_total", _NOT_REQUESTS)
    if hit:
        out.append(hit[0])
        out += _breakdown(_REPLY, _REPLY_KINDS, sentence, prepared, hit[1])
    for word, patterns, key in (("复议", _REVIEW, "review_count"), ("诉讼", _SUIT, "suit_count"),
                                ("主动公开", _PROACTIVE, "proactive_total")):
        hit = word in prepared and _headline(patterns, sentence, prepared, key)
        if hit:
            out.append(hit[0])
    return out


def prose_texts(doc: Document, consumed: set[int], cut: dict[int, int]) -> list[str]:
    """The report's running text: paragraphs and lines no table used, up to where a table begins
    inside a line."""
    texts = []
    for i, tok in enumerate(doc.tokens):
        if i in consumed or tok.kind not in (PARA, LINE, CELL):
            continue
        text = tok.text[:cut[i]] if i in cut else tok.text
        if tok.kind == CELL and "。" not in text:
            continue  # a data cell; a layout cell holding paragraphs is prose
        texts.append(text)
    return texts


def figures(texts: list[str]) -> dict[str, list[tuple[int, str]]]:
    """Every headline figure the texts state, by key: [(value, phrase as published), …]."""
    by_key: dict[str, list[tuple[int, str]]] = {}
    for text in texts:
        for m in _SENTENCE.finditer(text):
            for f in _sentence_figures(m.group(0)):
                by_key.setdefault(f.key, []).append((f.value, f.raw))
    return by_key


def extract(doc: Document, result: ParseResult, consumed: set[int], cut: dict[int, int]) -> None:
    """Add the headline figures of the report's prose to `result` as text-origin `legacy` cells.

    A report stores one number per cell: where its own statistics table has the cell, the table's
    stays, and a text that says otherwise is a `text_table_differs` warning."""
    for key, found in figures(prose_texts(doc, consumed, cut)).items():
        values = {v for v, _ in found}
        if len(values) > 1:
            result.warn("text_ambiguous", f"{TABLE}.{key}",
                        f"the text states {len(values)} different figures for {key}; none stored",
                        [raw for _, raw in found])
            continue
        value, raw = found[0]
        table_cell = result.cell(TABLE, key, "year")
        if table_cell is None:
            result.cells.append(Cell(TABLE, key, "year", value, raw, origin="text"))
        elif table_cell.value != value:
            result.warn("text_table_differs", f"{TABLE}.{key}.year",
                        f"the text says {value} ({raw!r}), the table {table_cell.raw or 'nothing'}"
                        f"{' (inferred)' if table_cell.inferred else ''}; the table's cell is kept",
                        [raw, table_cell.raw])
