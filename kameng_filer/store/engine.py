"""The SQLite engine (WAL, foreign keys, busy timeout), schema upgrade on open, and error translation."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool

from kameng_filer.errors import StoreError

HEAD_REVISION = "0002"
"""The newest migration in ``migrations/versions`` (a test keeps this in step with alembic's head)."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_BUSY_TIMEOUT = 15.0
WRITE = {"kameng_write": True}


def make_engine(path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, readonly: bool = False) -> Engine:
    """An engine on the SQLite file ``path``: WAL, foreign keys on, busy timeout, explicit BEGINs.

    Transactions start with ``BEGIN`` (readers) or ``BEGIN IMMEDIATE`` when the connection or
    engine carries the execution option ``kameng_write=True`` (writers wait for each other up to
    the busy timeout instead of failing when a read transaction turns into a write).

    ``readonly`` opens the file with SQLite's ``mode=ro`` (nothing can be written); in a folder
    nobody can write, where SQLite cannot create the WAL index, it reads the file as immutable.
    """
    if readonly:
        engine = create_engine(
            "sqlite+pysqlite://", creator=lambda: _connect_readonly(path, busy_timeout), poolclass=NullPool
        )
    else:
        engine = create_engine(f"sqlite+pysqlite:///{path}", connect_args={"timeout": busy_timeout})
    timeout_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
            cur.execute("PRAGMA foreign_keys=ON")
            if readonly:
                return
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


def _connect_readonly(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A read-only connection; immutable when the folder is read-only (no WAL index can be made)."""
    quoted = quote(str(path))
    con = sqlite3.connect(f"file:{quoted}?mode=ro", uri=True, timeout=busy_timeout, check_same_thread=False)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError as exc:
        con.close()
        low = str(exc).lower()
        if "readonly" not in low and "unable to open" not in low:
            raise
    return sqlite3.connect(
        f"file:{quoted}?mode=ro&immutable=1", uri=True, timeout=busy_timeout, check_same_thread=False
    )


def translate(exc: BaseException, path: Path) -> StoreError:
    """A Chinese ``StoreError`` for a database-level failure."""
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    if "locked" in low or "busy" in low:
        return StoreError(
            "数据库正被另一个 kameng 进程占用，等待超时",
            hint="稍后再试；如果 kameng watch 或另一个 kameng 命令正在运行，等它结束",
            detail=text,
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return StoreError(
            f"数据库文件已损坏，或不是 kameng 的数据库：{path}",
            hint="没有备份时，把它改名移走，再重新导入案件；有自动备份时，从备份恢复，运行：kameng restore",
            detail=text,
        )
    if "readonly" in low or "read-only" in low:
        return StoreError(
            f"数据库文件或它所在的文件夹是只读的：{path}",
            hint=f"这个命令需要写入数据：给文件夹 {path.parent} 和其中的文件加上写权限（如 chmod -R u+w），"
            "或用 KAMENG_HOME 指定可写的数据文件夹；只查看的命令（kameng status、kameng cases）在只读文件夹上也能用",
            detail=text,
        )
    if "unable to open" in low or "disk i/o" in low or "full" in low:
        return StoreError(
            f"无法打开或写入数据库文件：{path}",
            hint="检查文件夹是否存在、可写，磁盘是否已满；可用 KAMENG_HOME 指定数据文件夹",
            detail=text,
        )
    return StoreError(f"数据库操作失败：{path}", detail=text)


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


def ensure_schema(engine: Engine, path: Path, *, on_new: Callable[[], None] | None = None) -> bool:
    """Bring the schema to ``HEAD_REVISION``; True when migrations ran (a quick check when current).

    ``on_new`` runs (under the migration lock) before a database without schema is created; it
    may raise to refuse. An existing database is backed up before it is upgraded.
    """
    if path.exists() and path.stat().st_size > 0:  # a new database is only touched under the lock below
        with engine.connect() as conn:
            rev = current_revision(conn)
            conn.rollback()
        if rev == HEAD_REVISION:
            return False
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(path) + ".migrate.lock", timeout=120, mode=0o600):
            # another process may have created or upgraded it while we waited for the lock
            with engine.connect() as conn:
                rev = current_revision(conn)
                conn.rollback()
            if rev == HEAD_REVISION:
                return False
            if rev is None and on_new is not None:
                on_new()
            if rev is not None:
                backup_before_migration(path)
            upgrade(engine, path)
    except Timeout:
        raise StoreError("另一个 kameng 进程正在升级数据库结构，等待超时", hint="稍后再试") from None
    return True


def backup_before_migration(path: Path) -> None:
    """An online backup (kind ``migrate``) of an existing database before its schema changes."""
    from kameng_filer.store.backup import make_backup

    try:
        make_backup(path, "migrate")
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"升级数据库结构前无法备份数据库：{path}",
            hint=f"检查文件夹 {path.parent} 是否可写、磁盘是否已满；备份成功前不会升级",
            detail=str(exc),
        ) from None


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
                            "数据库结构升级后外键不一致，已撤销升级",
                            detail=repr(broken[:5]),
                            hint="请报告此问题",
                        )
            finally:
                raw.execute("PRAGMA foreign_keys=ON")
    except CommandError as exc:
        raise StoreError(
            f"数据库结构版本无法识别，可能由更新版本的 kameng-filer 创建：{path}",
            hint="升级 kameng-filer（pip install -U kameng-filer）后再试",
            detail=str(exc),
        ) from None
