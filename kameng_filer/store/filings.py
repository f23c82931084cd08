"""Filing records: one row per (case, channel, purpose, generation), created once, updated with events."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kameng_filer.crashpoints import crash_point
from kameng_filer.errors import AlreadyFiled, StoreError
from kameng_filer.store.base import StoreBase
from kameng_filer.store.cases import version_row
from kameng_filer.store.models import DbCase, DbFiling
from kameng_filer.store.records import (
    FILING_STATE_LABELS,
    FILING_STATES,
    CaseNotFound,
    FilingRecord,
    FilingStateConflict,
    dump_json,
    load_json,
)
from kameng_filer.store.timeline import add_event_row
from kameng_filer.timeutil import now

_JSON_FIELDS = {
    "plan": "plan_json",
    "receipt": "receipt_json",
    "submitted_values": "submitted_values_json",
    "evidence_hashes": "evidence_hashes_json",
}
_PLAIN_FIELDS = {
    "case_version",
    "state",
    "retryable",
    "complaint_no",
    "error",
    "submitting_at",
    "submitted_at",
    "force_reason",
}


def filing_record(row: DbFiling) -> FilingRecord:
    """A detached ``FilingRecord`` with the JSON columns decoded."""
    return FilingRecord(
        id=row.id,
        case_id=row.case_id,
        case_version=row.case_version,
        channel=row.channel,
        purpose=row.purpose,
        generation=row.generation,
        state=row.state,
        retryable=bool(row.retryable),
        complaint_no=row.complaint_no,
        plan=load_json(row.plan_json),
        receipt=load_json(row.receipt_json),
        submitted_values=load_json(row.submitted_values_json),
        evidence_hashes=load_json(row.evidence_hashes_json),
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitting_at=row.submitting_at,
        submitted_at=row.submitted_at,
        force_reason=row.force_reason,
    )


def _json_fields(fields: dict[str, Any]) -> dict[str, str | None]:
    """Column values for the JSON fields in ``fields`` (given decoded, or as ``<name>_json`` text)."""
    out: dict[str, str | None] = {}
    for name, column in _JSON_FIELDS.items():
        if name in fields and column in fields:
            raise TypeError(f"give either {name} or {column}, not both")
        if name in fields:
            out[column] = dump_json(fields[name])
        elif column in fields:
            raw = fields[column]
            if raw is not None and not isinstance(raw, str):
                raise TypeError(f"{column} must be JSON text")
            out[column] = dump_json(load_json(raw))
    return out


_FAILING = frozenset({"failed", "needs_person", "rejected", "submitting"})
"""States in which a new error is logged even without a state change (the last failure wins)."""


def _check_state(state: str) -> None:
    if state not in FILING_STATES:
        raise ValueError(f"unknown filing state {state!r}; known: {', '.join(FILING_STATES)}")


class FilingMethods(StoreBase):
    """Store methods for filing records."""

    def get_filing(
        self, case_id: str, channel: str, purpose: str = "complaint", generation: int | None = None
    ) -> FilingRecord | None:
        """The filing for (case, channel, purpose) — the latest generation when ``generation`` is None."""
        stmt = select(DbFiling).where(
            DbFiling.case_id == case_id, DbFiling.channel == channel, DbFiling.purpose == purpose
        )
        if generation is not None:
            stmt = stmt.where(DbFiling.generation == generation)
        with self.session() as s:
            row = s.scalars(stmt.order_by(DbFiling.generation.desc()).limit(1)).first()
            return filing_record(row) if row else None

    def get_filing_by_id(self, filing_id: int) -> FilingRecord | None:
        """The filing with this id, or None."""
        with self.session() as s:
            row = s.get(DbFiling, filing_id)
            return filing_record(row) if row else None

    def filings(
        self, case_id: str | None = None, states: Collection[str] | None = None, *, channel: str | None = None
    ) -> list[FilingRecord]:
        """Filing records, oldest first, optionally of one case / channel / in some states."""
        stmt = select(DbFiling)
        if case_id is not None:
            stmt = stmt.where(DbFiling.case_id == case_id)
        if states:
            stmt = stmt.where(DbFiling.state.in_(list(states)))
        if channel is not None:
            stmt = stmt.where(DbFiling.channel == channel)
        with self.session() as s:
            return [filing_record(r) for r in s.scalars(stmt.order_by(DbFiling.id))]

    def create_filing(
        self,
        case_id: str,
        channel: str,
        *,
        purpose: str = "complaint",
        generation: int | None = 1,
        case_version: int | None = None,
        state: str = "planned",
        plan: Any = None,
        plan_json: str | None = None,
        force_reason: str | None = None,
        at: datetime | None = None,
    ) -> FilingRecord:
        """Create the filing record for (case, channel, purpose, generation) and log its state.

        ``generation=None`` takes the next free generation (``--again``); ``case_version`` defaults
        to the case's current version. When the record already exists — also when another process
        created it a moment earlier (the unique constraint decides) — raises ``AlreadyFiled`` with
        the existing record in ``.filing``; it never returns someone else's row as if it were new.
        ``plan`` may be given decoded or as JSON text in ``plan_json``.
        """
        _check_state(state)
        given = {"plan_json": plan_json} if plan_json is not None else {}
        plan_text = _json_fields({"plan": plan, **given} if plan is not None or not given else given)[
            "plan_json"
        ]
        stamp = at or now()
        try:
            with self.transaction() as s:
                db_case = s.get(DbCase, case_id)
                if db_case is None:
                    raise CaseNotFound(f"本地存储中没有案件 {case_id}", hint="先运行 kameng add CASE 导入")
                version = case_version if case_version is not None else db_case.current_version
                version_row(s, case_id, version)
                if generation is None:
                    top = s.scalar(
                        select(func.max(DbFiling.generation)).where(
                            DbFiling.case_id == case_id,
                            DbFiling.channel == channel,
                            DbFiling.purpose == purpose,
                        )
                    )
                    generation = (top or 0) + 1
                row = DbFiling(
                    case_id=case_id,
                    case_version=version,
                    channel=channel,
                    purpose=purpose,
                    generation=generation,
                    state=state,
                    retryable=False,
                    plan_json=plan_text,
                    created_at=stamp,
                    updated_at=stamp,
                    submitting_at=stamp if state == "submitting" else None,
                    force_reason=force_reason,
                )
                s.add(row)
                s.flush()
                data = {
                    "channel": channel,
                    "purpose": purpose,
                    "generation": generation,
                    "from": None,
                    "to": state,
                }
                if force_reason:
                    data["force_reason"] = force_reason
                add_event_row(s, case_id, "filing_state", data, filing_id=row.id, at=stamp)
                return filing_record(row)
        except IntegrityError:
            existing = self.get_filing(case_id, channel, purpose, generation)
            if existing is None:
                raise StoreError(f"无法保存案件 {case_id} 在渠道 {channel} 的投诉记录") from None
            raise self._already_filed(existing) from None

    @staticmethod
    def _already_filed(rec: FilingRecord) -> AlreadyFiled:
        number = f"，投诉编号 {rec.complaint_no}" if rec.complaint_no else ""
        exc = AlreadyFiled(
            f"案件 {rec.case_id} 在渠道 {rec.channel} 已有投诉记录"
            f"（第 {rec.generation} 次，状态：{rec.state_label}{number}）",
            channel=rec.channel,
            hint="如确需再次投诉，使用 --again",
        )
        exc.filing = rec  # type: ignore[attr-defined]
        return exc

    def update_filing(
        self,
        filing_id: int,
        *,
        expect_state: str | Collection[str] | None = None,
        at: datetime | None = None,
        event_data: dict[str, Any] | None = None,
        **fields: Any,
    ) -> FilingRecord:
        """Update a filing's fields; a state change also appends a ``filing_state`` event.

        Fields: ``state``, ``retryable``, ``complaint_no``, ``error``, ``case_version``,
        ``submitting_at``, ``submitted_at``, ``force_reason`` and the JSON values ``plan``,
        ``receipt``, ``submitted_values``, ``evidence_hashes`` — or the same as JSON text in
        ``plan_json`` … ``evidence_hashes_json`` (secret-looking keys are redacted either way).
        Entering ``submitting`` / ``submitted`` stamps ``submitting_at`` / ``submitted_at`` unless
        given. ``expect_state`` makes it a compare-and-set: when the filing is in another state,
        nothing changes and ``FilingStateConflict`` is raised (writers are serialised). ``submitted``
        is final: moving a submitted filing to any other state raises ``FilingStateConflict``.
        """
        unknown = set(fields) - _PLAIN_FIELDS - set(_JSON_FIELDS) - set(_JSON_FIELDS.values())
        if unknown:
            raise TypeError(f"update_filing() got unknown fields: {', '.join(sorted(unknown))}")
        if "state" in fields:
            _check_state(fields["state"])
        stamp = at or now()
        expected = {expect_state} if isinstance(expect_state, str) else expect_state
        with self.transaction() as s:
            row = s.get(DbFiling, filing_id)
            if row is None:
                raise StoreError(f"没有编号为 {filing_id} 的投诉记录")
            if expected is not None and row.state not in expected:
                raise FilingStateConflict(
                    f"投诉记录 {filing_id} 的状态已是「{FILING_STATE_LABELS.get(row.state, row.state)}」，未做修改",
                    state=row.state,
                    hint="可能另一个 kameng 进程正在处理它；用 kameng status 查看",
                )
            before = row.state
            if before == "submitted" and fields.get("state", before) != "submitted":
                # final: checked inside the write transaction (BEGIN IMMEDIATE), so no writer slips past
                raise FilingStateConflict(
                    f"投诉记录 {filing_id} 已提交（投诉编号 {row.complaint_no or '未知'}），不能再改回"
                    f"「{FILING_STATE_LABELS.get(fields['state'], fields['state'])}」",
                    state=before,
                    hint=f"要再次投诉（会建立新的记录）请运行：kameng file {row.case_id} --channels {row.channel} --again",
                )
            for name, value in fields.items():
                if name in _PLAIN_FIELDS:
                    setattr(row, name, value)
            for column, text in _json_fields(fields).items():
                setattr(row, column, text)
            new_state = fields.get("state", before)
            if new_state != before:
                if new_state == "submitting" and "submitting_at" not in fields:
                    row.submitting_at = stamp
                if new_state == "submitted" and "submitted_at" not in fields:
                    row.submitted_at = stamp
            row.updated_at = stamp
            s.flush()
            # a new failure on a record that already failed is logged too: the last failure wins
            refailed = bool(fields.get("error")) and new_state in _FAILING
            if new_state != before or refailed:
                data: dict[str, Any] = {
                    "channel": row.channel,
                    "purpose": row.purpose,
                    "generation": row.generation,
                    "from": before,
                    "to": new_state,
                }
                if row.complaint_no:
                    data["complaint_no"] = row.complaint_no
                if fields.get("error"):
                    data["error"] = fields["error"]
                data.update(event_data or {})
                add_event_row(s, row.case_id, "filing_state", data, filing_id=row.id, at=stamp)
            if new_state == "submitted" and before != "submitted":
                s.flush()
                crash_point("db_write")  # fault injection: dies with the transaction open (not committed)
            return filing_record(row)
