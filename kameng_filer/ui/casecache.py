"""Per-case memory of the rows the home page, the calendar and the dispute page show.

A case's rows (each channel's state, next deadline with its working-day countdown, next action) and
its open deadlines are rebuilt only when something they are built from changed:

- the case's own rows in the database: its ``cases`` row, and every column of its ``filings``,
  ``deadlines`` and ``tracking`` rows (read raw, all cases in one connection: ``signatures``);
- the settings files (``casecheck.settings_stamp``) and the working-day calendar object (the holiday file);
- the time: the Asia/Shanghai day of ``now`` (countdowns count whole working days) and which of the
  case's due times lie before ``now`` (a deadline passing turns its row red at that second).

The rows themselves are built by the same engine functions as before (``tracker.overview``), so a
cached row and a fresh one are the same.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kameng_filer.timeutil import as_shanghai, parse_iso


@dataclass(frozen=True)
class Signatures:
    """What the database holds, summed up per case: ``order`` (id, title, version) most recently
    changed first; ``rows``: each case's filings, deadlines and tracking rows, every column, as read
    (compared whole: no hash that could collide); ``events``: the count and ids of each case's
    timeline; ``versions``: of its stored versions, with their content hashes and source files."""

    order: list[tuple[str, str, int]]
    rows: dict[str, tuple[Any, ...]]
    events: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    versions: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def signatures(store: Any, case_id: str | None = None) -> Signatures:
    """Read the per-case summary (of every case, or of ``case_id`` only) with raw queries on one
    read transaction."""
    where, args = ("WHERE case_id = ?", (case_id,)) if case_id is not None else ("", ())
    parts: dict[str, list[Any]] = {}
    history: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")  # opens the read transaction: the queries below see one state
        cur = conn.connection.driver_connection.cursor()  # raw rows: several times faster to read
        try:
            order = [
                (str(r[0]), str(r[1]), int(r[2]))
                for r in cur.execute(
                    "SELECT id, title, current_version FROM cases"
                    + (" WHERE id = ?" if case_id is not None else "")
                    + " ORDER BY updated_at DESC, id",
                    args,
                ).fetchall()
            ]
            owner = "WHERE f.case_id = ?" if case_id is not None else ""
            for table, sql in (  # each row under the case of its filing, as the engine groups them
                ("filings", f"SELECT f.case_id, f.* FROM filings f {owner} ORDER BY f.id"),
                (
                    "deadlines",
                    "SELECT f.case_id, d.* FROM deadlines d JOIN filings f ON f.id = d.filing_id"
                    f" {owner} ORDER BY d.id",
                ),
                (
                    "tracking",
                    "SELECT f.case_id, t.* FROM tracking t JOIN filings f ON f.id = t.filing_id"
                    f" {owner} ORDER BY t.filing_id",
                ),
            ):
                for row in cur.execute(sql, args).fetchall():
                    parts.setdefault(str(row[0]), []).append((table, row))
            for name, sql in (
                (
                    "events",
                    f"SELECT case_id, count(*), max(id), total(id) FROM events {where} GROUP BY case_id",
                ),
                (
                    "versions",
                    "SELECT case_id, count(*), max(id),"
                    " group_concat(content_sha256 || ':' || coalesce(source_path, ''))"
                    f" FROM (SELECT * FROM case_versions {where} ORDER BY id) GROUP BY case_id",
                ),
            ):
                for r in cur.execute(sql, args).fetchall():
                    history.setdefault(name, {})[str(r[0])] = r
        finally:
            cur.close()
        conn.rollback()
    return Signatures(
        order=order,
        rows={cid: tuple(rows) for cid, rows in parts.items()},
        events=history.get("events", {}),
        versions=history.get("versions", {}),
    )


@dataclass
class Entry:
    """One case's built rows and what they were built from."""

    key: tuple[Any, ...]
    cal: Any
    day: date
    dues: list[datetime]
    passed: int
    value: dict[str, Any]

    def fits(self, key: tuple[Any, ...], cal: Any, now: datetime) -> bool:
        """True when built from the same data, calendar, day and passed deadlines as ``now`` has."""
        return (
            self.key == key
            and self.cal is cal
            and self.day == as_shanghai(now).date()
            and bisect_left(self.dues, now) == self.passed
        )


def make_entry(
    key: tuple[Any, ...], cal: Any, now: datetime, status: dict[str, Any], value: dict[str, Any]
) -> Entry:
    """Remember ``value`` (built from ``status``, a ``case_status`` result) with its validity."""
    dues = sorted(parse_iso(d["due"]) for f in status["filings"] for d in f["deadlines"])
    return Entry(key, cal, as_shanghai(now).date(), dues, bisect_left(dues, now), value)


class CaseCache:
    """Entries by (database, case id); bounded, thread-safe."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._items: dict[tuple[str, str], Entry] = {}
        self._lock = threading.Lock()

    def get(
        self, where: tuple[str, str], key: tuple[Any, ...], cal: Any, now: datetime
    ) -> dict[str, Any] | None:
        """The remembered value when it still fits, else None."""
        with self._lock:
            entry = self._items.get(where)
        return entry.value if entry is not None and entry.fits(key, cal, now) else None

    def put(self, where: tuple[str, str], entry: Entry) -> None:
        """Remember an entry (the oldest go first when full)."""
        with self._lock:
            self._items.pop(where, None)
            self._items[where] = entry
            while len(self._items) > self.size:
                self._items.pop(next(iter(self._items)))

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._items.clear()
