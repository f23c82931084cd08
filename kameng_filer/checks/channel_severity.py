"""Per-channel severity of text findings: emotional or vague wording never reaches a channel unconfirmed.

For a regulator or a public site (12315, 消协, 黑猫) the 办法 requires a specific request and the reader
judges the whole text by its tone, so an emotional or vague text is an error at its field. For the
other channels it blocks filing too, unless the person overrides it explicitly with ``--force "理由"``
(the reason is recorded with each filing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from kameng_filer import registry
from kameng_filer.case.model import Case
from kameng_filer.errors import KamengError
from kameng_filer.findings import Finding

TEXT_CODES = frozenset({"language.emotional", "demands.vague_phrase", "problem.vague"})
"""Findings about the wording of the texts (see lexicon.yaml)."""


def _base(channel: str) -> str:
    return channel.split("@", 1)[0].strip()


def strict_name(channel: str) -> str | None:
    """The short name of a channel where an emotional or vague text is always an error (a regulator or a
    public site, declared by its ``ChannelSpec.role``); None for the others."""
    try:
        spec = registry.spec(_base(channel))
    except KamengError:
        return None
    return spec.short_name if spec.strict_wording else None


def for_channels(findings: Iterable[Finding], channels: Iterable[str], override: str | None) -> list[Finding]:
    """``findings`` with the text warnings turned into errors for filing on ``channels``.

    Strict channels: always an error. Others: an error unless ``override`` (the ``--force`` reason) is given.
    """
    strict = [name for c in channels if (name := strict_name(c))]
    out: list[Finding] = []
    for f in findings:
        if f.code in TEXT_CODES and f.severity != "error":
            if strict:
                names = "、".join(dict.fromkeys(strict))
                f = replace(
                    f,
                    severity="error",
                    message=f"{f.message}（向{names}提交时不允许：监管部门和公开平台只看具体事实和可执行的请求）",
                )
            elif not override:
                f = replace(
                    f,
                    severity="error",
                    message=f"{f.message}（提交前请按建议改写；确要原样提交，加 --force \"理由\"，理由会被记录）",
                )
        out.append(f)
    return out


def wording_findings(case: Case, *, now: datetime) -> list[Finding]:
    """The wording findings (``TEXT_CODES``) of a case already in the store, as ``kameng check`` gives them.

    ``kameng file <case id>`` runs these too, so a stored case's emotional or vague wording is refused
    exactly like the same case given as a file.
    """
    from kameng_filer.case.loader import LoadResult
    from kameng_filer.checks import demands, language, problem
    from kameng_filer.checks.base import Context

    raw = case.model_dump(mode="json", by_alias=True, exclude_none=True)
    ctx = Context(result=LoadResult(source=None, raw=raw, case=case), now=now)
    found: list[Finding] = []
    for rule in (language.check, problem.check, demands.check):
        found.extend(f for f in rule(ctx) if f.code in TEXT_CODES)
    return found
