"""Where configuration comes from when it is not a Scrapy setting: the database URL rule."""
from __future__ import annotations

import os
from typing import Any, Optional

DATABASE_URL_NAME = "GOVREPORTS_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///data/govreports.sqlite"


def database_url(settings: Optional[Any] = None, explicit: Optional[str] = None) -> str:
    """An explicit URL (CLI flag) first, then the environment variable, then the Scrapy setting."""
    if explicit:
        return explicit
    if os.environ.get(DATABASE_URL_NAME):
        return os.environ[DATABASE_URL_NAME]
    if settings is not None and settings.get(DATABASE_URL_NAME):
        return settings.get(DATABASE_URL_NAME)
    return DEFAULT_DATABASE_URL
