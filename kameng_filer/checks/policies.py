"""The case's own policy overrides (``policies:``) must name known channels and load cleanly."""

from __future__ import annotations

from collections.abc import Iterator

from kameng_filer.checks.base import Context
from kameng_filer.errors import KamengError
from kameng_filer.findings import Finding


def check(ctx: Context) -> Iterator[Finding]:
    """An error for every ``policies.<channel>`` override that does not apply."""
    case = ctx.case
    if case is None or not case.policies:
        return
    from kameng_filer.tracker.policy import load_policy

    for channel, patch in case.policies.items():
        try:
            load_policy(channel.split("@", 1)[0], case_overrides=patch)
        except KamengError as exc:
            yield ctx.finding(
                "policies.invalid",
                f"policies.{channel}",
                f"渠道「{channel}」的期限策略覆盖无法使用：{exc.message}",
                "格式同 schedules/*.yaml 的对应部分，见 docs/deadlines.md",
            )
