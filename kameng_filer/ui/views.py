"""What the workspace pages show, built from the same engine functions the CLI uses.

Nothing here decides a rule: states and countdowns come from ``tracker.overview.case_status`` (as in
``kameng status``), the history from ``timeline_entry`` (``kameng timeline``), findings from
``checks.check_case`` (``kameng check``), texts from ``render`` (``kameng render``) and the ladder
from ``planner.plan_channels`` (``kameng plan``).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from kameng_filer import registry, wording
from kameng_filer.errors import KamengError
from kameng_filer.timeutil import as_shanghai, parse_iso
from kameng_filer.tracker.notices import channel_title
from kameng_filer.ui.casecache import CaseCache
from kameng_filer.workdays import default_calendar

OPEN_STATES = ("due", "paused", "lapsed")


class Row(dict):  # type: ignore[type-arg]
    """A view's dict whose keys also read as attributes, so templates' ``f.title`` finds them at once
    (Jinja tries the attribute first; on a plain dict that costs a raised ``AttributeError`` per use,
    thousands per page at 100 cases)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def countdown(due_iso: str, state: str, now: datetime, cal: Any = None) -> dict[str, Any]:
    """``{"due", "text", "overdue", "days"}`` for a deadline: a working-day countdown in Chinese
    (``cal``: the working-day calendar, looked up once per page by the callers that show many)."""
    due = parse_iso(due_iso)
    overdue = state == "lapsed" or due < now
    days = (cal or default_calendar()).working_days_between(now, due)
    if overdue:
        text = "已逾期"
    elif state == "paused":
        text = f"暂停中（还剩 {days} 个工作日）"
    else:
        text = f"还剩 {days} 个工作日"
    return Row(due=f"{as_shanghai(due):%Y-%m-%d %H:%M}", text=text, overdue=overdue, days=days)


def progress(f: dict[str, Any]) -> str:
    """The latest status, or for a filing not submitted the reason of its latest failure."""
    if f["last_status"]:
        return str(f["last_status"])
    reason, _detail = wording.split_technical(f.get("error") or "")
    return f"原因：{reason}" if reason else "—"


def filing_row(f: dict[str, Any], now: datetime, cal: Any = None) -> dict[str, Any]:
    """One channel of a case, as the home page and the dispute page show it."""
    d = f["next_deadline"]
    deadline = None
    if d:
        deadline = Row(
            title=d["title"], provisional=d["provisional"], **countdown(d["due"], d["state"], now, cal)
        )
    a = f["next_action"]
    action = None
    if a:
        action = Row(at=f"{parse_iso(a['at']):%Y-%m-%d %H:%M}", what=a["what"])
    return Row(
        {
            "filing_id": f["filing_id"],
            "channel": f["channel"],
            "channel_title": channel_title(f["channel"]),
            "purpose": "" if f["purpose"] == "complaint" else wording.purpose(f["purpose"]),
            "state": f["state_label"],
            "submitted": f["state"] == "submitted",
            "complaint_no": f["complaint_no"],
            "progress": progress(f),
            "deadline": deadline,
            "action": action,
            "escalated": f["escalated"],
            "follow_ups": f["follow_ups"],
        }
    )


def open_deadlines(status: dict[str, Any], now: datetime, cal: Any = None) -> list[dict[str, Any]]:
    """Every open deadline of one case (``case_status`` output), for the calendar and the .ics file."""
    out: list[dict[str, Any]] = []
    for f in status["filings"]:
        for d in f["deadlines"]:
            if d["state"] not in OPEN_STATES:
                continue
            out.append(
                Row(
                    {
                        "case": status["case"],
                        "case_title": status["title"],
                        "filing_id": f["filing_id"],
                        "channel_title": channel_title(f["channel"]),
                        "clock": d["clock"],
                        "title": d["title"],
                        "provisional": d["provisional"],
                        **countdown(d["due"], d["state"], now, cal),
                        "due_iso": d["due"],
                    }
                )
            )
    return out


def statuses(
    store: Any, now: datetime, cal: Any = None, only: list[tuple[str, str, int]] | None = None
) -> list[dict[str, Any]]:
    """``case_status`` of every stored case (most recently changed first), read with three queries;
    ``only``: (id, title, version) of the cases wanted, in that order (the others are not read).

    The per-filing view is ``tracker.overview.filing_view``, exactly as ``case_status`` (and so
    ``kameng status``) builds it; only the reading is batched for all cases at once.
    """
    from kameng_filer.tracker import repo
    from kameng_filer.tracker.overview import filing_view

    if only is None:
        wanted = [(c.id, c.title, c.current_version) for c in store.list_cases()]
        filings = store.filings()
    else:
        wanted = only
        ids = {cid for cid, _t, _v in only}
        if len(ids) <= FEW:
            filings = [f for cid in sorted(ids) for f in store.filings(cid)]
        else:
            filings = [f for f in store.filings() if f.case_id in ids]
    ids = [f.id for f in filings]
    by_filing: dict[int, list[Any]] = {}
    for d in repo.deadlines_of(store, ids):
        by_filing.setdefault(d.filing_id, []).append(d)
    tracks = repo.tracking_rows(store, ids)
    cal = cal or default_calendar()
    by_case: dict[str, list[dict[str, Any]]] = {}
    for f in filings:
        view = filing_view(f, by_filing.get(f.id, []), tracks.get(f.id), now, cal)
        by_case.setdefault(f.case_id, []).append(view)
    return [
        {"case": cid, "title": title, "version": version, "filings": by_case.get(cid, [])}
        for cid, title, version in wanted
    ]


FEW = 8
"""Up to this many cases to rebuild, each case's filings are read on their own; more, all at once."""


def home(store: Any | None, now: datetime) -> dict[str, Any]:
    """Every stored case with each channel's row, and all open deadlines across cases by due time.

    Remembered as a whole by ``home_key`` (the database's content, the settings, the minute of
    ``now``); when that changed, each case's part is taken from ``casecache`` when its own data, the
    calendar, the day and its passed deadlines are unchanged, so one changed case rebuilds one part.
    The result is shared, callers must not change it.
    """
    if store is None:
        return {"cases": [], "deadlines": []}
    key = home_key(store, now)
    with _HOME_LOCK:
        hit = _HOME.get(key)
    if hit is not None:
        return hit
    built = _home(store, now)
    with _HOME_LOCK:
        _HOME[key] = built
        while len(_HOME) > 8:
            _HOME.popitem(last=False)
    return built


def home_key(store: Any, now: datetime) -> tuple[Any, ...]:
    """Changes with any write to the database (file and WAL sizes and times, and the counts and latest
    ids of cases, versions, filings and events), the settings files, and each minute of ``now``."""
    from kameng_filer.store.housekeeping import fingerprint
    from kameng_filer.ui.casecheck import settings_stamp

    files = []
    for suffix in ("", "-wal"):
        try:
            st = os.stat(f"{store.path}{suffix}")
        except OSError:
            files.append(None)
            continue
        files.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return (str(store.path), *files, fingerprint(store.engine), settings_stamp(), f"{now:%Y%m%d%H%M}")


def case_parts(store: Any, now: datetime, sig: Any) -> dict[str, dict[str, Any]]:
    """``{case id: {"case": row, "deadlines": [...]}}`` for the cases of ``sig``
    (``casecache.Signatures``), rebuilt only for the cases whose inputs changed."""
    from kameng_filer.ui.casecache import make_entry
    from kameng_filer.ui.casecheck import settings_stamp

    cal = default_calendar()  # once per page: looking it up costs more than a countdown
    stamp = settings_stamp()
    db = str(store.path)
    out: dict[str, dict[str, Any]] = {}
    keys: dict[str, tuple[Any, ...]] = {}
    missing: list[tuple[str, str, int]] = []
    for cid, title, version in sig.order:
        keys[cid] = (title, version, sig.rows.get(cid, ""), stamp)
        hit = _CASES.get((db, cid), keys[cid], cal, now)
        if hit is None:
            missing.append((cid, title, version))
        else:
            out[cid] = hit
    if missing:
        for status in statuses(store, now, cal, only=missing):
            rows = [filing_row(f, now, cal) for f in status["filings"]]
            value = {
                "case": Row(
                    id=status["case"], title=status["title"], version=status["version"], filings=rows
                ),
                "deadlines": open_deadlines(status, now, cal),
            }
            _CASES.put((db, status["case"]), make_entry(keys[status["case"]], cal, now, status, value))
            out[status["case"]] = value
    return out


def _home(store: Any, now: datetime) -> dict[str, Any]:
    from kameng_filer.ui.casecache import signatures

    sig = signatures(store)
    parts = case_parts(store, now, sig)
    cases: list[dict[str, Any]] = []
    deadlines: list[dict[str, Any]] = []
    for cid, _title, _version in sig.order:
        cases.append(parts[cid]["case"])
        deadlines += parts[cid]["deadlines"]
    deadlines.sort(key=lambda d: d["due_iso"])
    return {"cases": cases, "deadlines": deadlines}


_HOME: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_HOME_LOCK = threading.Lock()
_CASES = CaseCache()


def ics_items(store: Any | None, now: datetime) -> list[dict[str, Any]]:
    """Open deadlines across cases in the shape ``ics.deadlines_ics`` expects."""
    return [{**d, "due": d["due_iso"]} for d in home(store, now)["deadlines"]]


def timeline(store: Any, case_id: str) -> list[dict[str, str]]:
    """The case's history in Chinese words (technical details left out, as ``kameng timeline``)."""
    from kameng_filer.tracker.overview import timeline_entry

    out = []
    for e in store.events(case_id):
        label, text, _detail = timeline_entry(e)
        out.append({"at": f"{as_shanghai(e.at):%Y-%m-%d %H:%M}", "label": label, "text": text})
    return out


def receipts(store: Any, case_id: str) -> list[dict[str, Any]]:
    """Submitted filings with their receipt number, time and whether a screenshot can be shown."""
    from kameng_filer.ui.files import receipt_screenshot

    return [
        {
            "filing_id": f.id,
            "channel_title": channel_title(f.channel),
            "purpose": wording.purpose(f.purpose),
            "complaint_no": f.complaint_no or "—",
            "at": f"{as_shanghai(f.submitted_at):%Y-%m-%d %H:%M}" if f.submitted_at else "—",
            "image": receipt_screenshot(f.receipt) is not None,
        }
        for f in store.filings(case_id, states=["submitted"])
    ]


_TEXTS: dict[tuple[str, str], list[dict[str, Any]]] = {}


def _templates_stamp() -> str:
    """Changes when a user template is added, changed or removed (then texts are rendered again)."""
    from kameng_filer import paths

    folder = paths.user_templates_dir()
    if not folder.is_dir():
        return ""
    return ";".join(f"{p}:{p.stat().st_mtime_ns}" for p in sorted(folder.rglob("*")))


def texts(case: Any) -> list[dict[str, Any]]:
    """Every channel × purpose rendered as ``kameng render`` does, with counts against field limits.

    Remembered by the case's content and the user templates (the same case renders the same texts).
    """
    import copy
    import hashlib

    key = (hashlib.sha256(case.model_dump_json().encode()).hexdigest(), _templates_stamp())
    hit = _TEXTS.get(key)
    if hit is None:
        if len(_TEXTS) > 64:
            _TEXTS.clear()
        hit = _TEXTS[key] = _render_texts(case)
    return copy.deepcopy(hit)


def _render_texts(case: Any) -> list[dict[str, Any]]:
    from kameng_filer.render import PART_LABELS, PURPOSE_LABELS, PURPOSES, render

    out: list[dict[str, Any]] = []
    for name in registry.names():
        spec = registry.spec(name)
        purposes = []
        for purpose in PURPOSES:
            try:
                rendered = render(case, name, purpose)
            except KamengError as exc:
                purposes.append(
                    {"purpose": purpose, "label": PURPOSE_LABELS[purpose], "error": exc.message, "fields": []}
                )
                continue
            fields = []
            for fs in spec.rendered_fields:
                text = rendered.fields.get(fs.name, "")
                dropped = rendered.dropped.get(fs.name) or []
                fields.append(
                    {
                        "label": fs.label,
                        "name": fs.name,
                        "text": text,
                        "count": len(text),
                        "limit": fs.max_len,
                        "over": fs.max_len is not None and len(text) > fs.max_len,
                        "dropped": "、".join(PART_LABELS.get(p, p) for p in dropped),
                    }
                )
            own = case.texts.get(name, {}).get(purpose, {})
            for f in fields:
                f["own"] = f["name"] in own
            purposes.append(
                {"purpose": purpose, "label": PURPOSE_LABELS[purpose], "error": "", "fields": fields}
            )
        out.append({"name": name, "title": spec.title, "public": spec.public, "purposes": purposes})
    return out


def plan(case: Any, store: Any, now: datetime) -> dict[str, Any]:
    """The channel ladder with reasons and exclusions, as ``kameng plan`` computes it."""
    from kameng_filer.planner import plan_channels

    filed = {
        f.channel.split("@", 1)[0]
        for f in store.filings(case_id=case.id, states=["submitted"])
        if f.purpose == "complaint"
    }
    result = plan_channels(case, now=now, filed=filed)
    steps = [
        {
            "title": channel_title(s.channel)
            + ("" if s.purpose == "complaint" else f"({wording.purpose(s.purpose)})"),
            "when": s.when,
            "reason": s.reason,
            "done": s.done,
            "missing": "、".join(f"{m.label}({m.field})" for m in s.missing),
        }
        for s in result.steps
    ]
    excluded = [{"title": channel_title(e.channel), "reason": e.reason} for e in result.excluded]
    return {"steps": steps, "excluded": excluded}


def case_page(store: Any, case_id: str, at: datetime) -> dict[str, Any] | None:
    """Everything the dispute page shows, or None for an unknown case.

    Remembered by what it is built from: this case's own rows in the database (``casecache``: its
    filings, deadlines, tracking rows, timeline and versions), its receipt screenshots on disk, the
    settings, the case file on disk with its evidence (``casecheck.check_key``) and the minute of ``at``
    (the plan's time rules); so a hand edit, a save or a tracker pass on this case is seen on the next
    view, and a change to another case leaves this page as it was.
    """
    from kameng_filer.ui import casecheck
    from kameng_filer.ui.casecache import signatures

    if store is None:
        return None
    sig = signatures(store, case_id)
    if not sig.order:
        return None
    _cid, title, version = sig.order[0]
    rows = sig.rows.get(case_id, ())
    shots = _kept(("shots", str(store.path), case_id, rows), lambda: _screenshots(store, case_id))
    file = casecheck.current_file(store, case_id)
    text = file.read_text(encoding="utf-8") if file else ""
    base = (
        str(store.path),
        case_id,
        title,
        version,
        rows,
        sig.events.get(case_id, ""),
        sig.versions.get(case_id, ""),
        casecheck.settings_stamp(),
        _files_stamp(shots),  # a receipt screenshot removed or replaced on disk
    )
    key = (base, casecheck.check_key(store, case_id, file, text, at), f"{at:%Y%m%d%H%M}")
    with _HOME_LOCK:
        hit = _PAGES.get(key)
    if hit is not None:
        return hit
    built = _case_page(store, case_id, at, sig, base)
    with _HOME_LOCK:
        _PAGES[key] = built
        while len(_PAGES) > 32:
            _PAGES.popitem(last=False)
    return built


def _case_page(store: Any, case_id: str, at: datetime, sig: Any, base: tuple[Any, ...]) -> dict[str, Any]:
    from kameng_filer.ui.casecheck import case_check

    part = case_parts(store, at, sig)[case_id]
    db, _cid, _title, version, rows, events, versions, stamp, shots = base
    case = _kept(("case", db, case_id, version, versions), lambda: store.get_case(case_id, version))
    return {
        "case": case,
        "version": version,
        "filings": part["case"]["filings"],
        "deadlines": part["deadlines"],
        "timeline": _kept(("timeline", db, case_id, events, stamp), lambda: timeline(store, case_id)),
        "receipts": _kept(("receipts", db, case_id, rows, stamp, shots), lambda: receipts(store, case_id)),
        "check": case_check(store, case_id, at),
        "plan": plan(case, store, at),
        "texts": texts(case),
    }


def _screenshots(store: Any, case_id: str) -> list[str]:
    """The receipt screenshot paths the case's submitted filings name (as stored)."""
    out = []
    for f in store.filings(case_id, states=["submitted"]):
        value = f.receipt.get("screenshot") if isinstance(f.receipt, dict) else None
        if isinstance(value, str) and value:
            out.append(value)
    return out


def _files_stamp(names: list[str]) -> tuple[Any, ...]:
    """Size, change time and real path of each file (or None when it cannot be read)."""
    out: list[Any] = []
    for name in names:
        try:
            st = os.stat(name)
            out.append((name, st.st_size, st.st_mtime_ns, os.path.realpath(name)))
        except (OSError, ValueError):
            out.append((name, None))
    return tuple(out)


def _kept(key: tuple[Any, ...], build: Any) -> Any:
    """A part of the dispute page remembered by what it is read from (the store's rows of one case)."""
    with _HOME_LOCK:
        hit = _STORED.get(key)
    if hit is None:
        hit = build()
        with _HOME_LOCK:
            _STORED[key] = hit
            while len(_STORED) > 96:
                _STORED.popitem(last=False)
    return hit


_PAGES: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_STORED: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
