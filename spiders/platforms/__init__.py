"""Platform adapters by registry platform name, and detection for columns given by hand.

A registry row names its platform; where a platform has variants (Hanweb's jpage lists vs
Jiangxi's server-rendered `?uid=&pageNum=` lists) the page decides among them by each variant's
`detect`, and the platform's default serves when none matches. A column given by hand
(`-a column=URL`) is detected from its page, most specific platform first:

    gkmlpt          a /gkmlpt/ URL, or `window._CONFIG` with a SID
    hanweb Jiangxi  the `?uid=<u>&pageNum=` URL shape on the page
    hanweb          a jpage datastore (`<datastore>`, `.jpage(`), a dataproxy.jsp URL
    vsb             two or more /info/<col>/<id>.htm links, or VSB's /system/resource/ scripts
    trs             createPageHTML, TRS_Editor, or two or more t-date links
    generic         anything else
"""
from __future__ import annotations

from typing import Optional

from spiders.platforms.base import Page, PlatformAdapter
from spiders.platforms.generic import GenericV1
from spiders.platforms.gkmlpt import GkmlptV1
from spiders.platforms.hanweb import HanwebJiangxiV1, HanwebV1
from spiders.platforms.trs import TrsV1
from spiders.platforms.vsb import VsbV1

# The version in use for each platform; older versions stay importable for old snapshots.
ADAPTERS: dict[str, type[PlatformAdapter]] = {
    "trs": TrsV1,
    "hanweb": HanwebV1,
    "gkmlpt": GkmlptV1,
    "vsb": VsbV1,
    "generic": GenericV1,
}
# Variants tried (by `detect` on the page at hand) before the platform's default above.
VARIANTS: dict[str, tuple[type[PlatformAdapter], ...]] = {
    "hanweb": (HanwebJiangxiV1,),
}
# Checked in this order when a column is given by hand; generic accepts anything.
DETECTION_ORDER: tuple[type[PlatformAdapter], ...] = (
    GkmlptV1, HanwebJiangxiV1, HanwebV1, VsbV1, TrsV1, GenericV1)


def adapter_for(platform: str, url: Optional[str] = None,
                text: Optional[str] = None) -> tuple[PlatformAdapter, bool]:
    """(adapter, exact): exact is False when the platform has no adapter and generic stands in.
    With a page (`url`, `text`), the platform's variants are tried first."""
    cls: Optional[type[PlatformAdapter]] = ADAPTERS.get(platform)
    if cls is None:
        return GenericV1(), False
    if text is not None:
        for variant in VARIANTS.get(platform, ()):
            if variant.detect(url or "", text):
                return variant(), True
    return cls(), True


def detect(url: str, text: str) -> PlatformAdapter:
    for cls in DETECTION_ORDER:
        if cls.detect(url, text):
            return cls()
    return GenericV1()


__all__ = ["ADAPTERS", "DETECTION_ORDER", "Page", "PlatformAdapter", "VARIANTS", "adapter_for",
           "detect"]
