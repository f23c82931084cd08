"""Resolve a CASE argument (a case file, a case folder, or a stored case id) for the CLI commands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kameng_filer import paths
from kameng_filer.case.loader import find_case_file, load_case, unknown_case
from kameng_filer.case.model import Case
from kameng_filer.errors import CaseInvalid


@dataclass
class CaseRef:
    """A resolved case: the record, whether it is in the store, and the file it came from (if any)."""

    case: Case
    stored: bool
    path: Path | None = None

    @property
    def id(self) -> str:
        """The case id."""
        return self.case.id


def load_file(path: Path) -> Case:
    """Load a case file; ``CaseInvalid`` (with every finding) when it does not validate."""
    result = load_case(path)
    errors = [f for f in result.findings if f.severity == "error"]
    if result.case is None or errors:  # errors with a case: evidence outside the folder, duplicate keys
        first = f"；第一个问题：{errors[0].path}:{errors[0].message}" if errors else ""
        raise CaseInvalid(
            f"案件文件 {path} 有错误{first}", issues=result.findings, hint="运行 kameng check 查看全部问题"
        )
    return result.case


def resolve_case(ref: str, store: Any | None = None, *, import_file: bool = False) -> CaseRef:
    """A case file/folder path (imported into ``store`` when ``import_file``) or a stored case id."""
    p = Path(ref).expanduser()
    if p.exists():
        path = find_case_file(p)
        case = load_file(path)
        stored = False
        if store is not None and import_file:
            result = store.import_case(path)
            case = store.get_case(result.case_id, result.version)
            stored = True
        elif store is not None:
            stored = store.has_case(case.id)
        return CaseRef(case, stored, path)
    if store is None:
        if not paths.db_path().exists():
            raise unknown_case(ref)
        from kameng_filer.store import Store

        store = Store.open(readonly=True)
    if not store.has_case(ref):
        raise unknown_case(ref)
    return CaseRef(store.get_case(ref), True)


def open_store_if_any() -> Any | None:
    """The local store when it already exists (commands that only read should not create it)."""
    if not paths.db_path().exists():
        return None
    from kameng_filer.store import Store

    return Store.open(readonly=True)
