"""Text normalisation for matching labels: one spelling for what portals write many ways.

Full-width forms, brackets (（）〔〕【】), spaces inside labels (索  引  号), traditional characters
from mirrors and 繁体 toggles. The published text is kept as `raw` elsewhere; this is only for
comparing.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Optional

_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "【": "(", "】": ")", "［": "(", "］": ")",
                           "[": "(", "]": ")", "﹝": "(", "﹞": ")", "“": "", "”": "", "\"": "",
                           "‘": "", "’": "", "'": "", "「": "", "」": "", "『": "", "』": ""})
_BRACKET_MAP = {chr(k): v for k, v in _BRACKETS.items()}
# The same replacement as str.translate(_BRACKETS), at a fraction of its cost on Chinese text
# (translate looks every character up in the table).
_BRACKET_RE = re.compile("[" + re.escape("".join(_BRACKET_MAP)) + "]")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _opencc():
    try:
        from opencc import OpenCC  # opencc-python-reimplemented
    except ImportError:  # pragma: no cover - it is a pinned requirement
        return None
    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _changing_chars() -> Optional[frozenset[str]]:
    """Characters without which OpenCC's t2s leaves a text as it is, taken from its own
    dictionaries: every character it maps to another, and for each phrase it changes that holds
    none of those, the characters where the phrase and its replacement differ. A phrase that maps
    to itself (乾坤) only shields its characters from the character table, so it changes nothing.
    None when the dictionaries are not laid out as expected: then every text is converted."""
    cc = _opencc()
    try:
        cc.convert("")  # loads the dictionaries
        tables = [d for group in cc._dict_chain_data for d in (group if isinstance(group, list) else [group])]
        entries = [(k, v.split(" ")[0]) for _, _, mapping in tables for k, v in mapping.items()]
    except Exception:  # another opencc release: no shortcut, same results
        return None
    chars = {k for k, v in entries if len(k) == 1 and k != v}
    for k, v in entries:
        if len(k) > 1 and k != v and chars.isdisjoint(k):
            chars.update((a for a, b in zip(k, v) if a != b) if len(k) == len(v) else k)
    return frozenset(chars)


@lru_cache(maxsize=1)
def _changing_re() -> re.Pattern:
    """A search for the characters of _changing_chars() (not None), or any astral character,
    where the set's isdisjoint() is left to decide: a regex character class looks a character up
    in a bitmap, isdisjoint() builds a string object per character of the text."""
    bmp = sorted(ch for ch in _changing_chars() or () if ord(ch) <= 0xFFFF)
    return re.compile("[" + "".join(map(re.escape, bmp)) + "\U00010000-\U0010ffff]")


def to_simplified(text: str) -> str:
    # Always converted (a hint list of traditional characters misses too many: 區 縣 貴 澤 辦 鎮 …),
    # but OpenCC's pure-Python matching costs ~0.1 ms a sentence, and most text from the portals is
    # simplified already: a text holding no character t2s would change is returned as it is.
    if text.isascii():
        return text
    cc = _opencc()
    if cc is None:
        return text
    changing = _changing_chars()
    if changing is None:
        return cc.convert(text)
    hit = _changing_re().search(text)
    if hit is None or ord(hit.group()) > 0xFFFF and changing.isdisjoint(text):
        return text
    # OpenCC converts the runs between its separators (punctuation, spaces) one by one: only the
    # runs holding such a character need it (覆 of 覆盖 is one, for 答覆 → 答复).
    split = getattr(cc, "split_chars_re", None)
    if split is None:
        return cc.convert(text)
    parts = split.split(text)
    for i in range(0, len(parts), 2):
        if not changing.isdisjoint(parts[i]):
            parts[i] = cc.convert(parts[i])
    return "".join(parts)


def clean(text: str) -> str:
    """Whitespace cleanup for `raw` values: NBSP and runs of spaces folded, ends trimmed."""
    return _SPACE.sub(" ", text.replace("\xa0", " ").replace("\u3000", " ")).strip()


# Labels are short and recur in every report: those are cached. A paragraph is neither, and
# caching it would keep up to the cache's size in paragraphs alive for the whole crawl.
CACHED_CHARS = 200


def norm(text: str) -> str:
    """The matching form: NFKC, simplified script, unified brackets, no quotes, no whitespace."""
    return _norm_cached(text) if len(text) <= CACHED_CHARS else _norm(text)


def _bracket(m: re.Match) -> str:
    return _BRACKET_MAP[m.group()]


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    text = _BRACKET_RE.sub(_bracket, text)
    return _SPACE.sub("", text)


_norm_cached = lru_cache(maxsize=65536)(_norm)

_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．,，]|\([一二三四五六七八九十]+\)|\d{1,2}[、.．,，](?!\d)|\(\d{1,2}\))+")


def strip_numbering(normed: str) -> str:
    """Drop leading item numbers (一、 (三) 1. 1、) from a normalised label."""
    return _NUMBERING.sub("", normed)


def is_word_char(ch: str) -> bool:
    """A Latin letter or digit: the only characters that need a space between two pieces."""
    return ch.isascii() and ch.isalnum()


def join_pieces(a: str, b: str) -> str:
    """Two pieces of one text run (a cell split over lines, <p>s, PDF chunks): no separator, since
    CJK text has none (商业 / 企业 is 商业企业), but a space between two Latin words."""
    if not a or not b:
        return a or b
    if is_word_char(a[-1]) and is_word_char(b[0]) and not (a[-1].isdigit() and b[0].isdigit()):
        return f"{a} {b}"
    return a + b
