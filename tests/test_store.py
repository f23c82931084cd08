"""The local store on a real SQLite file in this test's KAMENG_HOME: import, versions, blobs, filings, migrations."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kameng_filer import paths
from kameng_filer.case import load_case
from kameng_filer.errors import AlreadyFiled, CaseInvalid, CaseUnreadable, StoreError
from kameng_filer.schema import METADATA
from kameng_filer.store import (
    HEAD_REVISION,
    CaseNotFound,
    FilingStateConflict,
    Store,
    extension_conflict,
    sniff_mime,
)
from kameng_filer.store.models import DbFiling
from kameng_filer.timeutil import SHANGHAI
from tests import canaries

ROOT = Path(__file__).resolve().parent.parent
CASE_ID = "km-2026-0001"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(db: Path) -> dict[str, int]:
    """Row counts of every table, read with plain sqlite3 (independent of the store's code)."""
    con = sqlite3.connect(db)
    try:
        tables = ["cases", "case_versions", "blobs", "version_evidence", "filings", "events"]
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


@pytest.fixture
def store(kameng_home: Path):
    s = Store.open()
    yield s
    s.close()


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


# ------------------------------------------------------------------ import


def test_import_example_stores_db_and_blobs_in_kameng_home(
    store: Store, example_case: Path, kameng_home: Path
):
    result = store.import_case(example_case)
    assert (result.case_id, result.version, result.created) == (CASE_ID, 1, True)
    assert store.path == kameng_home / "kameng.sqlite3" == paths.db_path()
    assert store.path.is_file()
    ids = [r.evidence_id for r in result.evidence]
    assert ids == ["order", "payment", "chat", "balance"]
    for row in result.evidence:
        original = example_case.parent / "evidence" / row.original_name
        assert row.sha256 == sha(original)
        assert row.size == original.stat().st_size
        assert row.mime == "image/png"
        assert row.path == kameng_home / "blobs" / row.sha256[:2] / row.sha256[2:]
        assert row.path.read_bytes() == original.read_bytes()
    assert result.warnings == []
    assert counts(store.path) == {
        "cases": 1,
        "case_versions": 1,
        "blobs": 4,
        "version_evidence": 4,
        "filings": 0,
        "events": 1,
    }
    assert store.case_text(CASE_ID) == example_case.read_text(encoding="utf-8")


def test_import_accepts_the_case_folder(store: Store, example_case: Path):
    assert store.import_case(example_case.parent).case_id == CASE_ID


def test_reimport_unchanged_creates_no_new_version(store: Store, example_case: Path):
    first = store.import_case(example_case)
    before = counts(store.path)
    again = store.import_case(example_case)
    assert (again.version, again.created) == (1, False)
    assert [r.sha256 for r in again.evidence] == [r.sha256 for r in first.evidence]
    assert counts(store.path) == before
    assert len(store.case_versions(CASE_ID)) == 1


def test_edit_and_reimport_keeps_version_1_and_its_evidence(store: Store, example_case: Path):
    original_text = example_case.read_text(encoding="utf-8")
    chat = example_case.parent / "evidence" / "chat.png"
    chat_v1 = chat.read_bytes()
    store.import_case(example_case)

    example_case.write_text(
        original_text.replace("王者荣耀点券充值未到账", "点券充值未到账(补充)"), encoding="utf-8"
    )
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (1, 2, 3)).save(buf, format="PNG")
    chat.write_bytes(buf.getvalue())
    result = store.import_case(example_case)
    assert (result.version, result.created) == (2, True)

    v1 = store.get_case(CASE_ID, 1)
    v2 = store.get_case(CASE_ID)
    assert v1.title == "王者荣耀点券充值未到账"
    assert v2.title == "点券充值未到账(补充)"
    assert store.case_text(CASE_ID, 1) == original_text
    assert v1.evidence_by_id("chat").path.read_bytes() == chat_v1
    assert v2.evidence_by_id("chat").path.read_bytes() == buf.getvalue()
    idx1 = {r.evidence_id: r for r in store.evidence_index(CASE_ID, 1)}
    assert idx1["chat"].sha256 == hashlib.sha256(chat_v1).hexdigest()
    assert idx1["chat"].path.read_bytes() == chat_v1
    versions = store.case_versions(CASE_ID)
    assert [v.version for v in versions] == [1, 2]
    assert [v.evidence_count for v in versions] == [4, 4]
    summary = store.list_cases()[0]
    assert (summary.versions, summary.current_version, summary.title) == (2, 2, "点券充值未到账(补充)")
    imported = store.events(CASE_ID, kinds=["imported"])
    assert [e.data["version"] for e in imported] == [1, 2]


def test_changed_evidence_alone_makes_a_new_version(store: Store, example_case: Path):
    store.import_case(example_case)
    (example_case.parent / "evidence" / "balance.png").write_bytes(jpeg_bytes())
    result = store.import_case(example_case)
    assert (result.version, result.created) == (2, True)
    assert store.case_text(CASE_ID, 1) == store.case_text(CASE_ID, 2)


def test_identical_evidence_is_stored_once(store: Store, example_case: Path, kameng_home: Path):
    ev = example_case.parent / "evidence"
    (ev / "balance.png").write_bytes((ev / "order.png").read_bytes())
    result = store.import_case(example_case)
    by_id = {r.evidence_id: r for r in result.evidence}
    assert by_id["order"].sha256 == by_id["balance"].sha256
    assert by_id["order"].path == by_id["balance"].path
    blob_files = [p for p in (kameng_home / "blobs").rglob("*") if p.is_file()]
    assert len(blob_files) == 3
    assert counts(store.path)["blobs"] == 3
    assert counts(store.path)["version_evidence"] == 4


def test_get_case_rematerialises_with_blob_paths(store: Store, example_case: Path, kameng_home: Path):
    store.import_case(example_case)
    loaded = load_case(example_case).case
    stored = store.get_case(CASE_ID)
    assert stored.model_dump() == loaded.model_dump()
    for ev in stored.evidence:
        assert ev.path.parent.parent == kameng_home / "blobs"
        assert ev.path.read_bytes() == (example_case.parent / ev.file).read_bytes()


def test_mime_is_sniffed_from_content_not_extension(store: Store, example_case: Path):
    (example_case.parent / "evidence" / "order.png").write_bytes(jpeg_bytes())
    result = store.import_case(example_case)
    order = result.evidence[0]
    assert order.mime == "image/jpeg"
    assert order.expected_mime == "image/png"
    assert store.evidence_index(CASE_ID)[0].mime == "image/jpeg"
    [warning] = result.warnings
    assert (warning.code, warning.severity, warning.path) == (
        "evidence.type_mismatch",
        "warning",
        "evidence[0].file",
    )
    assert "JPEG" in warning.message and "PNG" in warning.message


def _ftyp(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"mp41"


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
        (_ftyp(b"isom"), "video/mp4"),
        (_ftyp(b"qt  "), "video/quicktime"),
        (_ftyp(b"heic"), "image/heic"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "video/webm"),
        ("2026-11-02 15:31 商家:系统延迟\n".encode(), "text/plain"),
        ("商家称系统延迟".encode("gb18030"), "text/plain"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "text/html"),
        (bytes(range(256)), "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_sniff_mime(head: bytes, mime: str):
    assert sniff_mime(head) == mime


def test_sniff_text_cut_inside_a_multibyte_character():
    data = ("证据" * 5000).encode()
    assert sniff_mime(data[:8192]) == sniff_mime(data[:8191]) == "text/plain"


def test_extension_conflict():
    assert extension_conflict("a.png", "image/jpeg") == "image/png"
    assert extension_conflict("a.JPG", "image/jpeg") is None
    assert extension_conflict("a.mov", "video/mp4") is None
    assert extension_conflict("chat.txt", "text/html") is None
    assert extension_conflict("noext", "image/png") is None


# ----------------------------------------------------------- refused input


def _break_amount(case: Path) -> None:
    case.write_text(
        case.read_text(encoding="utf-8").replace("amount: 100.00", "amount: abc", 1), encoding="utf-8"
    )


def test_invalid_case_is_refused_and_db_unchanged(store: Store, example_case: Path):
    store.import_case(example_case)
    before = counts(store.path)
    _break_amount(example_case)
    with pytest.raises(CaseInvalid) as info:
        store.import_case(example_case)
    assert "未导入" in info.value.message
    assert [f.path for f in info.value.issues] == ["order.amount"]
    assert counts(store.path) == before


def test_missing_evidence_is_refused_with_every_finding(store: Store, example_case: Path):
    (example_case.parent / "evidence" / "chat.png").unlink()
    (example_case.parent / "evidence" / "balance.png").write_bytes(b"")
    with pytest.raises(CaseInvalid) as info:
        store.import_case(example_case)
    found = {(f.code, f.path) for f in info.value.issues}
    assert found == {("evidence.missing", "evidence[2].file"), ("evidence.empty", "evidence[3].file")}
    assert all(f.line for f in info.value.issues)
    assert "证据文件不存在" in next(f.message for f in info.value.issues if f.code == "evidence.missing")
    assert counts(store.path) == dict.fromkeys(counts(store.path), 0)
    assert store.list_cases() == []


def test_duplicate_evidence_id_is_refused(store: Store, example_case: Path):
    text_ = example_case.read_text(encoding="utf-8").replace("- id: balance", "- id: chat")
    example_case.write_text(text_, encoding="utf-8")
    with pytest.raises(CaseInvalid) as info:
        store.import_case(example_case)
    assert [(f.code, f.path) for f in info.value.issues] == [("evidence.duplicate_id", "evidence[3].id")]


def test_unreadable_case_file(store: Store, tmp_path: Path):
    with pytest.raises(CaseUnreadable):
        store.import_case(tmp_path / "nope.yaml")


def test_failure_inside_the_transaction_leaves_nothing(store: Store, example_case: Path):
    """A real database failure half-way through an import (a trigger aborts the evidence rows)."""
    con = sqlite3.connect(store.path)
    con.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON version_evidence WHEN NEW.evidence_id = 'chat' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    con.commit()
    con.close()
    with pytest.raises(StoreError) as info:
        store.import_case(example_case)
    assert "没有保存任何内容" in info.value.message
    assert counts(store.path) == dict.fromkeys(counts(store.path), 0)


# ------------------------------------------------------------ not found


def test_unknown_case_and_version(store: Store, example_case: Path):
    with pytest.raises(CaseNotFound, match="没有案件"):
        store.get_case("nope")
    store.import_case(example_case)
    with pytest.raises(CaseNotFound, match="没有第 7 版"):
        store.evidence_index(CASE_ID, 7)
    with pytest.raises(CaseNotFound):
        store.case_versions("nope")
    assert isinstance(CaseNotFound("x"), StoreError)


# -------------------------------------------------------------- filings


def test_filing_lifecycle_and_events(store: Store, example_case: Path):
    store.import_case(example_case)
    t0 = datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
    f = store.create_filing(CASE_ID, "email", plan={"subject": "投诉"}, at=t0)
    assert (f.state, f.generation, f.case_version, f.purpose, f.retryable) == (
        "planned",
        1,
        1,
        "complaint",
        False,
    )
    assert f.plan == {"subject": "投诉"}
    assert f.created_at == t0

    t1 = datetime(2026, 11, 3, 10, 1, tzinfo=SHANGHAI)
    f = store.update_filing(f.id, expect_state="planned", state="submitting", at=t1)
    assert f.submitting_at == t1
    t2 = datetime(2026, 11, 3, 10, 2, tzinfo=SHANGHAI)
    f = store.update_filing(
        f.id,
        state="submitted",
        complaint_no="TK123",
        receipt={"no": "TK123"},
        evidence_hashes={"order": "ab"},
        at=t2,
    )
    assert (f.state, f.complaint_no, f.submitted_at, f.receipt) == ("submitted", "TK123", t2, {"no": "TK123"})
    assert f.receipt_json == '{"no": "TK123"}'
    f = store.update_filing(f.id, error=None, at=t2)  # no state change → no new event

    states = [(e.data["from"], e.data["to"]) for e in store.events(CASE_ID, kinds=["filing_state"])]
    assert states == [(None, "planned"), ("planned", "submitting"), ("submitting", "submitted")]
    assert all(e.filing_id == f.id for e in store.events(CASE_ID, kinds=["filing_state"]))
    assert store.events(CASE_ID, kinds=["filing_state"])[-1].data["complaint_no"] == "TK123"
    assert store.get_filing(CASE_ID, "email") == f
    assert store.get_filing_by_id(f.id) == f
    assert store.get_filing(CASE_ID, "heimao") is None
    assert store.filings(states=["submitted"]) == [f]
    assert store.filings(case_id=CASE_ID, states=["failed"]) == []
    assert store.list_cases()[0].filings == 1


def test_create_filing_twice_raises_already_filed(store: Store, example_case: Path):
    store.import_case(example_case)
    first = store.create_filing(CASE_ID, "card_platform")
    with pytest.raises(AlreadyFiled) as info:
        store.create_filing(CASE_ID, "card_platform")
    assert info.value.filing == first
    assert "--again" in info.value.hint
    again = store.create_filing(CASE_ID, "card_platform", generation=None, force_reason="平台要求重新提交")
    assert again.generation == 2
    assert store.get_filing(CASE_ID, "card_platform").id == again.id
    assert store.get_filing(CASE_ID, "card_platform", generation=1).id == first.id
    other_purpose = store.create_filing(CASE_ID, "card_platform", purpose="follow_up")
    assert other_purpose.generation == 1


def test_unique_constraint_is_in_the_database(store: Store, example_case: Path):
    """Bypassing the store's own check, SQLite itself refuses a second row for the same key."""
    store.import_case(example_case)
    store.create_filing(CASE_ID, "email")
    now_ = datetime.now(UTC)
    with pytest.raises(IntegrityError), store.transaction() as s:
        s.add(DbFiling(case_id=CASE_ID, case_version=1, channel="email", created_at=now_, updated_at=now_))


def test_compare_and_set_state(store: Store, example_case: Path):
    store.import_case(example_case)
    f = store.create_filing(CASE_ID, "alipay")
    store.update_filing(f.id, expect_state="planned", state="submitting")
    with pytest.raises(FilingStateConflict) as info:
        store.update_filing(f.id, expect_state="planned", state="submitting", error="late")
    assert info.value.state == "submitting"
    assert store.get_filing_by_id(f.id).error is None
    store.update_filing(
        f.id, expect_state={"submitting", "failed"}, state="failed", retryable=True, error="超时"
    )
    assert store.get_filing_by_id(f.id).retryable is True


def test_filing_arguments_are_checked(store: Store, example_case: Path):
    store.import_case(example_case)
    with pytest.raises(ValueError, match="unknown filing state"):
        store.create_filing(CASE_ID, "email", state="done")
    f = store.create_filing(CASE_ID, "email")
    with pytest.raises(TypeError, match="unknown fields"):
        store.update_filing(f.id, colour="red")
    with pytest.raises(TypeError):
        store.update_filing(f.id, plan={}, plan_json="{}")
    with pytest.raises(CaseNotFound):
        store.create_filing("nope", "email")
    with pytest.raises(CaseNotFound):
        store.create_filing(CASE_ID, "heimao", case_version=9)


def test_json_columns_accept_text_and_redact_secrets(store: Store, example_case: Path):
    store.import_case(example_case)
    plan = f'{{"to": "a@b.cn", "smtp_password": "{canaries.STORE_SECRET}"}}'
    f = store.create_filing(CASE_ID, "email", plan_json=plan)
    assert f.plan == {"to": "a@b.cn", "smtp_password": "***"}
    f = store.update_filing(
        f.id, submitted_values={"正文": "订单号", "login": {"Password": "x", "token": "y"}}
    )
    assert f.submitted_values == {"正文": "订单号", "login": {"Password": "***", "token": "***"}}
    raw = (
        sqlite3.connect(store.path).execute("SELECT plan_json, submitted_values_json FROM filings").fetchone()
    )
    assert canaries.STORE_SECRET not in raw[0] and '"x"' not in raw[1]
    assert "订单号" in raw[1]  # stored as UTF-8 text, not \\u escapes


def _race_worker(db: str, barrier, results) -> None:  # module level: picklable for spawn
    from kameng_filer.errors import AlreadyFiled
    from kameng_filer.store import Store

    store = Store.open(db)
    barrier.wait(timeout=60)
    try:
        store.create_filing("km-2026-0001", "email")
        results.put("created")
    except AlreadyFiled:
        results.put("already")
    finally:
        store.close()


@pytest.mark.slow
def test_concurrent_create_filing_makes_exactly_one_row(store: Store, example_case: Path):
    store.import_case(example_case)
    ctx = multiprocessing.get_context("spawn")
    n = 3
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [ctx.Process(target=_race_worker, args=(str(store.path), barrier, results)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in range(n))
    assert outcomes == ["already"] * (n - 1) + ["created"]
    assert counts(store.path)["filings"] == 1


def _open_worker(db: str, barrier, results) -> None:
    from kameng_filer.store import Store

    barrier.wait(timeout=60)
    with Store.open(db) as store:
        results.put(len(store.list_cases()))


@pytest.mark.slow
def test_concurrent_first_open_migrates_once(kameng_home: Path):
    db = kameng_home / "fresh.sqlite3"
    ctx = multiprocessing.get_context("spawn")
    n = 3
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [ctx.Process(target=_open_worker, args=(str(db), barrier, results)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    assert [results.get(timeout=5) for _ in range(n)] == [0] * n
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]


# ---------------------------------------------------------------- events


def test_events_dedupe_key_and_order(store: Store, example_case: Path):
    store.import_case(example_case, at=datetime(2026, 11, 2, 18, 0, tzinfo=SHANGHAI))
    late = datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)
    early = datetime(2026, 11, 5, 9, 0, tzinfo=SHANGHAI)
    first = store.add_event(CASE_ID, "follow_up", {"text": "请问处理进度"}, at=late, dedupe_key="fu:1")
    second = store.add_event(CASE_ID, "follow_up", {"text": "重复"}, at=late, dedupe_key="fu:1")
    assert first.created and not second.created and second.id == first.id
    store.add_event(CASE_ID, "note", {"text": "电话沟通"}, at=early)
    assert [e.kind for e in store.events(CASE_ID)] == ["imported", "note", "follow_up"]
    assert store.events(CASE_ID, kinds=["follow_up"])[0].data == {"text": "请问处理进度"}
    with pytest.raises(CaseNotFound):
        store.add_event("nope", "note")


def test_times_are_stored_as_utc_and_read_back_in_shanghai(store: Store, example_case: Path):
    at = datetime(2026, 11, 2, 23, 30, tzinfo=SHANGHAI)
    store.import_case(example_case, at=at)
    raw = sqlite3.connect(store.path).execute("SELECT imported_at FROM case_versions").fetchone()[0]
    assert raw.startswith("2026-11-02 15:30:00")
    info = store.case_versions(CASE_ID)[0]
    assert info.imported_at == at and info.imported_at.tzinfo == SHANGHAI


# ---------------------------------------------------------- database file


def test_pragmas(store: Store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_corrupt_database_gives_a_clear_error(kameng_home: Path):
    paths.db_path().write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError) as info:
        Store.open()
    assert "损坏" in info.value.message
    assert info.value.hint


def test_locked_database_gives_a_clear_error(example_case: Path, kameng_home: Path):
    store = Store.open(busy_timeout=0.2)
    con = sqlite3.connect(store.path, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as info:
            store.import_case(example_case)
        assert "占用" in info.value.message
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert store.import_case(example_case).created
    store.close()


def test_database_from_a_newer_program_is_refused(store: Store):
    store.close()
    con = sqlite3.connect(store.path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="更新版本"):
        Store.open()


def test_explicit_path_keeps_blobs_next_to_it(tmp_path: Path, example_case: Path):
    with Store.open(tmp_path / "elsewhere" / "db.sqlite3") as s:
        row = s.import_case(example_case).evidence[0]
    assert row.path.is_relative_to(tmp_path / "elsewhere" / "blobs")


# -------------------------------------------------------------- migrations


def _alembic_config():
    from alembic.config import Config

    from kameng_filer.store.engine import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    return cfg


def test_head_revision_constant_matches_the_migrations():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == HEAD_REVISION


def test_fresh_database_is_at_head_and_matches_the_models(store: Store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), METADATA)
    assert diff == []


def test_migrations_downgrade_and_upgrade_again(store: Store, example_case: Path):
    from alembic import command

    store.close()
    cfg = _alembic_config()
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{store.path}")
    command.downgrade(cfg, "base")
    tables = {
        r[0] for r in sqlite3.connect(store.path).execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert tables == {"alembic_version"}
    with Store.open() as again:
        assert again.import_case(example_case).created


def test_opening_an_existing_database_is_fast_and_skips_alembic(store: Store, example_case: Path):
    store.import_case(example_case)
    store.close()
    code = (
        "import sys, time\n"
        "from kameng_filer.store import Store\n"
        "t = time.perf_counter(); s = Store.open(); n = len(s.list_cases()); dt = time.perf_counter() - t\n"
        "print(n, 'alembic' in sys.modules, dt)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    n, alembic_loaded, dt = out.stdout.split()
    assert (n, alembic_loaded) == ("1", "False")
    assert float(dt) < 0.5
    times = []
    for _ in range(10):
        t = time.perf_counter()
        Store.open().close()
        times.append(time.perf_counter() - t)
    assert statistics.median(times) < 0.05


@pytest.mark.slow
def test_migrations_ship_in_the_wheel_and_run_from_it(tmp_path: Path, example_case: Path, kameng_home: Path):
    """Build the wheel from a copy of the sources, install it to a folder, open a store from there."""
    src = tmp_path / "src"
    skip = (
        ".venv",
        ".git",
        "tests",
        "bench",
        "build",
        "dist",
        "*.egg-info",
        "__pycache__",
        ".*_cache",
        "tmp",
    )
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*skip))
    wheel_dir = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(wheel_dir), str(src)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    [wheel] = wheel_dir.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "kameng_filer/store/migrations/env.py",
        "kameng_filer/store/migrations/script.py.mako",
        "kameng_filer/store/migrations/alembic.ini",
        "kameng_filer/store/migrations/versions/0001_initial.py",
    ):
        assert needed in names
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    code = (
        "import sys\n"
        "import kameng_filer.store as st\n"
        "assert st.__file__.startswith(sys.argv[1]), st.__file__\n"
        "s = st.Store.open(); r = s.import_case(sys.argv[2]); print(r.version, r.created)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run(
        [sys.executable, "-c", code, str(target), str(example_case)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "True"]
    con = sqlite3.connect(paths.db_path())
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
