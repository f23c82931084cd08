"""``kameng check`` on a stored case, with each finding placed at the case field it concerns."""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any

from kameng_filer.findings import SEVERITY_LABEL, Finding

FIELD_LABELS: dict[str, str] = {
    "title": "案件标题",
    "complainant": "投诉人",
    "respondent": "被投诉方",
    "order": "订单",
    "problem": "问题",
    "evidence": "证据",
    "communications": "沟通记录",
    "demands": "诉求",
    "platform_policy": "平台规则",
}


def stored_findings(store: Any, case_id: str, now: datetime) -> list[Finding]:
    """Findings of ``kameng check`` for the newest stored version.

    The stored text and evidence files are laid out in a temporary folder exactly as the case folder
    was (hard links, else copies), so every rule sees the files it would see on the person's disk.
    """
    from kameng_filer.checks import check_path

    text = store.case_text(case_id)
    is_json = text.lstrip().startswith("{")
    with tempfile.TemporaryDirectory(prefix="kameng-ui-check-") as tmp:
        folder = Path(tmp)
        (folder / ("case.json" if is_json else "case.yaml")).write_text(text, encoding="utf-8")
        for row, file in _evidence_files(store, case_id):
            _place(row.path, folder, file)
        _result, findings = check_path(folder, now=now)
    return findings


def _evidence_files(store: Any, case_id: str) -> list[tuple[Any, str]]:
    case = store.get_case(case_id)
    written = {ev.id: ev.file for ev in case.evidence}
    return [
        (row, written[row.evidence_id]) for row in store.evidence_index(case_id) if row.evidence_id in written
    ]


def _place(blob: Path, folder: Path, file: str) -> None:
    """Put ``blob`` at ``folder/file`` when that stays inside ``folder`` (never follow a path outside)."""
    target = (folder / file).resolve()
    if not target.is_relative_to(folder.resolve()) or target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(blob, target)
    except OSError:
        shutil.copyfile(blob, target)


def _flatten(value: Any, prefix: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}[{i}]", out)
    else:
        out.append((prefix, "" if value is None else str(value)))


def _belongs(finding_path: str, field_path: str) -> bool:
    return finding_path == field_path


def sections(raw: dict[str, Any], findings: list[Finding]) -> dict[str, Any]:
    """Case fields grouped by top-level key, each with the findings at exactly that field;
    findings about a whole section (``evidence``) or a field not written yet go to the section."""
    placed: set[int] = set()
    groups: list[dict[str, Any]] = []
    for key, value in raw.items():
        pairs: list[tuple[str, str]] = []
        _flatten(value, str(key), pairs)
        fields = []
        for path, text in pairs:
            here = [f for f in findings if _belongs(f.path, path)]
            placed.update(id(f) for f in here)
            fields.append({"path": path, "value": text, "findings": [finding_view(f) for f in here]})
        groups.append(
            {"key": key, "label": FIELD_LABELS.get(str(key), str(key)), "fields": fields, "findings": []}
        )
    for f in findings:
        if id(f) in placed:
            continue
        top = f.path.split(".", 1)[0].split("[", 1)[0]
        group = next((g for g in groups if g["key"] == top), None)
        if group is None:
            group = {
                "key": top,
                "label": FIELD_LABELS.get(top, top or "整个案件"),
                "fields": [],
                "findings": [],
            }
            groups.append(group)
        group["findings"].append(finding_view(f))
    counts = {
        SEVERITY_LABEL[s]: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "hint")
    }
    return {"groups": groups, "counts": counts, "total": len(findings)}


def finding_view(f: Finding) -> dict[str, str]:
    """A finding as the pages and the live check show it (severity word, message, hint, path)."""
    return {
        "severity": f.severity,
        "label": SEVERITY_LABEL[f.severity],
        "path": f.path,
        "message": f.message,
        "hint": f.hint,
        "code": f.code,
    }


def case_check(store: Any, case_id: str, now: datetime) -> dict[str, Any]:
    """The case's fields with their findings (see ``sections``), for the case file as it is now.

    The case file on disk is the source of truth: when the folder the newest version was imported
    from still holds it, that file (with its evidence folder) is checked, so a hand edit is seen on the
    next view; otherwise the newest stored version is. Results are remembered by what they depend on
    (``check_key``: the file's path, ``mtime_ns``, size and content hash, the files of its folder and
    every evidence file it names, also outside the folder where ``allow_outside`` allows it, the
    settings the checks read, and the hour of ``now`` for the time rules), never by time alone.
    """
    from kameng_filer.case.loader import parse_text

    file = current_file(store, case_id)
    text = file.read_text(encoding="utf-8") if file else store.case_text(case_id)
    key = check_key(store, case_id, file, text, now)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return copy.deepcopy(hit)
    raw = parse_text(text, is_json=text.lstrip().startswith("{"))
    if file is not None:
        from kameng_filer.checks import check_path

        found = check_path(file, now=now)[1]
    else:
        found = stored_findings(store, case_id, now)
    result = sections(raw if isinstance(raw, dict) else {}, found)
    result["file"] = str(file) if file else ""
    with _LOCK:
        _CACHE[key] = copy.deepcopy(result)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def current_file(store: Any, case_id: str) -> Path | None:
    """The case file the newest stored version came from, when it is still there and readable."""
    with store.engine.connect() as conn:  # one column of one row: not the stored texts of every version
        row = conn.exec_driver_sql(
            "SELECT source_path FROM case_versions WHERE case_id = ? ORDER BY version DESC LIMIT 1",
            (case_id,),
        ).first()
        conn.rollback()
    if row is None:
        store.case_versions(case_id)  # an unknown case: its Chinese error, as before
        return None
    source = row[0]
    file = Path(source) if source else None
    try:
        return file if file is not None and file.is_file() else None
    except OSError:
        return None


def check_key(store: Any, case_id: str, file: Path | None, text: str, now: datetime) -> tuple[str, ...]:
    """What a case's check result depends on (see ``case_check``)."""
    from kameng_filer import paths

    if file is not None:
        st = file.stat()
        where = (
            str(file),
            str(st.st_mtime_ns),
            str(st.st_size),
            tree_stamp(file.parent) + evidence_stamp(_named(text), file.parent),
        )
    else:
        where = ("stored", str(store.current_version(case_id)), "", "")
    return (
        str(paths.home_path()),
        case_id,
        *where,
        hashlib.sha256(text.encode()).hexdigest(),
        settings_stamp(),
        f"{now:%Y%m%d%H}",
    )


def _named(text: str) -> dict[str, Any]:
    """The case text's mapping (remembered by content), or {} when it cannot be read."""
    from kameng_filer.case.loader import parse_text
    from kameng_filer.errors import KamengError

    digest = hashlib.sha256(text.encode()).hexdigest()
    with _LOCK:
        hit = _PARSED.get(digest)
    if hit is None:
        try:
            raw = parse_text(text, is_json=text.lstrip().startswith("{"))
        except (KamengError, ValueError):
            raw = {}
        hit = raw if isinstance(raw, dict) else {}
        with _LOCK:
            _PARSED[digest] = hit
            while len(_PARSED) > CACHE_SIZE:
                _PARSED.popitem(last=False)
    return hit


def evidence_stamp(raw: Any, folder: Path) -> str:
    """Sizes and change times of every evidence file ``raw`` (a case mapping) names, resolved from
    ``folder`` as the checks resolve them, and of its ``allow_outside`` folders: files outside the
    case folder (allowed there) are read by the checks too, and ``tree_stamp`` does not see them."""
    from kameng_filer.case.containment import written_path

    if not isinstance(raw, dict):
        return ""
    names: list[str] = []
    evidence = raw.get("evidence")
    for item in evidence if isinstance(evidence, list) else []:
        file = item.get("file") if isinstance(item, dict) else None
        if isinstance(file, str) and file.strip():
            names.append(file.strip())
    allowed = raw.get("allow_outside")
    allowed = [allowed] if isinstance(allowed, str) else allowed
    names += [f for f in allowed if isinstance(f, str)] if isinstance(allowed, list) else []
    h = hashlib.sha256()
    for name in names:
        try:
            p = written_path(folder, name)
        except (OSError, ValueError):
            h.update(f"{name}:?;".encode())
            continue
        h.update(_stat(p).encode())
        try:
            h.update(f"{os.lstat(p).st_mtime_ns}:{os.path.realpath(p)};".encode())
        except (OSError, ValueError):
            h.update(b"-;")
    return h.hexdigest()


def tree_stamp(folder: Path, limit: int = 5000) -> str:
    """Names, sizes and change times of the files under ``folder`` (evidence added, changed, removed)."""
    h = hashlib.sha256()
    count = 0
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:
                continue
            h.update(f"{root}/{name}:{st.st_size}:{st.st_mtime_ns};".encode())
            count += 1
            if count >= limit:
                return h.hexdigest() + ":many"
    return h.hexdigest()


def settings_stamp() -> str:
    """Changes when a file the checks read changes: the user lexicon, config, profiles, templates,
    schedules and the holiday overrides of the current workspace."""
    from kameng_filer import home

    data = home.current().data
    h = hashlib.sha256()
    for p in (data / "lexicon.yaml", *home.current().config_candidates(), home.current().holidays):
        h.update(_stat(p).encode())
    for name in ("profiles", "templates", "schedules"):  # a folder made empty reads as none at all
        h.update(tree_stamp(data / name).encode())
    return h.hexdigest()


def _stat(p: Path) -> str:
    try:
        st = p.stat()
    except (OSError, ValueError):
        return f"{p}:-;"
    return f"{p}:{st.st_size}:{st.st_mtime_ns};"


CACHE_SIZE = 128
_CACHE: OrderedDict[tuple[str, ...], dict[str, Any]] = OrderedDict()
_PARSED: OrderedDict[str, dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()
