"""The offline demo (`python -m govreports demo`): the real spider, pipelines, store and export on
the simulated portal; a second run stores nothing twice."""
from __future__ import annotations

import csv
import socket

import pytest

from govreports import demo
from govreports.mockportal import MockPortal, load_manifest

REPORTS = load_manifest()["reports"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_twice_stores_every_report_once(tmp_path, capsys):
    port = free_port()
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    first = demo.run(out_dir=str(tmp_path / "out"), db_url=db, port=port)
    assert (first["new"], first["unchanged"]) == (len(REPORTS), 0)
    assert first["reports_stored"] == first["versions_stored"] == len(REPORTS)
    assert first["blocked"] == {"rs_ts": 1} and first["robots_forbidden"] == 1
    assert first["errors"] == 0, open(first["log"], encoding="utf-8").read()[-3000:]

    # The second run is incremental: the reports it finds stored are not fetched again. Page 1
    # holds stored reports and one the anti-bot wall refused (known from the fetch log), and the
    # first run walked the whole list, so the second stops at page 1.
    second = demo.run(out_dir=str(tmp_path / "out"), db_url=db, port=port)
    assert (second["new"], second["changed"], second["unchanged"]) == (0, 0, 0)
    column = load_manifest()["column"]
    page_1 = MockPortal().file_bytes(column).decode("utf-8")
    on_page_1 = [p for p in REPORTS if f'href="./{p[len(column):]}"' in page_1]
    assert on_page_1 and second["skipped_known"] == len(on_page_1)
    assert second["reports_stored"] == second["versions_stored"] == len(REPORTS)

    with open(second["csv"]["reports"], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["title"] for r in rows) == sorted(REPORTS.values())
    assert second["cells"] > 0
    out = capsys.readouterr().out
    assert "6 new, 0 changed, 0 unchanged" in out
    assert (f"0 new, 0 changed, 0 unchanged this run; {len(on_page_1)} stored before, not fetched "
            "again") in out


def test_relative_sqlite_paths_are_resolved_against_the_callers_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert demo.absolute_db_url("sqlite:///data/x.sqlite") == f"sqlite:///{tmp_path}/data/x.sqlite"
    assert demo.absolute_db_url("sqlite:////abs/x.sqlite") == "sqlite:////abs/x.sqlite"
    assert demo.absolute_db_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(demo.DemoError, match="in-memory"):
        demo.absolute_db_url("sqlite://")
