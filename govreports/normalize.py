"""Text normalisation for matching labels: one spelling for what portals write many ways.

Full-width forms, brackets (（）〔〕【】), spaces inside labels (索  引  号), traditional characters
from mirrors and 繁体 toggles. The published text is kept as `raw` elsewhere; this is only for
comparing.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "【": "(", "】": ")", "［": "(", "］": ")",
                           "[": "(", "]": ")", "﹝": "(", "﹞": ")", "“": "", "”": "", "\"": "",
                           "‘": "", "’": "", "'": "", "「": "", "」": "", "『": "", "』": ""})
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _opencc():
    try:
        from opencc import OpenCC  # opencc-python-reimplemented
    except ImportError:  # pragma: no cover - it is a pinned requirement
        return None
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    # Always converted (about 25 µs a label, and norm() is cached): a hint list of traditional
    # characters misses too many (區 縣 貴 澤 辦 鎮 …).
    if text.isascii():
        return text
    cc = _opencc()
    return cc.convert(text) if cc else text


def clean(text: str) -> str:
    """Whitespace cleanup for `raw` values: NBSP and runs of spaces folded, ends trimmed."""
    return _SPACE.sub(" ", text.replace("\xa0", " ").replace("\u3000", " ")).strip()


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """The matching form: NFKC, simplified script, unified brackets, no quotes, no whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    text = text.translate(_BRACKETS)
    return _SPACE.sub("", text)


_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．,，]|\([一二三四五六七八九十]+\)|\d{1,2}[、.．,，](?!\d)|\(\d{1,2}\))+")


def strip_numbering(normed: str) -> str:
    """Drop leading item numbers (一、 (三) 1. 1、) from a normalised label."""
    return _NUMBERING.sub("", normed)
