"""The platform's own complaint window (三明确 ③), e.g. "支付后7天内" or "到账问题需在1小时内投诉"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from kameng_filer.checks.base import Context, fmt_time
from kameng_filer.findings import Finding

CLOSING_SOON = timedelta(hours=24)
WINDOW_STARTS: dict[str, tuple[str, str]] = {
    "paid_at": ("order.paid_at", "支付"),
    "ordered_at": ("order.ordered_at", "下单"),
    "discovered_at": ("problem.discovered_at", "发现问题"),
}


def fmt_duration(value: timedelta) -> str:
    """A duration in Chinese: 7天, 1小时, 2天3小时, 30分钟."""
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{days}天" if days else "",
        f"{hours}小时" if hours else "",
        f"{minutes}分钟" if minutes else "",
    ]
    return "".join(parts) or f"{total}秒"


def window_deadline(ctx: Context) -> tuple[datetime, str] | None:
    """(deadline, what it counts from) for the platform window, when it can be computed."""
    case = ctx.case
    policy = case.platform_policy if case else None
    if case is None or policy is None or policy.complaint_window is None:
        return None
    entry = WINDOW_STARTS.get(policy.window_starts)
    if entry is None or policy.complaint_window <= timedelta(0):
        return None
    start = _start(ctx, policy.window_starts)
    if start is None:
        return None
    try:
        return start + policy.complaint_window, entry[1]
    except OverflowError:
        return None


def _start(ctx: Context, field: str) -> datetime | None:
    case = ctx.case
    assert case is not None
    if field == "discovered_at":
        return case.problem.discovered_at
    return getattr(case.order, field)


def check(ctx: Context) -> Iterator[Finding]:
    """Window unknown, misconfigured, closed, or closing within 24 hours of ``now``."""
    case = ctx.case
    if case is None:
        return
    policy = case.platform_policy
    path = "platform_policy.complaint_window"
    if policy is None or policy.complaint_window is None:
        yield ctx.finding(
            "window.unknown",
            path,
            "没有填写平台的投诉时限，无法提醒你是否超时",
            "在平台规则/用户协议中查找投诉时限（如“支付后7天内”“到账问题需在1小时内投诉”），"
            "写成 platform_policy: {complaint_window: P7D}",
        )
        return
    window = policy.complaint_window
    if window <= timedelta(0):
        yield ctx.finding(
            "window.invalid",
            path,
            "平台投诉时限必须是正的时长",
            "写成 ISO 8601 时长，例如 P7D（7天）、PT1H（1小时）",
        )
        return
    entry = WINDOW_STARTS.get(policy.window_starts)
    if entry is None:
        yield ctx.finding(
            "window.bad_start",
            "platform_policy.window_starts",
            f"投诉时限起点「{policy.window_starts}」无效",
            f"可选：{' | '.join(WINDOW_STARTS)}（默认 paid_at，即从支付时间起算）",
        )
        return
    start_path, start_label = entry
    if _start(ctx, policy.window_starts) is None:
        yield ctx.finding(
            "window.no_start",
            start_path,
            f"平台投诉时限从{start_label}时间起算，但没有填写{start_label}时间",
            f"填写 {start_path}，例如 2026-11-02T15:00:30",
        )
        return
    computed = window_deadline(ctx)
    if computed is None:
        return
    deadline, _ = computed
    left = deadline - ctx.now
    span = f"{start_label}后{fmt_duration(window)}"
    if left < timedelta(0):
        yield ctx.finding(
            "window.closed",
            path,
            f"平台投诉时限（{span}）已于 {fmt_time(deadline)} 截止",
            "仍可向平台提交并说明未能及时投诉的原因；同时考虑支付渠道、12315 等外部渠道",
        )
    elif left < CLOSING_SOON:
        hours = left.total_seconds() / 3600
        yield ctx.finding(
            "window.closing",
            path,
            f"平台投诉时限（{span}）将于 {fmt_time(deadline)} 截止，只剩约 {hours:.1f} 小时",
            "尽快向平台提交投诉，先提交、后补充证据",
        )
