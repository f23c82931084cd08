"""The 3-year limitation period (民法典 art. 188); 12315 also rejects older disputes (办法 art. 16)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from kameng_filer.checks.base import Context, fmt_time
from kameng_filer.findings import Finding
from kameng_filer.timeutil import SHANGHAI

LIMITATION_YEARS = 3
NEAR = timedelta(days=90)


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 Feb becomes 28 Feb (民法典 art. 202: last day of the month)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def limitation_end(start: datetime) -> datetime | None:
    """End (24:00 of the last day) of the 3-year period starting at ``start``; None if out of range."""
    try:
        last = add_years(start.astimezone(SHANGHAI).date(), LIMITATION_YEARS)
    except (ValueError, OverflowError):
        return None
    return datetime.combine(last, time.max, tzinfo=SHANGHAI)


def check(ctx: Context) -> Iterator[Finding]:
    """Passed or within 90 days, counted from problem.discovered_at (else paid_at, else ordered_at)."""
    case = ctx.case
    if case is None:
        return
    starts = (
        ("problem.discovered_at", case.problem.discovered_at),
        ("order.paid_at", case.order.paid_at),
        ("order.ordered_at", case.order.ordered_at),
    )
    found = next(((p, s) for p, s in starts if s is not None), None)
    if found is None:
        return
    path, start = found
    end = limitation_end(start)
    if end is None:
        return
    if ctx.now > end:
        yield ctx.finding(
            "limitation.expired",
            path,
            f"从 {fmt_time(start)} 起算的3年诉讼时效已于 {end:%Y-%m-%d} 届满（民法典第188条）："
            "法院不会主动适用诉讼时效，只有对方提出时效抗辩时才不予支持，对方也仍可自愿退款；"
            "12315 不受理超过3年的纠纷（《市场监督管理投诉举报处理办法》第16条）",
            "仍可向平台、支付渠道、消费者协会投诉或起诉，投诉时如实写明时间；"
            "如果时效曾因投诉、催告等中断，在 timeline 中记录并保留凭证（中断后重新计算3年）",
        )
    elif end - ctx.now <= NEAR:
        days = (end - ctx.now).days
        yield ctx.finding(
            "limitation.near",
            path,
            f"3年诉讼时效将于 {end:%Y-%m-%d} 届满（还剩约 {days} 天，民法典第188条）",
            "尽快向 12315 或法院提出；向对方书面主张权利可以中断时效，保留凭证",
        )
