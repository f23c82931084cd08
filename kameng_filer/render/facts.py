"""The facts of a case, pre-digested for templates: order line, chronology, demands, citations, evidence."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kameng_filer.case.model import Case, Demand, DemandType, EvidenceKind, Order
from kameng_filer.render.filters import (
    CONTACT_LABELS,
    EVIDENCE_KIND_LABELS,
    PAYMENT_LABELS,
    TRANSACTION_LABELS,
    bjdate,
    bjtime,
    clause,
    hm,
    money,
    problem_label,
)
from kameng_filer.render.law import CLAIMS, Citation, laws_for
from kameng_filer.render.mask import mask_card_key


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


def demand_phrase(demand: Demand, order: Order) -> str:
    """A concrete, executable demand: ``全额退款100.00元至原支付账户``, ``补偿10.00元(延迟发货补偿)``."""
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
        text = (
            f"依据《消费者权益保护法》第55条赔偿{amount}"
            if amount
            else "依据《消费者权益保护法》第55条承担惩罚性赔偿"
        )
    elif demand.type == DemandType.apology:
        text = "书面道歉"
    else:
        return note
    return f"{text}({note})" if note else text


def _events(case: Case) -> tuple[Event, ...]:
    raw = [(t.at, "timeline", t.event) for t in case.timeline]
    for c in case.contacts:
        who = CONTACT_LABELS[c.with_]
        via = f"通过{clause(c.channel)}" if c.channel else ""
        raw.append((c.at, "contact", f"{via}联系{who}:{c.summary}"))
    raw.sort(key=lambda e: e[0])
    return tuple(Event(at, kind, text, bjdate(at), bjtime(at), hm(at)) for at, kind, text in raw)


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


def build_facts(case: Case) -> Facts:
    """Digest ``case`` into the values the templates print."""
    order = case.order
    method = order.payment.method if order.payment else None
    evidence = tuple(
        EvidenceItem(
            i,
            e.id,
            e.kind.value,
            EVIDENCE_KIND_LABELS[e.kind],
            e.description,
            os.path.basename(e.file.replace("\\", "/")),
        )
        for i, e in enumerate(case.evidence, start=1)
    )
    rules = tuple(Citation(r.source + (r.article or ""), clause(r.text)) for r in case.rules)
    laws = tuple(laws_for(case))
    basis = rules[0].cite if rules else (laws[0].cite if laws else "")
    return Facts(
        order_no=order.order_no,
        platform=case.respondent.platform,
        legal_name=case.respondent.legal_name or case.respondent.platform,
        merchant=(case.respondent.merchant.name or "") if case.respondent.merchant else "",
        product=order.product,
        quantity=order.quantity,
        amount=order.amount,
        bought_at=order.paid_at or order.ordered_at,
        pay_label=PAYMENT_LABELS[method] if method else "",
        txn_label=TRANSACTION_LABELS.get(method, "支付流水号") if method else "支付流水号",
        txn_no=(order.payment.transaction_no or "") if order.payment else "",
        problem=problem_label(case.problem.type),
        summary=clause(case.problem.summary),
        discovered_at=case.problem.discovered_at,
        claim=CLAIMS.get(case.problem.type, ""),
        promise=clause(order.promise) if order.promise else "",
        card_key=mask_card_key(order.card_key) if order.card_key else "",
        events=_events(case),
        contacts_count=len(case.contacts),
        demands=tuple(p for p in (demand_phrase(d, order) for d in case.demands) if p),
        rules=rules,
        laws=laws,
        basis=basis,
        evidence=evidence,
        attach=_attach(evidence),
    )
