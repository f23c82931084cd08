"""The SQLite engine (WAL, foreign keys, busy timeout), schema upgrade on open, and error translation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from kameng_filer.errors import StoreError

HEAD_REVISION = "0002"
"""The newest migration in ``migrations/versions`` (a test keeps this in step with alembic's head)."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_BUSY_TIMEOUT = 15.0
WRITE = {"kameng_write": True}


def make_engine(path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """An engine on the SQLite file ``path``: WAL, foreign keys on, busy timeout, explicit BEGINs.

    Transactions start with ``BEGIN`` (readers) or ``BEGIN IMMEDIATE`` when the connection or
    engine carries the execution option ``kameng_write=True`` (writers wait for each other up to
    the busy timeout instead of failing when a read transaction turns into a write).
    """
    engine = create_engine(f"sqlite+pysqlite:///{path}", connect_args={"timeout": busy_timeout})
    timeout_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
            cur.execute("PRAGMA foreign_keys=ON")
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("kameng_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def translate(exc: BaseException, path: Path) -> StoreError:
    """A Chinese ``StoreError`` for a database-level failure."""
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    if "locked" in low or "busy" in low:
        return StoreError(
            "数据库正被另一个 kameng 进程占用,等待超时",
            hint="稍后再试;如果 kameng watch 或另一个 kameng 命令正在运行,等它结束",
            detail=text,
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return StoreError(
            f"数据库文件已损坏,或不是 kameng 的数据库:{path}",
            hint="从备份恢复该文件(见 docs/store.md);或把它改名移走,重新运行 kameng add 导入案件",
            detail=text,
        )
    if "readonly" in low or "read-only" in low:
        return StoreError(f"数据库文件是只读的:{path}", hint="检查文件和所在文件夹的写权限", detail=text)
    if "unable to open" in low or "disk i/o" in low or "full" in low:
        return StoreError(
            f"无法打开或写入数据库文件:{path}",
            hint="检查文件夹是否存在、可写,磁盘是否已满;可用 KAMENG_HOME 指定数据文件夹",
            detail=text,
        )
    return StoreError(f"数据库操作失败:{path}", detail=text)


@contextmanager
def guard(path: Path) -> Iterator[None]:
    """Translate database-level failures (locked, corrupt, unreadable…) into ``StoreError``.

    Integrity errors pass through: callers turn them into meaningful answers (e.g. ``AlreadyFiled``).
    """
    try:
        yield
    except (IntegrityError, sqlite3.IntegrityError):
        raise
    except (DBAPIError, sqlite3.DatabaseError) as exc:
        raise translate(exc, path) from None


def current_revision(conn: Connection) -> str | None:
    """The schema revision recorded in the database (None for a new database)."""
    has_table = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).first()
    if not has_table:
        return None
    row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


def ensure_schema(engine: Engine, path: Path) -> bool:
    """Bring the schema to ``HEAD_REVISION``; True when migrations ran (a quick check when current)."""
    if path.exists() and path.stat().st_size > 0:  # a new database is only touched under the lock below
        with engine.connect() as conn:
            rev = current_revision(conn)
            conn.rollback()
        if rev == HEAD_REVISION:
            return False
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(path) + ".migrate.lock", timeout=120):
            # another process may have created or upgraded it while we waited for the lock
            with engine.connect() as conn:
                rev = current_revision(conn)
                conn.rollback()
            if rev == HEAD_REVISION:
                return False
            upgrade(engine, path)
    except Timeout:
        raise StoreError("另一个 kameng 进程正在升级数据库结构,等待超时", hint="稍后再试") from None
    return True


def upgrade(engine: Engine, path: Path) -> None:
    """Run alembic ``upgrade head`` on the engine's database (no alembic.ini needed).

    Follows SQLite's procedure for schema changes: foreign keys off (outside the transaction),
    migrate in one ``BEGIN IMMEDIATE`` transaction, ``PRAGMA foreign_key_check`` before commit,
    foreign keys on again — so later migrations may rebuild tables (alembic batch mode) safely.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.execution_options(**WRITE).begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            "数据库结构升级后外键不一致,已撤销升级",
                            detail=repr(broken[:5]),
                            hint="请报告此问题",
                        )
            finally:
                raw.execute("PRAGMA foreign_keys=ON")
    except CommandError as exc:
        raise StoreError(
            f"数据库结构版本无法识别,可能由更新版本的 kameng-filer 创建:{path}",
            hint="升级 kameng-filer(pip install -U kameng-filer)后再试",
            detail=str(exc),
        ) from None
