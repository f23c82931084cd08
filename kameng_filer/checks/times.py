"""Times that cannot be right: in the future, out of order, payment before the order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from kameng_filer.checks.base import Context, fmt_time
from kameng_filer.findings import Finding

FUTURE_GRACE = timedelta(minutes=10)


def _all_times(ctx: Context) -> Iterator[tuple[str, datetime]]:
    case = ctx.case
    assert case is not None
    for path, value in (
        ("order.ordered_at", case.order.ordered_at),
        ("order.paid_at", case.order.paid_at),
        ("problem.discovered_at", case.problem.discovered_at),
    ):
        if value is not None:
            yield path, value
    for i, entry in enumerate(case.timeline):
        yield f"timeline[{i}].at", entry.at
    for i, contact in enumerate(case.contacts):
        yield f"contacts[{i}].at", contact.at


def check(ctx: Context) -> Iterator[Finding]:
    """Future times, unordered timeline/contacts, and paid_at before ordered_at."""
    case = ctx.case
    if case is None:
        return
    for path, value in _all_times(ctx):
        if value > ctx.now + FUTURE_GRACE:
            yield ctx.finding(
                "time.future",
                path,
                f"时间 {fmt_time(value)} 晚于当前时间 {fmt_time(ctx.now)}",
                "检查年份、月份和上午/下午；没有时区的时间按北京时间理解",
            )
    for key, entries in (("timeline", case.timeline), ("contacts", case.contacts)):
        for i in range(1, len(entries)):
            if entries[i].at < entries[i - 1].at:
                yield ctx.finding(
                    "time.out_of_order",
                    f"{key}[{i}].at",
                    f"{'时间线' if key == 'timeline' else '沟通记录'}第 {i + 1} 项早于第 {i} 项，没有按时间顺序排列",
                    "按时间从早到晚排列，投诉文本会按这个顺序叙述",
                )
                break
    ordered, paid = case.order.ordered_at, case.order.paid_at
    if ordered is not None and paid is not None and paid < ordered:
        yield ctx.finding(
            "time.paid_before_ordered",
            "order.paid_at",
            f"支付时间 {fmt_time(paid)} 早于下单时间 {fmt_time(ordered)}",
            "对照订单详情和支付凭证核对这两个时间",
        )
