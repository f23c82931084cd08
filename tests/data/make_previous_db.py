"""Make the store-upgrade fixtures: a data folder written by an earlier release's code.

    .venv/bin/python tests/data/make_previous_db.py                 # both fixtures below
    .venv/bin/python tests/data/make_previous_db.py --commit bb231ee --name previous

For each fixture it checks the commit out into a temporary ``git worktree``, runs this same file with
``--generate`` on that commit's code (``PYTHONPATH`` = the worktree; the libraries come from this
venv) in an empty ``KAMENG_HOME``, and keeps ``tests/data/<name>/``: the SQLite file (WAL
checkpointed, so a single file), the evidence blobs, and ``manifest.json`` — every row of every table
as that code wrote it, which ``tests/test_store_upgrade.py`` compares with what the current code reads
after upgrading. The worktree is removed afterwards; nothing is committed.

What the old code records (only store/tracker APIs that release had): both bundled example cases
(the first one imported twice, edited, so it has two versions), filings in several states with
receipts (a web ticket, an e-mail, an Alipay number reported by the person, a WeChat Pay one, a
second generation that failed, a rejected 12315 filing, an association filing left ``needs_person``),
a note event, and — when the release has the tracker — two tracker passes (tracking rows, deadlines,
actions: a failed status read and a failed e-mail follow-up against closed local ports, queued
notifications). Ids, numbers and filing times are fixed; a re-run differs only in import times
and the temporary source paths.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = {"previous": "bb231ee", "rev0001": "5fc1f90"}
"""Fixture name → commit: ``previous`` the last landed release (schema 0002); ``rev0001`` the last
commit before the tracker migration (schema 0001), so the test also runs a real migration."""


# ------------------------------------------------------------------------------ in the old code


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def generate(examples: Path, work: Path) -> None:
    """Record the data with whatever ``kameng_filer`` is importable (the old release's)."""
    from kameng_filer.store import Store
    from kameng_filer.timeutil import parse_iso

    def at(text: str) -> Any:
        return parse_iso(text)

    shutil.copytree(examples, work / "examples")
    first = work / "examples" / "case.yaml"
    second = work / "examples" / "second" / "case.yaml"
    store = Store.open()
    one = store.import_case(first).case_id
    first.write_text(
        first.read_text(encoding="utf-8").replace("title:", "title: (补充)", 1), encoding="utf-8"
    )
    store.import_case(first)  # version 2
    two = store.import_case(second).case_id if second.exists() else None  # added by a later release

    def filing(
        case_id: str, channel: str, number: str | None, filed: str, state: str = "submitted", **extra: Any
    ) -> int:
        stamp = at(filed)
        rec = store.create_filing(
            case_id,
            channel,
            generation=None,
            plan={
                "channel": channel,
                "fields": {"title": f"{channel} 投诉"},
                "target": extra.get("target", {}),
            },
            at=stamp,
        )
        store.update_filing(
            rec.id,
            state="submitting",
            submitted_values={"title": f"{channel} 投诉", "content": "充值未到账,要求退款"},
            at=stamp,
        )
        if state == "submitted":
            receipt = {
                "complaint_no": number,
                "filed_at": stamp.isoformat(),
                "status": "待处理",
                **extra.get("receipt", {}),
            }
            store.update_filing(
                rec.id,
                state="submitted",
                complaint_no=number,
                receipt=receipt,
                evidence_hashes={"order": "0" * 64},
                submitted_at=stamp,
                at=stamp,
            )
        else:
            store.update_filing(
                rec.id,
                state=state,
                error=extra.get("error", "示例错误"),
                retryable=state == "failed",
                at=stamp,
            )
        return rec.id

    filing(
        one,
        "card_platform@a",
        "TK20261110000123",
        "2026-11-10T10:00:00",
        receipt={"url": "http://127.0.0.1/tickets/TK20261110000123"},
    )
    filing(one, "card_platform@a", None, "2026-11-10T11:00:00", state="failed", error="无法连接渠道网站")
    filing(
        one,
        "email",
        "<kameng-0123456789abcdef@example.com>",
        "2026-11-10T10:00:00",
        target={"from": "zhangsan@example.com"},
        receipt={"extra": {"server": "250 OK", "to": "kefu@xingchen-km.example.com"}},
    )
    filing(
        one,
        "alipay",
        "2026112200012345678",
        "2026-11-10T10:30:00",
        receipt={"extra": {"reported_by": "person"}},
    )
    filing(one, "12315", None, "2026-11-10T10:40:00", state="rejected", error="渠道拒绝了提交:处理单位不正确")
    if two is not None:
        filing(two, "wechat_pay", "200201820261122080076610000", "2026-11-10T10:00:00")
        filing(
            two,
            "consumer_association",
            None,
            "2026-11-10T10:10:00",
            state="needs_person",
            error="上次提交在最后一步中断",
        )
    store.add_event(one, "note", {"text": "客服电话答复:三个工作日内处理"}, at=at("2026-11-10T12:00:00"))

    try:
        from kameng_filer.tracker.tick import run_pass
    except ImportError:  # a release before the tracker
        return
    from kameng_filer.config import save_config
    from kameng_filer.secrets import env_name

    port = _closed_port()
    save_config(
        {
            "channels": {
                "card_platform@a": {
                    "profile": "card-a-twin",
                    "account": "demo",
                    "mode": "http",
                    "base_url": f"http://127.0.0.1:{port}/",
                    "timeout": 2,
                },
                "email": {
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "to": "kefu@xingchen-km.example.com",
                    "timeout": 2,
                },
            }
        }
    )
    os.environ[env_name("card_platform@a", "demo")] = "demo-pass"
    run_pass(store, at("2026-11-10T10:05:00"))
    run_pass(store, at("2026-11-18T09:00:00"))  # e-mail follow-up due (fails: nothing listens)
    store.close()


def dump(db: Path) -> dict[str, Any]:
    """Every row of every table, in rowid order, with the table's primary-key columns."""
    con = sqlite3.connect(db)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        out: dict[str, Any] = {}
        for table in tables:
            info = con.execute(f'PRAGMA table_info("{table}")').fetchall()
            cols = [c[1] for c in info]
            pk = [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]]
            rows = con.execute(f'SELECT {", ".join(cols)} FROM "{table}" ORDER BY rowid').fetchall()
            out[table] = {"columns": cols, "pk": pk, "rows": [list(r) for r in rows]}
        return out
    finally:
        con.close()


def checkpoint(db: Path) -> None:
    """Fold the WAL into the main file so the fixture is one self-contained file."""
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


# ------------------------------------------------------------------------------ driver (current tree)


def make(name: str, commit: str) -> Path:
    """Build ``tests/data/<name>/`` from ``commit``."""
    full = subprocess.run(
        ["git", "rev-parse", commit], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="kameng-prev-") as tmp:
        tree = Path(tmp) / "tree"
        home = Path(tmp) / "home"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), full], cwd=ROOT, check=True, capture_output=True
        )
        try:
            env = {
                **os.environ,
                "PYTHONPATH": str(tree),
                "KAMENG_HOME": str(home),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            }
            subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--generate", str(tree / "examples"), tmp],
                cwd=tree,
                env=env,
                check=True,
            )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
            subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=False)
        db = home / "kameng.sqlite3"
        checkpoint(db)
        dest = HERE / name
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        shutil.copyfile(db, dest / "kameng.sqlite3")
        shutil.copytree(home / "blobs", dest / "blobs")
        manifest = {"commit": full, "tables": dump(dest / "kameng.sqlite3")}
        (dest / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
        )
    return dest


def main() -> None:
    """Parse the command line; ``--generate`` is the step that runs inside the old code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", help="commit to build from (default: every fixture in FIXTURES)")
    parser.add_argument("--name", help="fixture folder name under tests/data/")
    parser.add_argument("--generate", nargs=2, metavar=("EXAMPLES", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        import kameng_filer

        assert str(Path(kameng_filer.__file__).resolve()).startswith(str(Path.cwd().resolve())), (
            f"not the old code: {kameng_filer.__file__}"
        )
        generate(Path(args.generate[0]), Path(args.generate[1]))
        return
    todo = {args.name or "previous": args.commit} if args.commit else FIXTURES
    for name, commit in todo.items():
        print(f"{name}: {make(name, commit)}")


if __name__ == "__main__":
    main()
