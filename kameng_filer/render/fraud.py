"""What counts as evidence of the seller's fraud (消保法 art. 55), for the texts, the checks and the plan.

Punitive damages (three times the price, at least 500 yuan) are claimed from the **seller** and only with
evidence of fraud (domain.md). Demanding them is no evidence at all. The case shows fraud when:

- a promise is contradicted: the problem is a false promise / goods not as described / too short a
  validity, and the promise is on record (``order.promise`` or evidence of kind ``promise``) with proof of
  the problem (evidence of kind ``problem_proof``);
- card keys were sold as new but had been used before the sale (a dead-key problem whose words say
  “已被使用/已兑换…”), with proof of the problem;
- the merchant vanished after taking the money (problem type ``merchant_vanished``, or words such as
  “跑路”“店铺关闭”“拉黑”);
- fake goods were sold as genuine (“假卡”“伪造”“冒充官方”…), with proof of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from kameng_filer.case.model import Case, EvidenceKind, ProblemType

_PROMISE_TYPES = (ProblemType.false_promise, ProblemType.not_as_described, ProblemType.short_validity)
_USED_BEFORE = re.compile(
    r"已被(?:他人|别人)?(?:使用|兑换|绑定|充值)|已经被(?:人)?使用|被(?:他人|别人)使用过|已使用过|二手卡|旧卡当新卡"
)
_VANISHED = re.compile(
    r"跑路|失联|店铺(?:已)?(?:关闭|下架|注销)|关店|把我拉黑|被拉黑|拉黑了|删除好友|联系方式(?:全部)?失效"
)
_FAKE = re.compile(r"假卡|假货|伪造|冒充官方|假冒|盗版卡|虚假卡密")


def fraud_grounds(
    problem: ProblemType, kinds: Collection[EvidenceKind], text: str, promise: bool
) -> tuple[str, ...]:
    """The grounds for fraud the case shows, in Chinese (empty when there is no evidence of fraud).

    ``kinds`` are the evidence kinds on record, ``text`` the case's own words (summary, timeline,
    contacts), ``promise`` whether the merchant's promise is recorded.
    """
    proof = EvidenceKind.problem_proof in kinds
    grounds: list[str] = []
    if problem in _PROMISE_TYPES and (promise or EvidenceKind.promise in kinds) and proof:
        grounds.append("商家的承诺与实际交付不符（有承诺记录和问题证明）")
    if problem == ProblemType.invalid_card_key and proof and _USED_BEFORE.search(text):
        grounds.append("作为新卡出售的卡密在售出前已被使用（有问题证明）")
    if problem == ProblemType.merchant_vanished or _VANISHED.search(text):
        grounds.append("商家收款后失联")
    if proof and _FAKE.search(text):
        grounds.append("以假充真（有问题证明）")
    return tuple(grounds)


def case_words(case: Case) -> str:
    """The case's own words that may tell of fraud: summary, promise, timeline and contacts."""
    parts = [case.problem.summary, case.order.promise or ""]
    parts += [t.event for t in case.timeline] + [c.summary for c in case.contacts]
    return "\n".join(parts)


def case_fraud_grounds(case: Case) -> tuple[str, ...]:
    """``fraud_grounds`` of a validated case."""
    return fraud_grounds(
        case.problem.type,
        {e.kind for e in case.evidence},
        case_words(case),
        bool(case.order.promise),
    )
