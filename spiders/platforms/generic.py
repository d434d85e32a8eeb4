"""Generic adapter: any portal whose platform is unknown or not yet given its own adapter.

It finds the 年报 column by its link text on a 政务公开 page, takes report links by title, and
follows 下一页 and page-number links; the base class already does all of that.
"""
from __future__ import annotations

from spiders.platforms.base import PlatformAdapter


class GenericV1(PlatformAdapter):
    platform = "generic"
    version = 1

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return True
