"""Dead letters: reports the crawl could not store, kept whole as JSON lines to store later.

When the database is unreachable or a save fails, pipelines.sql.SqlPipeline appends the item to
the dead-letter file (setting GOVREPORTS_DEADLETTER, default data/deadletter.jsonl) instead of
losing it or stopping the crawl. One line per item holds everything `Store.save` needs:

    {"format": 1, "failed_at": "2024-05-01T08:00:03+00:00", "error": "OperationalError: ...",
     "database": "postgresql+psycopg://user:***@host/db", "parser_version": "0.3", "attempts": 1,
     "page": {"url", "body_b64", "headers", "status", "fetched_at", "path", "portal_code",
              "list_url", "title_hint", "attachments": [{"url", "body_b64", "headers", "status",
                                                         "fetched_at", "name"}]},
     "result": {the contract's parse JSON, with decimals as strings so no digit is lost}}

`python -m govreports replay FILE` saves each line. Saving is idempotent (a line stored twice is
'unchanged'), and a page fetched before its report was last seen never displaces the current
version, so a file can be replayed any time, twice, or after later crawls. A line that fails again
is appended, with its new error, to a new dead-letter file beside FILE; FILE is never changed.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Union

from sqlalchemy.engine import make_url

import govreports
from govreports.items import Attachment, ReportPage
from govreports.model import ParseResult

FORMAT = 1
DEFAULT_PATH = "data/deadletter.jsonl"
SETTING = "GOVREPORTS_DEADLETTER"


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _exact(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)  # ParseResult.from_dict reads it back as the same Decimal
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def safe_url(url: Optional[str]) -> Optional[str]:
    """A database URL fit for a file others may read: the password masked."""
    if not url:
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy understands: say nothing of it
        return "<unparsable database URL>"


def record(page: ReportPage, result: ParseResult, error: BaseException | str,
           database: Optional[str] = None) -> dict[str, Any]:
    """The dead-letter line of one item, as a dict."""
    return {
        "format": FORMAT,
        "failed_at": _now(),
        "error": error if isinstance(error, str) else f"{type(error).__name__}: {error}".strip(),
        "database": safe_url(database),
        "parser_version": govreports.PARSER_VERSION,
        "attempts": 1,
        "page": {
            "url": page.url, "body_b64": _b64(page.body), "headers": dict(page.headers or {}),
            "status": page.status, "fetched_at": page.fetched_at, "path": page.path,
            "portal_code": page.portal_code, "list_url": page.list_url, "title_hint": page.title_hint,
            "attachments": [{"url": a.url, "body_b64": _b64(a.body), "headers": dict(a.headers or {}),
                             "status": a.status, "fetched_at": a.fetched_at, "name": a.name}
                            for a in page.attachments],
        },
        "result": asdict(result),
    }


def append(path: Union[str, Path], rec: dict[str, Any]) -> None:
    """Append one line and make sure it is on disk: it may be the only copy of that page."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(rec, ensure_ascii=False, default=_exact) + "\n"
    with path.open("a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def page_of(rec: dict[str, Any]) -> ReportPage:
    p = rec["page"]
    return ReportPage(
        url=p["url"], body=base64.b64decode(p["body_b64"]), headers=dict(p.get("headers") or {}),
        status=p.get("status", 200), fetched_at=p["fetched_at"], path=p.get("path"),
        portal_code=p.get("portal_code"), list_url=p.get("list_url"), title_hint=p.get("title_hint"),
        attachments=[Attachment(url=a["url"], body=base64.b64decode(a["body_b64"]),
                                headers=dict(a.get("headers") or {}), status=a.get("status", 200),
                                fetched_at=a["fetched_at"], name=a.get("name"))
                     for a in p.get("attachments") or []])


def result_of(rec: dict[str, Any]) -> ParseResult:
    return ParseResult.from_dict(rec["result"])


def failed_path_for(path: Union[str, Path]) -> Path:
    """Where lines that fail again go: beside the file, named by the time of the replay."""
    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.stem}.failed-{stamp}{path.suffix or '.jsonl'}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}.failed-{stamp}-{n}{path.suffix or '.jsonl'}")
    return candidate


def replay(store: Any, path: Union[str, Path], failed_path: Optional[Union[str, Path]] = None,
           *, progress: bool = True, on_line: Any = None) -> dict[str, Any]:
    """Save every line of a dead-letter file into `store`.

    Returns {"lines", "stored", "new", "unchanged", "changed", "failed", "failed_file"};
    `on_line(lineno, outcome, url)` is called for each line (outcome "failed" with the error).
    """
    from govreports.progress import Progress
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    summary: dict[str, Any] = {"lines": 0, "stored": 0, "new": 0, "unchanged": 0, "changed": 0,
                               "failed": 0, "failed_file": None}
    out = Path(failed_path) if failed_path else None
    with Progress(len(lines), f"replay {path.name}", unit="lines", enabled=progress) as bar:
        for lineno, line in enumerate(lines, 1):
            bar.advance()
            if not line.strip():
                continue
            summary["lines"] += 1
            rec: Optional[dict[str, Any]] = None
            try:
                rec = json.loads(line)
                outcome = store.save(page_of(rec), result_of(rec), parser_version=rec.get("parser_version"))
            except Exception as exc:  # this line's problem: keep it for later, go on with the rest
                summary["failed"] += 1
                out = out or failed_path_for(path)
                summary["failed_file"] = str(out)
                error = f"{type(exc).__name__}: {exc}".strip()
                if rec is None:
                    # Not JSON (a torn write?): kept exactly as it was, for a human to look at.
                    with Path(out).open("a", encoding="utf-8") as f:
                        f.write(line + "\n")
                else:
                    append(out, {**rec, "error": error, "failed_at": _now(), "database": safe_url(store.url),
                                 "attempts": int(rec.get("attempts") or 1) + 1})
                if on_line:
                    on_line(lineno, "failed", (rec or {}).get("page", {}).get("url"), error)
                continue
            summary["stored"] += 1
            summary[outcome] += 1
            if on_line:
                on_line(lineno, outcome, rec["page"]["url"], None)
    return summary
