"""The shortcuts bench/parse.py asked for give what the long way gives (issue 7).

Each fast path of the parser stands in for a slower computation it must equal on every input:
the one-character NFKC map of matching_form, the check whether OpenCC would change a text, and a
table cell's text taken without walking it. These tests run both ways on generated input.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from govreports import html, legacy, normalize

# Characters that make the shortcuts take every branch: full-width punctuation and digits,
# compatibility forms (ﬁ ① Ω), combining marks, traditional characters, astral ones.
_TRICKY = ("，：；（）！？％．－／　０１２３ＡＢａｂ①②ﬁΩΩéeé\u0301\u0308。、“”《》—…"
           "政府信息公开申请覆盖答覆乾坤發佈區縣貴澤辦鎮㈠⑴\U00020000\U0002A6D6\U0001F600 ab1\n\t\xa0")
_texts = st.text(alphabet=st.one_of(st.sampled_from(_TRICKY), st.characters()), max_size=40)


@settings(max_examples=400)
@given(_texts)
def test_one_char_nfkc_is_the_translate_it_replaces(text):
    assert legacy._one_char_nfkc(text) == text.translate(legacy._ONE_CHAR_NFKC)


def _to_simplified_reference(text: str) -> str:
    """to_simplified as written before the regex pre-check: the set decides."""
    changing = normalize._changing_chars()
    if text.isascii() or changing is None or changing.isdisjoint(text):
        return text
    cc = normalize._opencc()
    parts = cc.split_chars_re.split(text)
    for i in range(0, len(parts), 2):
        if not changing.isdisjoint(parts[i]):
            parts[i] = cc.convert(parts[i])
    return "".join(parts)


@settings(max_examples=400)
@given(_texts)
def test_to_simplified_precheck_agrees_with_the_character_set(text):
    assert normalize.to_simplified(text) == _to_simplified_reference(text)


_pieces = st.lists(st.sampled_from([
    "12", " 3 ", "商业", "企业", "\u200b", "&nbsp;", "<p>", "</p>", "<br/>", "<span>", "</span>",
    "<!-- c -->", "<div>", "</div>", "<b>x</b>", "\n", "<p>4</p>", "<i></i>"]), max_size=8)


@settings(max_examples=300)
@given(_pieces)
def test_cell_shortcuts_give_the_walked_text(pieces):
    root = etree.fromstring(f"<html><body><table><tr><td>{''.join(pieces)}</td></tr></table>"
                            f"</body></html>".encode(), etree.HTMLParser(encoding="utf-8"))
    td = next(root.iter("td"))
    blocks = next(td.iterdescendants(*html._CELL_BLOCKS), None) is not None
    assert html._has_block(td) == blocks
    assert html._spaced_text(td, set()) == " ".join(html._Lines(set()).walk(td))
    assert html._spaced_text(td, {td}) == " ".join(html._Lines({td}).walk(td))
    page = html._Page(root)
    walker = html._Article(page, html.Document(media_type=html.HTML), None, skip_chrome=False)
    text = html._text(td)
    expected = html._visible(text) if not html._WS.search(text) else (
        html.clean(html._visible(text)) if not blocks else "".join(html._Lines(set()).walk(td)))
    assert walker._cell_text(td) == expected
