"""A finding: one problem in a case, with the field the person must fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "hint"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "hint": 2}
SEVERITY_LABEL: dict[str, str] = {"error": "错误", "warning": "警告", "hint": "建议"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: stable ``code``, ``severity``, dotted ``path``, Chinese ``message`` and ``hint``."""

    code: str
    severity: Severity
    path: str
    message: str
    hint: str = ""
    line: int | None = None

    def to_dict(self) -> dict:
        """The JSON shape ``{code, severity, path, message, hint}`` (+ ``line`` when known)."""
        d = asdict(self)
        if d["line"] is None:
            del d["line"]
        return d


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then hints; stable within a severity."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity == "error" for f in findings)
