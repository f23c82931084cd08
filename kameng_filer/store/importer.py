"""Read a case file for import: exactly the text that was validated, refusing schema errors and missing evidence."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from kameng_filer.case.loader import LineIndex, LoadResult, parse_text, read_text, validate
from kameng_filer.case.model import Case
from kameng_filer.errors import CaseInvalid
from kameng_filer.findings import Finding

CASE_FILE_NAMES = ("case.yaml", "case.yml", "case.json")


@dataclass(frozen=True, slots=True)
class PreparedCase:
    """A valid case ready to store: the model, the text as read, its format and hash, its file."""

    case: Case
    text: str
    content_format: str
    content_sha256: str
    source: Path


def resolve_case_path(path: str | Path) -> Path:
    """The case file for ``path``; a folder means the ``case.yaml`` (or .yml/.json) inside it."""
    p = Path(path).expanduser()
    if p.is_dir():
        for name in CASE_FILE_NAMES:
            if (p / name).is_file():
                return p / name
    return p


def evidence_findings(result: LoadResult) -> list[Finding]:
    """Error findings for evidence that cannot be stored: duplicate ids, missing/empty/unreadable files."""
    case = result.case
    assert case is not None
    out: list[Finding] = []
    seen: set[str] = set()
    for i, ev in enumerate(case.evidence):
        if ev.id in seen:
            path = f"evidence[{i}].id"
            out.append(
                Finding(
                    "evidence.duplicate_id",
                    "error",
                    path,
                    f"证据编号「{ev.id}」重复",
                    "每项证据使用不同的 id",
                    result.line(path),
                )
            )
        seen.add(ev.id)
        path = f"evidence[{i}].file"
        p = ev.path
        problem: tuple[str, str, str] | None = None
        if not p.exists():
            problem = (
                "evidence.missing",
                f"证据文件不存在：{ev.file}",
                f"把文件放到 {p}，或改正 {path} 的路径",
            )
        elif not p.is_file():
            problem = (
                "evidence.not_file",
                f"证据路径不是文件：{ev.file}",
                "指向具体的图片、PDF、视频或文本文件",
            )
        elif p.stat().st_size == 0:
            problem = ("evidence.empty", f"证据文件是空的（0 字节）：{ev.file}", "重新截图或导出该证据")
        elif not os.access(p, os.R_OK):
            problem = ("evidence.unreadable", f"证据文件无法读取（没有权限）：{ev.file}", "检查文件权限")
        if problem:
            code, message, hint = problem
            out.append(Finding(code, "error", path, message, hint, result.line(path)))
    return out


def prepare(path: str | Path) -> PreparedCase:
    """Read and validate a case file; ``CaseInvalid`` (with every finding) when it cannot be stored."""
    p = resolve_case_path(path)
    text = read_text(p)
    is_json = p.suffix.lower() == ".json" or text.lstrip().startswith("{")
    raw = parse_text(text, is_json=is_json)
    source = p.resolve()
    result = validate(raw, source=source, base_dir=source.parent, lines=LineIndex(text))
    errors = [f for f in result.findings if f.severity == "error"]
    if result.case is not None and not errors:
        errors = evidence_findings(result)
    if result.case is None or errors:
        raise CaseInvalid(
            f"案件有 {len(errors)} 处问题，未导入：{p}",
            issues=errors,
            hint="按上面的提示修正后重新运行 kameng add（kameng check 可查看全部检查结果）",
        )
    return PreparedCase(
        case=result.case,
        text=text,
        content_format="json" if is_json else "yaml",
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=source,
    )
