"""Platform adapters by registry platform name, and detection for columns given by hand.

hanweb, gkmlpt and vsb have no adapter of their own yet: their portals are crawled with the
generic adapter (and the crawl stats say so) until one is written here.
"""
from __future__ import annotations

from typing import Optional

from spiders.platforms.base import Page, PlatformAdapter
from spiders.platforms.generic import GenericV1
from spiders.platforms.trs import TrsV1

# The version in use for each platform; older versions stay importable for old snapshots.
ADAPTERS: dict[str, type[PlatformAdapter]] = {
    "trs": TrsV1,
    "generic": GenericV1,
}
# Checked in this order when a column is given by hand; generic accepts anything.
DETECTION_ORDER: tuple[type[PlatformAdapter], ...] = (TrsV1, GenericV1)


def adapter_for(platform: str) -> tuple[PlatformAdapter, bool]:
    """(adapter, exact): exact is False when the platform has no adapter and generic stands in."""
    cls: Optional[type[PlatformAdapter]] = ADAPTERS.get(platform)
    if cls is None:
        return GenericV1(), False
    return cls(), True


def detect(url: str, text: str) -> PlatformAdapter:
    for cls in DETECTION_ORDER:
        if cls.detect(url, text):
            return cls()
    return GenericV1()


__all__ = ["ADAPTERS", "Page", "PlatformAdapter", "adapter_for", "detect"]
