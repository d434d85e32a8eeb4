"""The SQLite file of a JOBDIR crawl (JOBDIR/requests.sqlite): queued requests and the
fingerprints of every request queued, each change one committed transaction.

RequestJournal is the storage only: requests are opaque bytes with a priority and a start flag,
fingerprints opaque bytes. The scheduler that keeps the crash-safety invariant with it, and
decides when a row may go, is spiders/crawling/jobdir.py's JournalScheduler.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Optional

FILENAME = "requests.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, priority INTEGER NOT NULL,
                                  start INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS seen (fp BLOB PRIMARY KEY) WITHOUT ROWID;
"""


class RequestJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        # Autocommit off by hand: each write below is one explicit transaction.
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def seen(self) -> set[bytes]:
        return {fp for (fp,) in self.db.execute("SELECT fp FROM seen")}

    def queued(self) -> list[tuple[int, int, bool]]:
        """(row id, priority, start) of every queued row."""
        return [(i, p, bool(s))
                for i, p, s in self.db.execute("SELECT id, priority, start FROM queue")]

    def add(self, priority: int, start: bool, data: bytes, fp: Optional[bytes]) -> int:
        """Queue a request and record its fingerprint (if any) in one transaction; its row id."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            row_id = self.db.execute("INSERT INTO queue (priority, start, data) VALUES (?, ?, ?)",
                                     (priority, int(start), data)).lastrowid
            if fp is not None:
                self.db.execute("INSERT OR IGNORE INTO seen (fp) VALUES (?)", (fp,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return row_id

    def data(self, row_id: int) -> Optional[bytes]:
        """A queued row's request, None if it is gone."""
        row = self.db.execute("SELECT data FROM queue WHERE id = ?", (row_id,)).fetchone()
        return None if row is None else row[0]

    def ack(self, row_ids: list[int]) -> None:
        """Those requests are done: their rows go, in one transaction."""
        if not row_ids:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("DELETE FROM queue WHERE id = ?", [(i,) for i in row_ids])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def left(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM queue").fetchone()[0]

    def forget_seen(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("DELETE FROM seen")
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()
