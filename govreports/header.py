"""The metadata header (索引号, 发文机关, 成文日期 …), the title and the report year.

Portals show the header as a label/value table, as label runs on one line ("索  引  号: … 发文机关:
…"), as <meta> tags, or as a 来源/时间 line; readers hand over pairs (Document.header_pairs) and
lines (Document.header_lines), and this module maps labels to the contract's keys, keeping every
label in `header.raw`. The year of the report comes from its title, not from a publish date.
"""
from __future__ import annotations

import re
from typing import Optional

from govreports.documents import Document
from govreports.model import ParseResult
from govreports.normalize import clean, norm
from govreports.numbers import chinese_numeral

# Contract key per label, in order of preference within a key.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号",),
    "issuer": ("发文机关", "发布机构", "公开主体", "发布单位", "来源", "信息来源"),
    "written_date": ("成文日期", "发文日期", "生成日期"),
    "published_date": ("发布日期", "发布时间", "公开日期", "时间", "日期"),
    "doc_no": ("文号", "发文字号"),
    "subject": ("主题分类", "分类", "信息分类"),
    "category": ("组配分类", "体裁分类", "公开目录", "栏目"),
}
DATE_FIELDS = ("written_date", "published_date")
# Labels that may appear in a header and have no key: kept in header.raw only.
OTHER_LABELS = ("名称", "信息名称", "主题词", "关键词", "公开方式", "公开范围", "有效性", "服务对象分类",
                "生命周期分类", "信息格式", "语种", "内容概述", "浏览次数", "点击数", "发布", "标题")

_ALL_LABELS = sorted({lab for labs in FIELD_LABELS.values() for lab in labs} | set(OTHER_LABELS),
                     key=len, reverse=True)
# A label may be padded with spaces between its characters (索  引  号) and ends with a colon.
_LABEL_RE = re.compile(
    "(?<![\u4e00-\u9fff])(" + "|".join(r"\s*".join(map(re.escape, lab)) for lab in _ALL_LABELS) +
    r")\s*[:：]")
# An archive's or a metadata line's own label before the title ("标题: 平潭县…年度报告").
_TITLE_LABEL = re.compile(r"^(?:标\s*题|题\s*名|文章标题)\s*[:：]\s*")
_TITLE_WORDS = re.compile(r"(信息公开|政务公开).{0,12}(年度报告|年报|工作报告)|年度报告")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_CN_YEAR = re.compile(r"([二〇○零一三四五六七八九]{4})\s*年")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_CN_DATE = re.compile(r"([二〇○零一三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")


def _label_key(label: str) -> Optional[str]:
    label = norm(label).rstrip(":")
    for key, labels in FIELD_LABELS.items():
        if label in labels:
            return key
    return None


def split_label_runs(line: str) -> list[tuple[str, str]]:
    """"索  引  号: Y01 发文机关: 贵溪市人民政府 文  号:" → [(索引号, Y01), (发文机关, …), (文号, "")]."""
    if ":" not in line and "：" not in line:  # every label ends with one: no regex search
        return []
    matches = list(_LABEL_RE.finditer(line))
    pairs = []
    for m, nxt in zip(matches, matches[1:] + [None]):
        value = line[m.end(): nxt.start() if nxt else len(line)]
        pairs.append((norm(m.group(1)), clean(value)))
    return pairs


def iso_date(text: Optional[str]) -> Optional[str]:
    """2020-01-16, 2020年1月16日, 2020/1/16, 二〇二〇年一月十六日 → 2020-01-16; else None."""
    if not text:
        return None
    m = _DATE.search(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _CN_DATE.search(text)
        if not m:
            return None
        y, mo, d = (chinese_numeral(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def report_year(title: Optional[str]) -> Optional[int]:
    if not title:
        return None
    m = _YEAR.search(title)
    if m:
        return int(m.group(1))
    m = _CN_YEAR.search(title)
    if m:
        return chinese_numeral(m.group(1))
    return None


def pick_title(candidates: list[str]) -> Optional[str]:
    for cand in candidates:
        for part in re.split(r"[_|]| - ", cand):
            part = _TITLE_LABEL.sub("", clean(part))
            if 6 <= len(part) <= 80 and _TITLE_WORDS.search(part) and not _LABEL_RE.search(part):
                return part
    return None


def extract(doc: Document, result: ParseResult, title_hint: Optional[str] = None) -> None:
    pairs = list(doc.header_pairs)
    for line in doc.header_lines:
        pairs.extend(split_label_runs(line))
    header = result.header
    for label, value in pairs:
        label = norm(label).rstrip(":")
        value = clean(value)
        if label not in header.raw or (not header.raw[label] and value):
            header.raw[label] = value
    for key, labels in FIELD_LABELS.items():
        for lab in labels:
            value = header.raw.get(lab)
            if value:
                setattr(header, key, iso_date(value) if key in DATE_FIELDS else value)
                break
    for key in DATE_FIELDS:
        raw_labels = [lab for lab in FIELD_LABELS[key] if header.raw.get(lab)]
        if raw_labels and getattr(header, key) is None:
            result.warn("date_unparsed", f"header.{key}",
                        f"{raw_labels[0]} {header.raw[raw_labels[0]]!r} is not a date")

    candidates = list(doc.title_candidates)
    if title_hint:
        candidates.insert(0, title_hint)
    result.title = pick_title(candidates)
    if result.title is None:
        result.warn("title_missing", "title", "no title naming an annual report was found")
    result.report_year = report_year(result.title)
    if result.report_year is None:
        for line in doc.lines()[:80]:
            m = re.search(r"((?:19|20)\d{2})\s*年度", line)
            if m:
                result.report_year = int(m.group(1))
                result.warn("year_from_text", "report_year",
                            f"year {result.report_year} taken from the text, not the title")
                break
    if result.report_year is None:
        result.warn("year_unknown", "report_year", "no report year in the title or the text")
