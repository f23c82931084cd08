"""Opening a data folder written by an earlier release keeps every case, version, blob, filing, receipt,
event, tracking row and deadline — value for value — and the CLI works on it.

The fixtures in ``tests/data/<name>/`` were written by the old code itself (``make_previous_db.py``):
``previous`` by the last landed release (schema 0002), ``rev0001`` by the last commit before the
tracker tables (schema 0001), so opening it runs the real 0001 → 0002 migration. ``manifest.json``
holds every row as the old code stored it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kameng_filer import paths
from kameng_filer.cli import app
from kameng_filer.store import Store
from kameng_filer.store.engine import HEAD_REVISION

DATA = Path(__file__).resolve().parent / "data"
FIXTURES = sorted(p.parent.name for p in DATA.glob("*/manifest.json"))


def _manifest(name: str) -> dict[str, Any]:
    return json.loads((DATA / name / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(params=FIXTURES)
def old_home(request: pytest.FixtureRequest, kameng_home: Path) -> tuple[str, dict[str, Any]]:
    """This test's data folder holding a copy of the fixture; (name, manifest)."""
    name = request.param
    shutil.copyfile(DATA / name / "kameng.sqlite3", paths.db_path())
    shutil.copytree(DATA / name / "blobs", paths.blobs_dir(), dirs_exist_ok=True)
    return name, _manifest(name)


def _rows(con: sqlite3.Connection, table: str, columns: list[str], pk: list[str]) -> dict[tuple, dict]:
    got = con.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall()
    return {tuple(r[columns.index(k)] for k in pk): dict(zip(columns, r, strict=True)) for r in got}


def test_fixtures_exist_for_the_previous_release_and_schema_0001() -> None:
    assert {"previous", "rev0001"} <= set(FIXTURES)
    assert _manifest("previous")["tables"]["alembic_version"]["rows"] == [["0002"]]
    assert _manifest("rev0001")["tables"]["alembic_version"]["rows"] == [["0001"]]
    for name in FIXTURES:
        size = (DATA / name / "kameng.sqlite3").stat().st_size
        size += sum(p.stat().st_size for p in (DATA / name / "blobs").rglob("*") if p.is_file())
        assert size < 1_500_000, f"{name} fixture is {size} bytes"


def test_upgrade_keeps_every_row_with_the_same_values(old_home: tuple[str, dict[str, Any]]) -> None:
    name, manifest = old_home
    store = Store.open()  # upgrades the schema when it is older
    store.close()
    con = sqlite3.connect(paths.db_path())
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]
        for table, old in manifest["tables"].items():
            if table == "alembic_version":
                continue
            now = _rows(con, table, old["columns"], old["pk"])
            assert len(now) == len(old["rows"]), (
                f"{name}: {table} has {len(now)} rows, was {len(old['rows'])}"
            )
            for row in old["rows"]:
                before = dict(zip(old["columns"], row, strict=True))
                key = tuple(before[k] for k in old["pk"])
                assert now.get(key) == before, f"{name}: {table} row {key} changed"
    finally:
        con.close()


def test_current_code_reads_every_case_filing_receipt_and_blob(old_home: tuple[str, dict[str, Any]]) -> None:
    name, manifest = old_home
    tables = manifest["tables"]

    def table(t: str) -> list[dict[str, Any]]:
        return [dict(zip(tables[t]["columns"], r, strict=True)) for r in tables[t]["rows"]]

    with Store.open() as store:
        assert sorted(c.id for c in store.list_cases()) == sorted(r["id"] for r in table("cases"))
        for version in table("case_versions"):
            case = store.get_case(version["case_id"], version["version"])
            assert case.id == version["case_id"]
            rows = store.evidence_index(version["case_id"], version["version"])
            assert [r.evidence_id for r in rows] == [e.id for e in case.evidence]
        for blob in table("blobs"):
            data = store.blobs.read_bytes(blob["sha256"])
            assert hashlib.sha256(data).hexdigest() == blob["sha256"] and len(data) == blob["size"]
        old_filings = {r["id"]: r for r in table("filings")}
        filings = store.filings()
        assert {f.id for f in filings} == set(old_filings)
        for f in filings:
            old = old_filings[f.id]
            assert (f.case_id, f.channel, f.generation, f.state, f.complaint_no) == (
                old["case_id"],
                old["channel"],
                old["generation"],
                old["state"],
                old["complaint_no"],
            )
            assert f.receipt == (json.loads(old["receipt_json"]) if old["receipt_json"] else None)
            if f.state == "submitted":
                assert f.receipt["complaint_no"] == f.complaint_no and f.submitted_at is not None
        for case_id in {r["id"] for r in table("cases")}:
            events = store.events(case_id)
            assert len(events) == sum(1 for e in table("events") if e["case_id"] == case_id)
    submitted = [r for r in table("filings") if r["state"] == "submitted"]
    assert submitted, f"{name}: the fixture has receipts"
    if "tracking" in tables:  # written by a release with the tracker
        from kameng_filer.tracker.models import DbDeadline, DbTracking

        with Store.open() as store, store.session() as s:
            assert s.query(DbTracking).count() == len(tables["tracking"]["rows"]) > 0
            assert s.query(DbDeadline).count() == len(tables["deadlines"]["rows"]) > 0


def test_status_and_timeline_work_on_the_old_data(old_home: tuple[str, dict[str, Any]]) -> None:
    _, manifest = old_home
    tables = manifest["tables"]
    filings = [dict(zip(tables["filings"]["columns"], r, strict=True)) for r in tables["filings"]["rows"]]
    runner = CliRunner()
    overview = runner.invoke(app, ["status", "--now", "2026-11-20T10:00:00"])
    assert overview.exit_code == 0, overview.output
    for case_id in {f["case_id"] for f in filings}:
        assert case_id in overview.output
        status = runner.invoke(app, ["status", case_id, "--now", "2026-11-20T10:00:00", "--json"])
        assert status.exit_code == 0, status.output
        json.loads(status.output)
        timeline = runner.invoke(app, ["timeline", case_id])
        assert timeline.exit_code == 0, timeline.output
        for f in filings:
            if f["case_id"] == case_id and f["complaint_no"] and f["channel"] != "email":
                assert f["complaint_no"] in status.output + timeline.output
