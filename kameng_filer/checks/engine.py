"""Run every check rule on a loaded case and merge the findings with the loader's (三明确)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from kameng_filer.case.loader import LoadResult, load_case
from kameng_filer.checks import (
    consistency,
    contacts,
    control_chars,
    demands,
    evidence_chain,
    evidence_files,
    extra_fields,
    language,
    lengths,
    limitation,
    order,
    own_texts,
    partial,
    policies,
    prereq12315,
    problem,
    protection,
    required,
    routes,
    secrets_in_text,
    times,
    windows,
)
from kameng_filer.checks.base import Context
from kameng_filer.errors import KamengError
from kameng_filer.findings import SEVERITY_ORDER, Finding
from kameng_filer.timeutil import as_shanghai

Rule = Callable[[Context], Iterable[Finding]]

# Rules that read only the raw data: they run even when the schema failed.
RAW_RULES: tuple[Rule, ...] = (
    required.check,
    extra_fields.check,
    evidence_files.check,
    language.check,
    own_texts.check,
    secrets_in_text.check,
    control_chars.check,
    lengths.check,
)
# Rules that need a validated case.
CASE_RULES: tuple[Rule, ...] = (
    order.check,
    problem.check,
    evidence_chain.check,
    contacts.check,
    demands.check,
    windows.check,
    limitation.check,
    times.check,
    prereq12315.check,
    policies.check,
    protection.check,
    consistency.check,
    routes.check,
)
_REPLACED_BY_RULES = ("required.",)


def check_case(result: LoadResult, *, now: datetime, read_evidence: bool = False) -> list[Finding]:
    """Loader findings plus every rule's findings, errors first, then warnings, then hints.

    ``read_evidence`` also compares the case with its screenshots (OCR, cached by image hash).
    """
    ctx = Context(result=result, now=as_shanghai(now))
    found: list[Finding] = []
    rules = RAW_RULES + (CASE_RULES if result.case is not None else ())
    if read_evidence and result.case is not None:
        from kameng_filer.checks import evidence_read

        rules += (evidence_read.check,)
    try:  # one broken field must not hide the other case checks
        stand_in = partial.partial(result)
    except (RecursionError, TypeError, ValueError, ArithmeticError, AttributeError):
        stand_in = None
    if stand_in is not None:
        rules += CASE_RULES
    for rule in rules:
        try:
            if stand_in is not None and rule in CASE_RULES:
                found.extend(
                    f
                    for f in rule(Context(result=stand_in[0], now=ctx.now))
                    if not partial.about_broken(f.path, stand_in[1])
                )
                continue
            found.extend(rule(ctx))
        except KamengError:
            raise  # e.g. a broken user lexicon: the person must fix that file, not this case
        except RecursionError:
            found.append(_internal(ctx, rule, "数据嵌套过深"))
        except Exception as exc:  # a rule bug must not hide the other findings
            found.append(_internal(ctx, rule, f"{type(exc).__name__}: {exc}"))
    # A rule finding on the same path says the same thing more precisely than the schema error.
    precise = {f.path for f in found if f.code.startswith(_REPLACED_BY_RULES)}
    merged = [f for f in result.findings if f.path not in precise] + found
    return sort_by_severity(merged)


def _internal(ctx: Context, rule: Rule, detail: str) -> Finding:
    name = getattr(rule, "__module__", "?").rsplit(".", 1)[-1]
    return ctx.finding(
        "check.internal",
        "(root)",
        f"检查项 {name} 未能完成，结果可能不完整",
        f"请把案件文件（去掉个人信息）和这条信息报告给开发者：{detail}",
    )


def sort_by_severity(findings: list[Finding]) -> list[Finding]:
    """Errors → warnings → hints; within a severity by line number (unknown lines last), then path."""
    return sorted(
        findings,
        key=lambda f: (SEVERITY_ORDER[f.severity], f.line if f.line is not None else 10**9, f.path),
    )


def check_path(
    path: str | Path, *, now: datetime, read_evidence: bool = False
) -> tuple[LoadResult, list[Finding]]:
    """Load a case file (or a folder holding one) and check it; raises ``CaseUnreadable`` if unparsable."""
    result = load_case(path)
    return result, check_case(result, now=now, read_evidence=read_evidence)
