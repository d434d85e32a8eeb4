"""Dead letters: an unreachable or failing database never stops the crawl, nothing is lost, and
`replay` stores every item exactly once (on SQLite and PostgreSQL)."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from govreports import cli, deadletter
from govreports.config import DATABASE_URL_NAME
from govreports.items import Attachment
from govreports.model import Cell
from govreports.store import Store
from pipelines import sql as sql_pipeline
from pipelines.sql import DEADLETTERED, SqlPipeline
from tests.test_store import URL, make_page, make_result

ROOT = Path(__file__).resolve().parents[1]
# Nothing listens on port 1: connecting is refused at once.
UNREACHABLE = "postgresql+psycopg://crawler:secret@127.0.0.1:1/govreports"
OTHER = "https://www.guixi.gov.cn/art/2021/1/20/art_1_2.html"


def _items():
    """What a crawl yields: a report fetched twice unchanged, then changed, and a second report
    with a PDF attachment and an exact decimal."""
    items = []
    for body, natural, when in ((b"<html>v1</html>", 64, "2024-05-01T08:00:00+00:00"),
                                (b"<html>v1</html>", 64, "2024-05-02T08:00:00+00:00"),
                                (b"<html>v2</html>", 70, "2024-05-03T08:00:00+00:00")):
        page = make_page(body, fetched_at=when, title_hint="贵溪市2019年年报")
        page.result = make_result(new_natural=natural)
        items.append(page)
    page = make_page(b"<html>other</html>", url=OTHER, attachments=[
        Attachment("https://www.guixi.gov.cn/files/nb.pdf", b"%PDF-1.7 \x00\xff", name="年报.pdf")])
    page.result = make_result(year=2020)
    page.result.cells.append(Cell("active", "fees", "amount_wan_yuan", Decimal("0.123456789012345678"),
                                  "0.123456789012345678"))
    items.append(page)
    return items


def _pipeline(url: str, path: Path, retry: float = 30.0):
    crawler = get_crawler(settings_dict={DATABASE_URL_NAME: url, deadletter.SETTING: str(path),
                                         "GOVREPORTS_DATABASE_RETRY_SECONDS": retry})
    return SqlPipeline.from_crawler(crawler), crawler.stats


@pytest.fixture
def dead_letters(tmp_path, monkeypatch):
    """The dead-letter file of a crawl whose database was unreachable throughout."""
    monkeypatch.delenv(DATABASE_URL_NAME, raising=False)
    opened = []
    monkeypatch.setattr(sql_pipeline, "Store", lambda url: opened.append(url) or Store(url))
    path = tmp_path / "dl" / "deadletter.jsonl"
    pipeline, stats = _pipeline(UNREACHABLE, path)
    pipeline.open_spider()  # no exception: the crawl starts anyway
    items = _items()
    for item in items:
        assert pipeline.save_item(item) is item
    pipeline.close_spider()
    assert stats.get_value(DEADLETTERED) == stats.get_value(f"{DEADLETTERED}/OperationalError") == 4
    assert opened == [UNREACHABLE]  # tried once, then left alone for the retry interval
    assert stats.get_value("govreports/stored_new") == 0
    return path


def test_an_unreachable_database_dead_letters_every_item(dead_letters):
    lines = [json.loads(line) for line in dead_letters.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4
    first = lines[0]
    assert first["error"].startswith("OperationalError") and "127.0.0.1" in first["error"]
    assert first["database"] == "postgresql+psycopg://crawler:***@127.0.0.1:1/govreports"
    assert "secret" not in dead_letters.read_text(encoding="utf-8")
    assert base64.b64decode(first["page"]["body_b64"]) == b"<html>v1</html>"
    assert first["page"]["title_hint"] == "贵溪市2019年年报"
    assert first["result"]["cells"][0] == {"table": "requests", "row": "new", "col": "natural_person",
                                           "value": 64, "raw": "64", "inferred": False, "origin": "table"}
    pdf = lines[3]["page"]["attachments"][0]
    assert base64.b64decode(pdf["body_b64"]) == b"%PDF-1.7 \x00\xff" and pdf["name"] == "年报.pdf"


def test_replay_stores_everything_exactly_once(dead_letters, db_url):
    original = dead_letters.read_bytes()
    with Store(db_url) as store:
        summary = deadletter.replay(store, dead_letters, progress=False)
        assert summary == {"lines": 4, "stored": 4, "new": 2, "unchanged": 1, "changed": 1, "failed": 0,
                           "failed_file": None}
        counts = store.counts()
        assert (counts["reports"], counts["report_versions"], counts["raw_pages"]) == (2, 3, 4)
        assert store.result_for(URL).value("requests", "new", "natural_person") == 70
        assert store.result_for(OTHER).value("active", "fees", "amount_wan_yuan") == \
            Decimal("0.123456789012345678")
        assert store.raw_body(OTHER, role="attachment") == b"%PDF-1.7 \x00\xff"
        assert store.versions(URL)[0].title_hint == "贵溪市2019年年报"
        # Again: nothing new.
        again = deadletter.replay(store, dead_letters, progress=False)
        assert (again["stored"], again["unchanged"], again["failed"]) == (4, 4, 0)
        assert store.counts() == counts
    assert dead_letters.read_bytes() == original


def test_a_late_replay_does_not_displace_a_newer_version(dead_letters, db_url):
    with Store(db_url) as store:
        newer = make_page(b"<html>v3</html>", fetched_at="2024-06-01T08:00:00+00:00")
        store.save(newer, make_result(new_natural=99))
        summary = deadletter.replay(store, dead_letters, progress=False)
        assert summary["failed"] == 0
        assert store.result_for(URL).value("requests", "new", "natural_person") == 99
        # The replayed contents are kept as history all the same.
        assert len(store.versions(URL)) == 3


def test_a_line_that_fails_again_goes_to_a_new_file_and_nothing_is_lost(dead_letters, tmp_path, capsys):
    lines = dead_letters.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[3])
    broken["result"]["cells"].append(broken["result"]["cells"][0])  # duplicate keys: refused
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([lines[0], json.dumps(broken, ensure_ascii=False), "{torn wri", ""]),
                     encoding="utf-8")
    url = f"sqlite:///{tmp_path}/replay.sqlite"
    assert cli.main(["replay", str(mixed), "--db", url, "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert f"1\tnew\t{URL}" in out and "2\tfailed\t" + OTHER in out and "IntegrityError" in out
    assert "3 line(s), 1 stored (1 new, 0 changed, 0 unchanged), 2 failed ->" in out
    (failed,) = tmp_path.glob("mixed.failed-*.jsonl")
    kept = failed.read_text(encoding="utf-8").splitlines()
    assert len(kept) == 2 and kept[1] == "{torn wri"
    again = json.loads(kept[0])
    assert again["attempts"] == 2 and again["error"].startswith("IntegrityError")
    assert again["page"] == broken["page"] and again["result"] == broken["result"]
    with Store(url) as store:
        assert store.counts()["reports"] == 1


def test_a_failed_write_dead_letters_that_item_only(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_NAME, raising=False)
    path = tmp_path / "dl.jsonl"
    pipeline, stats = _pipeline(f"sqlite:///{tmp_path}/x.sqlite", path)
    pipeline.open_spider()
    bad = make_page(b"bad", url=OTHER)
    bad.result = make_result()
    bad.result.cells.append(bad.result.cells[0])
    good = make_page(b"good")
    good.result = make_result()
    assert pipeline.save_item(bad) is bad
    assert pipeline.save_item(good) is good  # the database was not given up on
    pipeline.close_spider()
    assert (stats.get_value(DEADLETTERED), stats.get_value(f"{DEADLETTERED}/IntegrityError"),
            stats.get_value("govreports/stored_new")) == (1, 1, 1)
    assert json.loads(path.read_text(encoding="utf-8"))["page"]["url"] == OTHER


def test_a_conflict_dead_letters_that_item_and_keeps_the_database(tmp_path, monkeypatch):
    """A report that met a deadlock three times is dead-lettered; the database is not given up on."""
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    monkeypatch.delenv(DATABASE_URL_NAME, raising=False)
    pipeline, stats = _pipeline(f"sqlite:///{tmp_path}/x.sqlite", tmp_path / "dl.jsonl")
    pipeline.open_spider()
    real = Store.save_many
    conflict = OperationalError("INSERT", {}, Deadlock("deadlock detected"))
    monkeypatch.setattr(Store, "save_many", lambda self, pages, **kw: [
        conflict if p.url == OTHER else real(self, [(p, r)], **kw)[0] for p, r in pages])
    bad = make_page(b"other", url=OTHER)
    bad.result = make_result()
    good = make_page(b"good")
    good.result = make_result()
    pipeline.save_item(bad)
    pipeline.save_item(good)
    pipeline.close_spider()
    assert (stats.get_value(DEADLETTERED), stats.get_value("govreports/stored_new")) == (1, 1)
    assert pipeline._down_error is None  # the good report after it was stored, not dead-lettered


def test_the_pipeline_stores_again_once_the_database_is_back(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_NAME, raising=False)
    blocker = tmp_path / "db"
    blocker.write_text("a file where the database folder should be")
    pipeline, stats = _pipeline(f"sqlite:///{blocker}/x.sqlite", tmp_path / "dl.jsonl", retry=0)
    pipeline.open_spider()
    first, second = _items()[0], _items()[2]
    pipeline.save_item(first)
    blocker.unlink()
    pipeline.save_item(second)
    pipeline.close_spider()
    assert (stats.get_value(DEADLETTERED), stats.get_value("govreports/stored_new")) == (1, 1)


CRAWL = textwrap.dedent("""
    import json, sys
    from scrapy import Spider
    from scrapy.crawler import CrawlerProcess
    from tests.test_store import make_page, make_result

    class Reports(Spider):
        name = "reports"

        async def start(self):
            for body in (b"v1", b"v2", b"v3"):
                page = make_page(body, url="https://x.gov.cn/" + body.decode())
                page.result = make_result()
                yield page

    process = CrawlerProcess({"ITEM_PIPELINES": {"pipelines.sql.SqlPipeline": 800},
                              "GOVREPORTS_DATABASE_URL": sys.argv[1], "GOVREPORTS_DEADLETTER": sys.argv[2],
                              "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False})
    crawler = process.create_crawler(Reports)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({k: v for k, v in stats.items() if k.startswith(("govreports/", "item_"))}))
""")


def test_a_real_crawl_goes_on_without_its_database(tmp_path):
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL, encoding="utf-8")
    path = tmp_path / "dl.jsonl"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(script), UNREACHABLE, str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (stats["item_scraped_count"], stats[DEADLETTERED], stats["govreports/stored_new"]) == (3, 3, 0)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3
    assert "database postgresql+psycopg://crawler:***@127.0.0.1:1/govreports unavailable" in proc.stderr
