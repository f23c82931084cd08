"""Store safety: a lost database is never a fresh start, automatic backups and ``kameng restore``,
stale blob temp files, private file modes, read-only data folders, unwritable outputs, config location.

Real SQLite files, the CLI in-process (CliRunner); read-only folders are real read-only bind mounts
(``unshare -m``), so they hold even for root.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kameng_filer import paths
from kameng_filer.cli import app
from kameng_filer.errors import StoreError
from kameng_filer.store import Store
from kameng_filer.store.engine import HEAD_REVISION

CASE_ID = "km-2026-0001"
DATA = Path(__file__).resolve().parent / "data"


def list_backups(db: Path) -> list:
    """The backup files beside ``db``, newest first (read from the folder, not through the code under test)."""
    from dataclasses import dataclass

    @dataclass
    class Found:
        path: Path
        kind: str

    files = sorted((db.parent / "backups").glob("kameng-*.sqlite3"), reverse=True)
    return [Found(f, f.stem.rsplit("-", 1)[1]) for f in files]


def run(*args: str):
    """``kameng ARGS`` in-process; the result (exit code, stdout, stderr)."""
    return CliRunner().invoke(app, list(args))


def out(r) -> str:
    return r.stdout + (r.stderr or "")


def no_crash(r) -> None:
    text = out(r)
    assert "Traceback" not in text and "内部错误" not in text and "无法写入日志" not in text, text


def added(example_case: Path) -> Path:
    """Import the example case through the CLI (a closed, backed-up store); the database path."""
    r = run("add", str(example_case))
    assert r.exit_code == 0, out(r)
    return paths.db_path()


# ---- a lost database is an error with a recovery command, never a fresh start ----


def _email_config(email_twin) -> None:
    from kameng_filer.config import save_config

    save_config(
        {
            "channels": {
                "email": {
                    "smtp_host": email_twin.host,
                    "smtp_port": email_twin.port,
                    "to": "kefu@example.com",
                    "timeout": 5,
                }
            }
        }
    )


def test_emptied_database_refuses_then_printed_restore_brings_the_filing_back(email_twin, example_case: Path):
    _email_config(email_twin)
    filed = run("file", str(example_case), "-c", "email", "--yes")
    assert filed.exit_code == 0, out(filed)
    assert len(email_twin.messages()) == 1
    db = paths.db_path()
    db.write_bytes(b"")  # `: > kameng.sqlite3`
    # a store the command left open, dropped now, would checkpoint its log into the emptied file and
    # bring the filing back behind the person's back (seen in CI): the command closed it when it ended
    gc.collect()
    assert db.stat().st_size == 0

    status = run("status")
    assert status.exit_code == 1, out(status)
    no_crash(status)
    assert "还没有保存的案件" not in out(status)
    assert "数据库文件是空的" in out(status) and "为避免重复投诉" in out(status)
    again = run("file", str(example_case), "-c", "email", "--yes")
    assert again.exit_code != 0
    assert len(email_twin.messages()) == 1  # nothing re-sent
    assert db.stat().st_size == 0  # the refused open wrote nothing into the emptied file

    printed = re.search(r"运行：kameng (restore[^\n]*)\n", out(status))
    assert printed, out(status)
    restored = run(*printed.group(1).split())  # the command exactly as the hint prints it
    assert restored.exit_code == 0, out(restored)
    assert "已恢复" in out(restored) and "1 条投诉记录" in out(restored)

    after = run("file", str(example_case), "-c", "email", "--yes")
    no_crash(after)
    assert len(email_twin.messages()) == 1  # the restored record knows it was sent
    with Store.open() as store:
        assert store.get_filing(CASE_ID, "email").state == "submitted"


@pytest.mark.parametrize("damage", ["delete", "garbage", "schemaless"])
def test_missing_corrupt_or_schemaless_database_beside_data_is_an_error(example_case: Path, damage: str):
    db = added(example_case)
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    if damage == "delete":
        db.unlink()
    elif damage == "garbage":
        db.write_bytes(b"\x00garbage" * 1000)
    else:
        db.unlink()
        sqlite3.connect(db).execute("CREATE TABLE t(x)").connection.commit()
    for cmd in (("cases",), ("status",), ("add", str(example_case))):
        r = run(*cmd)
        assert r.exit_code == 1, (cmd, out(r))
        no_crash(r)
        assert "kameng restore" in out(r), out(r)
    r = run("restore")
    assert r.exit_code == 0, out(r)
    assert run("cases", "--json").stdout.count(CASE_ID) == 1
    if damage != "delete":
        assert list((db.parent / "replaced").iterdir())  # the damaged file is kept aside, not deleted


@pytest.mark.parametrize(
    ("sign", "label"),
    [
        ("blobs/ab/cdef", "证据文件"),
        ("artifacts/km-1/email-complaint-1/sent.eml", "投诉材料"),
        ("sessions/card_platform--me.json", "登录会话"),
        ("backups/kameng-20260101T000000000000-daily.sqlite3", "自动备份"),
        ("kameng.sqlite3-wal", "数据库日志文件"),
    ],
)
@pytest.mark.parametrize("db_state", ["missing", "empty"])
def test_each_kind_of_earlier_data_blocks_a_fresh_start(
    kameng_home: Path, sign: str, label: str, db_state: str
):
    f = kameng_home / sign
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_bytes(b"x")
    if db_state == "empty":
        (kameng_home / "kameng.sqlite3").write_bytes(b"")
    with pytest.raises(StoreError) as exc:
        Store.open()
    assert label in exc.value.message
    assert (
        not (kameng_home / "kameng.sqlite3").exists() or (kameng_home / "kameng.sqlite3").stat().st_size == 0
    )


def test_new_empty_folder_still_starts_fresh():
    r = run("status")
    assert r.exit_code == 0, out(r)
    r = run("cases")
    assert r.exit_code == 0 and "还没有导入任何案件" in r.stdout


def test_lost_database_without_backups_names_the_folder(example_case: Path):
    db = added(example_case)
    shutil.rmtree(db.parent / "backups")
    db.unlink()
    with pytest.raises(StoreError) as exc:
        Store.open()
    assert "证据文件" in exc.value.message
    assert str(db.parent) in (exc.value.hint or "")


# ---- automatic backups ----


def test_backup_after_a_change_is_0600_and_a_valid_copy(example_case: Path):
    db = added(example_case)
    assert [b.kind for b in list_backups(db)] == ["daily"]  # the first of the day
    with Store.open() as store:
        store.add_event(CASE_ID, "note", {"text": "改动"})
    found = list_backups(db)
    assert [b.kind for b in found] == ["auto", "daily"]
    assert stat.S_IMODE(found[0].path.stat().st_mode) == 0o600
    assert stat.S_IMODE(found[0].path.parent.stat().st_mode) == 0o700
    con = sqlite3.connect(found[0].path)
    assert con.execute("SELECT id FROM cases").fetchall() == [(CASE_ID,)]
    run("cases")  # read-only: no backup
    Store.open().close()  # no change: no backup
    assert len(list_backups(db)) == 2


def test_daily_backup_when_the_newest_is_a_day_old(example_case: Path):
    db = added(example_case)
    Store.open().close()  # first writable use of the day: a daily backup
    daily = [b for b in list_backups(db) if b.kind == "daily"]
    assert len(daily) == 1
    Store.open().close()  # same day: none more
    assert [b.kind for b in list_backups(db)].count("daily") == 1
    old = daily[0].path.with_name("kameng-20200101T000000000000-daily.sqlite3")
    daily[0].path.rename(old)
    Store.open().close()
    assert [b.kind for b in list_backups(db)].count("daily") == 2


def test_watch_pass_makes_the_daily_backup(example_case: Path):
    from kameng_filer.tracker.daemon import scheduled_pass

    db = added(example_case)
    scheduled_pass()
    assert any(b.kind == "daily" for b in list_backups(db))


def test_backups_are_pruned_per_kind(example_case: Path):
    from kameng_filer.store.backup import KEEP, make_backup

    db = added(example_case)
    for _ in range(KEEP["auto"] + 3):
        make_backup(db, "auto")
    assert [b.kind for b in list_backups(db)].count("auto") == KEEP["auto"]


def test_migration_is_preceded_by_a_backup_of_the_old_schema():
    db = paths.db_path()
    shutil.copyfile(DATA / "rev0001" / "kameng.sqlite3", db)
    shutil.copytree(DATA / "rev0001" / "blobs", paths.blobs_dir(), dirs_exist_ok=True)
    Store.open().close()
    migrate = [b for b in list_backups(db) if b.kind == "migrate"]
    assert len(migrate) == 1
    con = sqlite3.connect(migrate[0].path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD_REVISION,)


def test_restore_refuses_to_replace_a_good_database_without_force(example_case: Path):
    added(example_case)
    r = run("restore")
    assert r.exit_code == 1 and "--force" in out(r)
    no_crash(r)
    listed = run("restore", "--list", "--json")
    assert listed.exit_code == 0, out(listed)
    assert '"cases": 1' in listed.stdout
    r = run("restore", "nosuch.sqlite3")
    assert r.exit_code == 1 and "kameng restore --list" in out(r)


def test_restore_skips_a_damaged_newest_backup(example_case: Path):
    db = added(example_case)
    good = list_backups(db)[0].path
    damaged = good.with_name("kameng-29991231T000000000000-auto.sqlite3")  # newest by name
    damaged.write_bytes(b"\x00not a database" * 100)
    db.write_bytes(b"")
    r = run("status")
    assert good.name in out(r) and damaged.name not in out(r)  # the hint names a backup that works
    r = run("restore")
    assert r.exit_code == 0, out(r)
    assert good.name in out(r)
    assert run("cases", "--json").stdout.count(CASE_ID) == 1
    listed = run("restore", "--list")
    assert "损坏" in listed.stdout


def test_restore_names_filing_folders_newer_than_the_backup(example_case: Path):
    db = added(example_case)
    newer = db.parent / "artifacts" / CASE_ID / "email-complaint-1"
    newer.mkdir(parents=True)
    (newer / "sent.eml").write_text("x")
    future = time.time() + 60
    os.utime(newer, (future, future))
    db.write_bytes(b"")
    r = run("restore")
    assert r.exit_code == 0, out(r)
    assert str(newer) in out(r) and "不要再次提交" in out(r)


def test_restore_waits_for_a_running_watch_to_stop(example_case: Path, kameng_home: Path):
    from filelock import FileLock

    db = added(example_case)
    db.write_bytes(b"")
    with FileLock(str(kameng_home / "watch.lock")):  # what a running `kameng watch` holds
        r = run("restore")
    assert r.exit_code == 1 and "kameng watch" in out(r)
    no_crash(r)
    assert db.stat().st_size == 0
    assert run("restore").exit_code == 0


def test_restore_never_applies_a_stale_wal_to_the_restored_file(example_case: Path):
    db = added(example_case)
    con = sqlite3.connect(db)  # keep a connection: its -wal holds a change the backup lacks
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("UPDATE cases SET title='改过的标题'")
    con.commit()
    wal = db.with_name(db.name + "-wal")
    kept = wal.read_bytes()
    con.close()
    db.write_bytes(b"")
    wal.write_bytes(kept)
    r = run("restore")
    assert r.exit_code == 0, out(r)
    assert not wal.exists() or wal.stat().st_size == 0
    with Store.open(readonly=True) as store:
        assert store.list_cases()[0].title != "改过的标题"


# ---- stale blob temp files ----


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except FileNotFoundError:  # renamed into place meanwhile
        return 0


def test_stale_blob_temp_files_are_removed_on_open_live_ones_kept(example_case: Path):
    added(example_case)
    folder = paths.blobs_dir() / "ab"
    folder.mkdir(exist_ok=True)
    old_style = folder / ".tmp-k3j4h5"  # name used before pids were recorded
    orphan = folder / f".tmp-{_dead_pid()}-x1"
    fresh_orphan = folder / f".tmp-{_dead_pid()}-x2"  # writer just gone or a pid from elsewhere: wait
    live = folder / f".tmp-{os.getpid()}-x3"  # a concurrent `kameng add` still copying
    for f in (old_style, orphan, fresh_orphan, live):
        f.write_bytes(b"\0" * 4096)
    hour_ago = time.time() - 2 * 3600
    os.utime(old_style, (hour_ago, hour_ago))
    os.utime(orphan, (time.time() - 120, time.time() - 120))
    Store.open().close()
    assert not old_style.exists() and not orphan.exists()
    assert fresh_orphan.exists() and live.exists()


def test_open_during_a_concurrent_import_keeps_its_temp_file(example_case: Path):
    added(example_case)
    big = example_case.parent / "evidence" / "big.bin"
    with big.open("wb") as f:
        f.truncate(300 * 1024 * 1024)
    code = (
        "import sys\nfrom pathlib import Path\nfrom kameng_filer.store.blobs import BlobStore\n"
        "print(BlobStore(Path(sys.argv[1])).put_file(Path(sys.argv[2])).sha256)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(paths.blobs_dir()), str(big)], stdout=subprocess.PIPE, text=True
    )
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None and not list(paths.blobs_dir().glob("*/.tmp-*")):
        time.sleep(0.01)
    for _ in range(3):
        Store.open().close()  # another kameng command opening the store meanwhile
    sha = proc.communicate(timeout=120)[0].strip()
    assert proc.returncode == 0
    with Store.open() as store:
        assert store.blobs.verify(sha)


def test_sigkilled_add_leaves_no_temp_file_after_the_next_open(tmp_path: Path, example_case: Path):
    added(example_case)
    big = example_case.parent / "evidence" / "big.bin"
    with big.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: cheap to make, slow enough to copy
    code = (
        "import sys\nfrom pathlib import Path\nfrom kameng_filer.store.blobs import BlobStore\n"
        "BlobStore(Path(sys.argv[1])).put_file(Path(sys.argv[2]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(paths.blobs_dir()), str(big)])
    deadline = time.time() + 60
    tmps: list[Path] = []
    while time.time() < deadline and not tmps and proc.poll() is None:
        tmps = [p for p in paths.blobs_dir().glob("*/.tmp-*") if _size(p) > 0]
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert tmps, "the copy finished before it could be killed"
    past = time.time() - 120
    for p in tmps:
        os.utime(p, (past, past))
    Store.open().close()
    assert not list(paths.blobs_dir().glob("*/.tmp-*"))


# ---- private files ----


def test_database_and_folders_are_private(example_case: Path):
    db = added(example_case)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    with Store.open() as store:  # while a writer is open, SQLite's -wal/-shm files exist: private too
        store.add_event(CASE_ID, "note", {"text": "x"})
        for suffix in ("-wal", "-shm", ".migrate.lock"):
            side = db.with_name(db.name + suffix)
            assert stat.S_IMODE(side.stat().st_mode) == 0o600, side
    for sub in (db.parent, paths.blobs_dir(), db.parent / "backups"):
        assert stat.S_IMODE(sub.stat().st_mode) == 0o700, sub
    blob_dirs = [p for p in paths.blobs_dir().iterdir() if p.is_dir()]
    assert blob_dirs and all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in blob_dirs)


def test_watch_job_store_is_private(kameng_home: Path):
    from kameng_filer.tracker.daemon import JOBSTORE_FILE, scheduler

    sched = scheduler(kameng_home)
    sched.start(paused=True)
    sched.shutdown(wait=False)
    f = kameng_home / JOBSTORE_FILE
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert sqlite3.connect(f).execute("SELECT count(*) FROM apscheduler_jobs").fetchone() == (0,)


def test_an_existing_world_readable_database_is_tightened(example_case: Path):
    db = added(example_case)
    db.chmod(0o644)
    Store.open().close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


# ---- read-only data folder ----


def _can_mount_readonly() -> bool:
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,ro,bind /tmp /tmp"],
        capture_output=True,
    )
    return probe.returncode == 0


readonly_mount = pytest.mark.skipif(
    not _can_mount_readonly(), reason="needs `unshare -m` and bind mounts (root in a mount namespace)"
)


_RUNS = """
import json, sys
from typer.testing import CliRunner
from kameng_filer.cli import app
results = []
for args in json.loads(sys.argv[1]):
    r = CliRunner().invoke(app, args)
    results.append({"code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr or ""})
print(json.dumps(results, ensure_ascii=False))
"""


def readonly_runs(home: Path, *commands: tuple[str, ...]) -> list[dict]:
    """Run each ``kameng`` command with ``home`` bind-mounted read-only (a real EROFS, even for root);
    one process for all of them (CliRunner inside the mount namespace)."""
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"'
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1", KAMENG_HOME=str(home))
    argv = [sys.executable, "-c", _RUNS, json.dumps([list(c) for c in commands])]
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(home), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@readonly_mount
def test_read_only_home_reading_commands_work_writing_ones_explain(
    example_case: Path, kameng_home: Path, tmp_path: Path
):
    added(example_case)
    reading = (
        ("cases",),
        ("status",),
        ("status", CASE_ID),
        ("timeline", CASE_ID),
        ("evidence", CASE_ID),
        ("plan", CASE_ID),
        ("export", CASE_ID, "-o", str(tmp_path / "bundle.zip")),
    )
    writing = [
        ("add", str(example_case)),
        ("notify", "add", "ntfy://example.com/topic", "--name", "x"),
        ("watch", "--interval", "1"),
    ]
    results = readonly_runs(kameng_home, *reading, *writing)
    for args, r in zip(reading, results, strict=False):
        assert r["code"] == 0, (args, r["stderr"])
        assert CASE_ID in r["stdout"] or "王者荣耀" in r["stdout"], (args, r["stdout"])
        assert "内部错误" not in r["stderr"]
    assert (tmp_path / "bundle.zip").is_file()
    add, notify, watch = results[len(reading) :]
    for args, r in zip(writing, (add, notify, watch), strict=True):
        assert r["code"] == 1, (args, r)
        for bad in ("Traceback", "内部错误", "无法写入日志"):
            assert bad not in r["stderr"], (args, r["stderr"])
        assert str(kameng_home) in r["stderr"] and "kameng status" in r["stderr"], (args, r["stderr"])
    for r in (notify, watch):
        assert f"无法写入数据文件夹 {kameng_home}" in r["stderr"] and "只读" in r["stderr"]


def test_os_errors_inside_the_data_folder_become_clear_errors(kameng_home: Path, tmp_path: Path):
    import errno

    inside = PermissionError(errno.EACCES, "Permission denied", str(kameng_home / "sessions" / "x.json"))
    err = paths.data_os_error(inside)
    assert isinstance(err, StoreError) and str(kameng_home) in err.message and "没有写权限" in err.message
    assert paths.data_os_error(OSError(errno.ENOSPC, "No space", str(kameng_home / "kameng.sqlite3")))
    assert paths.data_os_error(PermissionError(errno.EACCES, "denied", str(tmp_path / "elsewhere"))) is None
    assert paths.data_os_error(FileNotFoundError(errno.ENOENT, "gone", str(kameng_home / "x"))) is None


@readonly_mount
def test_read_only_home_lost_database_still_refuses(example_case: Path, kameng_home: Path):
    db = added(example_case)
    db.write_bytes(b"")
    (r,) = readonly_runs(kameng_home, ("status",))
    assert r["code"] == 1 and "数据库文件是空的" in r["stderr"] and "内部错误" not in r["stderr"]


def test_readonly_store_cannot_write_and_skips_housekeeping(example_case: Path):
    db = added(example_case)
    before = list_backups(db)
    stale = paths.blobs_dir() / "ab" / ".tmp-old"
    stale.parent.mkdir(exist_ok=True)
    stale.write_bytes(b"x")
    os.utime(stale, (0, 0))
    with Store.open(readonly=True) as store:
        assert [c.id for c in store.list_cases()] == [CASE_ID]
        with pytest.raises(StoreError) as exc:
            store.add_event(CASE_ID, "note", {})
    assert "只读" in exc.value.message
    assert stale.exists() and [b.path for b in list_backups(db)] == [b.path for b in before]


def test_unwritable_data_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KAMENG_HOME", str(blocker / "home"))  # a file where a folder must be
    r = run("add", "nosuch.yaml")
    no_crash(r)
    r = run("status")
    assert r.exit_code == 1
    no_crash(r)
    assert str(blocker / "home") in out(r) and "KAMENG_HOME" in out(r)


# ---- unwritable output paths ----


@pytest.mark.parametrize("target", ["/proc/x.pdf", "/proc/self/x.pdf"])
def test_letter_to_an_unwritable_place_is_a_clear_error(example_case: Path, target: str):
    r = run("letter", str(example_case), "--out", target)
    assert r.exit_code == 1, out(r)
    no_crash(r)
    assert f"无法写入输出文件 {target}" in out(r) and "--out" in out(r)


def test_export_to_an_unwritable_place_is_a_clear_error(example_case: Path):
    added(example_case)
    r = run("export", CASE_ID, "-o", "/proc/x.zip")
    assert r.exit_code == 1, out(r)
    no_crash(r)
    assert "无法写入输出文件 /proc/x.zip" in out(r)


def test_output_pointing_at_a_folder_is_a_clear_error(example_case: Path, tmp_path: Path):
    r = run("letter", str(example_case), "--out", str(tmp_path))
    assert r.exit_code == 1
    no_crash(r)
    assert "文件夹" in out(r)


# ---- config.yaml location ----


def _platform_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    import platformdirs

    data, conf = tmp_path / "data", tmp_path / "conf"
    monkeypatch.delenv("KAMENG_HOME")
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(data))
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda *a, **k: str(conf))
    return data, conf


def test_config_lives_in_the_platform_config_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from kameng_filer.config import load_config, save_config

    data, conf = _platform_dirs(monkeypatch, tmp_path)
    assert paths.config_path() == conf / "config.yaml"
    save_config({"channels": {"email": {"timeout": 7}}})
    assert (conf / "config.yaml").is_file() and not (data / "config.yaml").exists()
    assert load_config()["channels"]["email"]["timeout"] == 7


def test_config_at_the_old_place_is_still_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from kameng_filer.config import load_config

    data, conf = _platform_dirs(monkeypatch, tmp_path)
    data.mkdir()
    (data / "config.yaml").write_text("channels:\n  email:\n    timeout: 9\n", encoding="utf-8")
    assert paths.config_path() == data / "config.yaml"
    assert load_config()["channels"]["email"]["timeout"] == 9
    conf.mkdir()
    (conf / "config.yaml").write_text("channels:\n  email:\n    timeout: 3\n", encoding="utf-8")
    assert load_config()["channels"]["email"]["timeout"] == 3  # the new place wins


def test_kameng_home_keeps_config_in_it(kameng_home: Path):
    assert paths.config_path() == kameng_home / "config.yaml"


def test_no_writable_place_for_the_crash_log_is_said_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    import tempfile

    from kameng_filer.cli.common import report_exception

    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KAMENG_HOME", str(blocker / "home"))
    monkeypatch.setattr(tempfile, "tempdir", str(blocker / "tmp"))
    assert report_exception(RuntimeError("boom")) == 70
    err = capsys.readouterr().err
    assert "无法写入日志" not in err and "记录到" not in err
    assert "没有留下日志文件" in err and "-v" in err
