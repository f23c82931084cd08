"""The facts of a case, pre-digested for templates: order line, chronology, demands, citations, evidence."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from difflib import SequenceMatcher
from typing import NamedTuple

from kameng_filer.case.model import (
    Case,
    ContactWith,
    Demand,
    DemandType,
    EvidenceKind,
    Order,
    PaymentMethod,
    ProblemType,
)
from kameng_filer.render.amounts import renewal_phrase, renewals_of
from kameng_filer.render.filters import (
    CONTACT_LABELS,
    EVIDENCE_KIND_LABELS,
    PAYMENT_LABELS,
    TRANSACTION_LABELS,
    clause,
    money,
    problem_label,
)
from kameng_filer.render.fraud import fraud_grounds
from kameng_filer.render.law import Citation, claim_for, laws_for_types, merge_citations, rule_cite
from kameng_filer.render.mask import mask_card_key
from kameng_filer.timeutil import as_shanghai


@dataclass(slots=True)
class Event:
    """One dated line of the chronology: ``kind`` is ``timeline`` or ``contact``.

    ``day`` (``2026年11月2日``), ``stamp`` (``2026年11月2日 15:00``) and ``clock`` (``15:00``) are the
    Beijing-time spellings, precomputed so templates can show only the clock for same-day lines.
    """

    at: datetime
    kind: str
    text: str
    day: str = ""
    stamp: str = ""
    clock: str = ""


@dataclass(slots=True)
class EvidenceItem:
    """One evidence item as the texts list it (``n`` counts from 1)."""

    n: int
    id: str
    kind: str
    kind_label: str
    description: str
    file: str


@dataclass(slots=True)
class Facts:
    """Everything the templates say about a case, computed once per render (variable ``f``)."""

    order_no: str
    platform: str
    legal_name: str
    merchant: str
    product: str
    quantity: int
    amount: Decimal
    bought_at: datetime | None
    pay_label: str
    txn_label: str
    txn_no: str
    problem: str
    summary: str
    discovered_at: datetime | None
    claim: str
    """The complainant's position restating the problem type, e.g. ``被投诉方收款后未交付商品``."""
    promise: str
    card_key: str
    """The card key masked to first4****last4 (never the full key), or empty."""
    events: tuple[Event, ...]
    contacts_count: int
    demands: tuple[str, ...]
    rules: tuple[Citation, ...]
    laws: tuple[Citation, ...]
    basis: str
    """The first rule (else law) citation, for “不符合XX规定”; empty when there is none."""
    evidence: tuple[EvidenceItem, ...]
    attach: str
    """Short “what is attached” phrase for subjects: ``附支付凭证等4项证据``."""
    renewals: str = ""
    """Auto-renewal: the later deductions, ``此后被自动续费扣款3次，共90.00元`` (empty otherwise)."""


def demand_phrase(demand: Demand, order: Order, merchant: str = "") -> str:
    """A concrete, executable demand: ``全额退款100.00元至原支付账户``, ``补偿10.00元(延迟发货补偿)``.

    Punitive damages (消保法 55) are aimed at the seller: ``由入驻商户“小王点卡”依据…赔偿500.00元``.
    """
    note = clause(demand.note) if demand.note else ""
    amount = money(demand.amount)
    if demand.type == DemandType.refund:
        full = demand.amount is not None and demand.amount == order.amount
        text = ("全额退款" if full else "退款") + amount if amount else "退还全部货款"
        to = (demand.to or "").strip()
        if to in ("original_payment", "原支付账户", "原路退回"):
            text += "至原支付账户"
        elif to == "balance":
            text += "至平台余额"
        elif to:
            text += f"至{to}"
    elif demand.type == DemandType.redeliver:
        qty = demand.quantity or order.quantity
        text = f"补发{order.product}" + (f"×{qty}" if qty > 1 else "")
    elif demand.type == DemandType.compensation:
        text = f"补偿{amount}" if amount else "给予补偿"
    elif demand.type == DemandType.punitive_damages:
        seller = f"由入驻商户“{merchant}”" if merchant else "由销售商家"
        text = (
            f"{seller}依据《消费者权益保护法》第55条赔偿{amount}"
            if amount
            else f"{seller}依据《消费者权益保护法》第55条承担惩罚性赔偿"
        )
    elif demand.type == DemandType.apology:
        text = "书面道歉"
    else:
        return note
    return f"{text}({note})" if note else text


_SAME_WORDS = 6
"""A timeline entry sharing this many characters in a row with a contact's summary tells the same event."""


def _told_by_contact(entry: tuple[datetime, str, str], contacts: tuple[_ContactIn, ...]) -> bool:
    """True when a contact of the same minute already tells this timeline entry (it would print twice)."""
    at, _, text = entry
    minute = as_shanghai(at).replace(second=0, microsecond=0)
    for c in contacts:
        if as_shanghai(c.at).replace(second=0, microsecond=0) != minute:
            continue
        if "联系" in text or "客服" in text:
            return True
        match = SequenceMatcher(None, text, c.summary, autojunk=False).find_longest_match()
        if match.size >= _SAME_WORDS:
            return True
    return False


def _events(timeline: tuple[_TimelineIn, ...], contacts: tuple[_ContactIn, ...]) -> tuple[Event, ...]:
    raw = [(t.at, "timeline", t.event) for t in timeline]
    for c in contacts:
        who = CONTACT_LABELS[c.with_]
        via = f"通过{clause(c.channel)}" if c.channel else ""
        raw.append((c.at, "contact", f"{via}联系{who}:{c.summary}"))
    raw = [e for e in raw if not (e[1] == "timeline" and _told_by_contact(e, contacts))]
    raw.sort(key=lambda e: e[0])
    events = []
    for at, kind, text in raw:
        v = as_shanghai(at)  # the spellings of bjdate, bjtime and hm, converting once
        day = f"{v.year}年{v.month}月{v.day}日"
        clock = f"{v.hour:02d}:{v.minute:02d}"
        events.append(Event(at, kind, text, day, f"{day} {clock}", clock))
    return tuple(events)


@dataclass(slots=True)
class Line:
    """One line of the chronology as printed: ``when`` is the full stamp, or only the clock on the same day."""

    when: str
    text: str
    kind: str


_KIND_PART = {"timeline": "timeline", "contact": "contacts"}


def chronology(events: tuple[Event, ...], show: Mapping[str, bool]) -> list[Line]:
    """The events whose part is switched on (``timeline`` / ``contacts``), dates shown only when they change.

    Available in templates as ``chronology(f.events, show)``.
    """
    on: dict[str, bool] = {}
    lines: list[Line] = []
    day = ""
    for e in events:
        if e.kind not in on:
            on[e.kind] = show[_KIND_PART.get(e.kind, e.kind)]
        if on[e.kind]:
            lines.append(Line(e.clock if e.day == day else e.stamp, e.text, e.kind))
            day = e.day
    return lines


def _attach(evidence: tuple[EvidenceItem, ...]) -> str:
    if not evidence:
        return ""
    kinds = [e.kind for e in evidence]
    lead = EvidenceKind.payment_proof.value if EvidenceKind.payment_proof.value in kinds else kinds[0]
    label = EVIDENCE_KIND_LABELS[EvidenceKind(lead)]
    return f"附{label}" + (f"等{len(evidence)}项证据" if len(evidence) > 1 else "")


# ---- the case values the facts are made of -------------------------------------------------------
# ``build_facts`` first copies every value it needs out of the case into these immutable tuples
# (``_inputs``), then computes the facts from the copy alone (``_digest``). Equal copies therefore
# give equal facts, so one ``Facts`` object is shared by every render of the same case content — the
# seven channels of one case, the parts dropped while fitting — and a case changed in between is
# simply a new copy.


class _TimelineIn(NamedTuple):
    at: datetime
    zone: object  # (tzinfo, fold): equal instants in other zones print differently
    event: str


class _ContactIn(NamedTuple):
    at: datetime
    zone: object
    with_: ContactWith
    channel: str | None
    summary: str


class _EvidenceIn(NamedTuple):
    id: str
    kind: EvidenceKind
    description: str
    file: str


class _DemandIn(NamedTuple):
    type: DemandType
    amount: Decimal | None
    digits: str | None  # str(amount): 100.0 and 100.00 are equal but print differently
    quantity: int | None
    to: str | None
    note: str | None


class _OrderIn(NamedTuple):
    order_no: str
    product: str
    quantity: int
    amount: Decimal
    digits: str
    paid_at: datetime | None
    ordered_at: datetime | None
    zones: object
    method: PaymentMethod | None
    transaction_no: str | None
    promise: str | None
    card_key: str | None


class _Inputs(NamedTuple):
    order: _OrderIn
    platform: str
    legal_name: str | None
    merchant: str
    problem_type: ProblemType
    summary: str
    discovered_at: datetime | None
    discovered_zone: object
    timeline: tuple[_TimelineIn, ...]
    contacts: tuple[_ContactIn, ...]
    evidence: tuple[_EvidenceIn, ...]
    demands: tuple[_DemandIn, ...]
    rules: tuple[tuple[str, str | None, str], ...]


def _zone(value: datetime | None) -> object:
    return None if value is None else (value.tzinfo, value.fold)


def _inputs(case: Case) -> _Inputs:
    """Every value of ``case`` that the facts depend on, copied into immutable tuples.

    Equal inputs mean equal facts: besides the values themselves they hold what ``==`` does not see,
    a decimal's digits and a time's zone and fold.
    """
    new = tuple.__new__
    order = case.order
    pay = order.payment
    merchant = case.respondent.merchant
    problem = case.problem
    return new(
        _Inputs,
        (
            new(
                _OrderIn,
                (
                    order.order_no,
                    order.product,
                    order.quantity,
                    order.amount,
                    str(order.amount),
                    order.paid_at,
                    order.ordered_at,
                    (_zone(order.paid_at), _zone(order.ordered_at)),
                    pay.method if pay else None,
                    (pay.transaction_no or "") if pay else None,
                    order.promise,
                    order.card_key,
                ),
            ),
            case.respondent.platform,
            case.respondent.legal_name,
            (merchant.name or "") if merchant else "",
            problem.type,
            problem.summary,
            problem.discovered_at,
            _zone(problem.discovered_at),
            tuple([new(_TimelineIn, (t.at, (t.at.tzinfo, t.at.fold), t.event)) for t in case.timeline]),
            tuple(
                [
                    new(_ContactIn, (c.at, (c.at.tzinfo, c.at.fold), c.with_, c.channel, c.summary))
                    for c in case.contacts
                ]
            ),
            tuple([new(_EvidenceIn, (e.id, e.kind, e.description, e.file)) for e in case.evidence]),
            tuple(
                [
                    new(
                        _DemandIn,
                        (
                            d.type,
                            d.amount,
                            None if d.amount is None else str(d.amount),
                            d.quantity,
                            d.to,
                            d.note,
                        ),
                    )
                    for d in case.demands
                ]
            ),
            tuple([(r.source, r.article, r.text) for r in case.rules]),
        ),
    )


def _digest(inputs: _Inputs) -> Facts:
    """The facts, computed from the copied values alone."""
    order = inputs.order
    method = order.method
    evidence = tuple(
        EvidenceItem(
            i,
            e.id,
            e.kind.value,
            EVIDENCE_KIND_LABELS[e.kind],
            e.description,
            os.path.basename(e.file.replace("\\", "/")),
        )
        for i, e in enumerate(inputs.evidence, start=1)
    )
    words = " ".join(
        [
            inputs.summary,
            order.promise or "",
            *(t.event for t in inputs.timeline),
            *(c.summary for c in inputs.contacts),
        ]
    )
    fraud = fraud_grounds(
        inputs.problem_type, {e.kind for e in inputs.evidence}, words, bool(order.promise)
    )
    demands = [d for d in inputs.demands if fraud or d.type != DemandType.punitive_damages]
    rules, laws = merge_citations(
        (Citation(rule_cite(source, article), clause(text)) for source, article, text in inputs.rules),
        laws_for_types(inputs.problem_type, [d.type for d in demands], words),
    )
    basis = rules[0].cite if rules else (laws[0].cite if laws else "")
    return Facts(
        order_no=order.order_no,
        platform=inputs.platform,
        legal_name=inputs.legal_name or inputs.platform,
        merchant=inputs.merchant,
        product=order.product,
        quantity=order.quantity,
        amount=order.amount,
        bought_at=order.paid_at or order.ordered_at,
        pay_label=PAYMENT_LABELS[method] if method else "",
        txn_label=TRANSACTION_LABELS.get(method, "支付流水号") if method else "支付流水号",
        txn_no=order.transaction_no or "",
        problem=problem_label(inputs.problem_type),
        summary=clause(inputs.summary),
        discovered_at=inputs.discovered_at,
        claim=claim_for(inputs.problem_type, inputs.merchant),
        promise=clause(order.promise) if order.promise else "",
        card_key=mask_card_key(order.card_key) if order.card_key else "",
        events=_events(inputs.timeline, inputs.contacts),
        contacts_count=len(inputs.contacts),
        demands=tuple(p for p in (demand_phrase(d, order, inputs.merchant) for d in demands) if p),  # type: ignore[arg-type]
        rules=rules,
        laws=laws,
        basis=basis,
        evidence=evidence,
        attach=_attach(evidence),
        renewals=renewal_phrase(
            renewals_of(
                inputs.problem_type,
                order.paid_at or order.ordered_at,
                ((t.at, t.event) for t in inputs.timeline),
                inputs.summary,
            ),
            order.amount,
        ),
    )


_RECENT = 8
"""Facts of this many recent case contents are kept for reuse."""
_recent: list[tuple[_Inputs, Facts]] = []
"""(inputs, facts), the most recent first. Compared with ``==`` rather than hashed: hashing the
inputs would hash every enum member in Python, while comparing stops at the first difference (or
finds the very same objects at once for the same case)."""
_recent_lock = threading.Lock()


def build_facts(case: Case) -> Facts:
    """Digest ``case`` into the values the templates print.

    The result for the same case content is the same (shared, not to be modified) ``Facts`` object:
    rendering the seven channels of one case digests it once.
    """
    global _recent
    inputs = _inputs(case)
    for known, facts in _recent:
        if known == inputs:
            return facts
    facts = _digest(inputs)
    with _recent_lock:
        _recent = [(inputs, facts), *_recent[: _RECENT - 1]]  # a new list: readers never see it change
    return facts
