"""Auto-renewal deductions told by a case's own words (for the texts and for ``kameng check``).

An auto-renewal dispute is about later deductions, not about the order's first payment: 1 yuan paid on
the day the membership was opened, then e.g. three 30-yuan deductions. The deductions are read from the
timeline (entries after the payment day that say 扣款/续费 with an amount), else from the summary
(“8月至10月每月被自动扣款30元”, “被扣款3次，每次30元”).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from kameng_filer.case.model import Case, ProblemType
from kameng_filer.textforms import normalise

AMOUNT = r"(\d{1,7}(?:\.\d{1,2})?)\s*元"
_DEDUCTION = re.compile(rf"(?:扣款|扣费|扣了|扣除|续费|续订|划扣|被扣)[^。；;，,\n]{{0,8}}?{AMOUNT}")
_FIRST_PAID = re.compile(
    rf"(?:首月|首期|首次|开通)[^。；;，,\n]{{0,8}}?{AMOUNT}|{AMOUNT}[^。；;，,\n]{{0,4}}开通"
)
_TIMES = re.compile(r"([一二两三四五六七八九十\d]{1,2})\s*次")
_MONTH_SPAN = re.compile(r"(\d{1,2})\s*月\s*(?:至|到|-|—|~)\s*(\d{1,2})\s*月")
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def yuan(text: str) -> Decimal | None:
    """``text`` as an amount of yuan with two decimals, or None."""
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def count(text: str) -> int:
    """A small count written in digits or Chinese numerals (``3``, ``三``, ``两``); 0 when unknown."""
    return int(text) if text.isdigit() else _CN_NUM.get(text, 0)


@dataclass(frozen=True)
class Renewals:
    """Auto-renewal deductions: how many, their total, and the first payment the summary names."""

    count: int
    total: Decimal
    first: Decimal | None


def renewals_of(
    problem: ProblemType, paid_day: datetime | None, timeline: Iterable[tuple[datetime, str]], summary: str
) -> Renewals | None:
    """The later deductions of an auto-renewal dispute, or None (another problem type, none told)."""
    if problem != ProblemType.auto_renewal:
        return None
    found: list[Decimal] = []
    for at, event in timeline:
        if paid_day is not None and at.date() <= paid_day.date():
            continue
        m = _DEDUCTION.search(normalise(event))
        if m and (v := yuan(m.group(1))) is not None:
            found.append(v)
    text = normalise(summary)
    first_m = _FIRST_PAID.search(text)
    first = yuan(first_m.group(1) or first_m.group(2)) if first_m else None
    if found:
        return Renewals(len(found), sum(found, Decimal("0.00")), first)
    m = _DEDUCTION.search(text)
    if m is None or (each := yuan(m.group(1))) is None or each == first:
        return None
    times = _TIMES.search(text[m.start() :]) or _TIMES.search(text)
    span = _MONTH_SPAN.search(text)
    n = count(times.group(1)) if times else 0
    if not n and span:
        a, b = int(span.group(1)), int(span.group(2))
        n = b - a + 1 if b >= a else b + 12 - a + 1
    n = n or 1
    return Renewals(n, each * n, first)


def renewals(case: Case) -> Renewals | None:
    """``renewals_of`` for a validated case."""
    return renewals_of(
        case.problem.type,
        case.order.paid_at or case.order.ordered_at,
        ((t.at, t.event) for t in case.timeline),
        case.problem.summary,
    )


def renewal_phrase(found: Renewals | None, amount: Decimal) -> str:
    """``此后被自动续费扣款3次，共90.00元`` (empty when nothing is told or the amount already is the total)."""
    if found is None or found.total == amount:
        return ""
    return f"此后被自动续费扣款{found.count}次，共{found.total:.2f}元"
