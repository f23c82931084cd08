"""Prior contact (先与商家沟通): recorded, with the merchant or platform, citing evidence that exists."""

from __future__ import annotations

from collections.abc import Iterator

from kameng_filer.case.model import ContactWith, ProblemType
from kameng_filer.checks.base import Context
from kameng_filer.findings import Finding

_FIRST_LINE = (ContactWith.merchant, ContactWith.platform_support)


def check(ctx: Context) -> Iterator[Finding]:
    """No contact recorded, none with merchant/platform support, or a contact citing unknown evidence."""
    case = ctx.case
    if case is None:
        return
    vanished = case.problem.type == ProblemType.merchant_vanished
    if not case.contacts:
        what = "尝试联系商家的经过（时间、方式、无人回应）" if vanished else "与商家或平台客服的沟通经过"
        yield ctx.finding(
            "contacts.none",
            "contacts",
            "没有沟通记录：平台通常要求“先与商家沟通未果再投诉”，否则可能被视为恶意投诉",
            f"在 contacts 中记录{what}，并引用聊天截图（evidence 编号）",
        )
    elif not any(c.with_ in _FIRST_LINE for c in case.contacts):
        yield ctx.finding(
            "contacts.no_merchant",
            "contacts",
            "沟通记录里没有与商家或平台客服的沟通：平台通常要求先与商家沟通",
            "先通过站内消息/客服联系商家或平台，再把经过记录为 with: merchant 或 with: platform_support",
        )
    ids = {e.id for e in case.evidence}
    for i, contact in enumerate(case.contacts):
        for j, ref in enumerate(contact.evidence):
            if ref not in ids:
                known = "、".join(sorted(ids)) if ids else "（还没有登记任何证据）"
                yield ctx.finding(
                    "contacts.unknown_evidence",
                    f"contacts[{i}].evidence[{j}]",
                    f"沟通记录第 {i + 1} 项引用了不存在的证据「{ref}」",
                    f"引用 evidence 列表中已有的编号：{known}；或先登记这份证据",
                )
