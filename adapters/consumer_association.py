"""消费者协会 complaint (channels.md §5): generic web form, e-mail route, or printed letter (PDF).

Mutually exclusive with 12315 for the same dispute (办法 art. 16).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kameng_filer.adapters import plan_rules

from kameng_filer.adapter import FilingContext, FilingPlan, Receipt
from kameng_filer.case.model import Case
from kameng_filer.channels import ChannelSpec, FieldSpec, Requirement
from kameng_filer.filing.web import ProfileAdapter
from kameng_filer.planner import Facts, Planning

SPEC = ChannelSpec(
    name="consumer_association",
    title="消费者协会",
    short_title="消协",
    kind="browser",
    capabilities=frozenset({"submit", "reconcile", "poll_status", "follow_up"}),
    role="official",
    exclusive_with=("12315",),
    requires=(
        Requirement("complainant.address", "投诉人地址"),
        Requirement("respondent.legal_name", "被投诉方全称（暂缺时以平台名称提交）"),
    ),
    description="消协投诉：网页表单、邮件或打印投诉信；与12315对同一纠纷互斥",
    fields=(
        FieldSpec("complainant_name", "投诉人姓名", max_len=30, source="complainant.name"),
        FieldSpec("complainant_phone", "投诉人电话", "phone", source="complainant.phone"),
        FieldSpec("complainant_address", "投诉人地址", max_len=200, source="complainant.address"),
        FieldSpec("respondent_name", "被投诉方名称", max_len=100, source="respondent.legal_name"),
        FieldSpec(
            "respondent_address", "被投诉方地址", required=False, max_len=200, source="respondent.address"
        ),
        FieldSpec("respondent_phone", "被投诉方电话", "phone", required=False, source="respondent.phone"),
        FieldSpec("purchase_date", "购买日期", "date", source="order.paid_at"),
        FieldSpec("goods", "商品或服务", max_len=100, source="order.product"),
        FieldSpec("amount", "金额", "money", source="order.amount"),
        FieldSpec("facts", "事实经过", "textarea", min_len=20, max_len=2000, rendered=True),
        FieldSpec("demand", "投诉要求", "textarea", min_len=4, max_len=500, rendered=True),
        FieldSpec(
            "attachments",
            "附件",
            "file",
            required=False,
            accept=("image/jpeg", "image/png", "application/pdf"),
            max_bytes=5 * 1024 * 1024,
            max_files=8,
            max_pixels=2560,
            source="evidence",
        ),
    ),
    steps=(
        "填写投诉人与被投诉方信息",
        "填写购买日期、商品、金额",
        "填写事实经过与投诉要求",
        "上传附件并提交",
    ),
)


class ConsumerAssociationAdapter(ProfileAdapter):
    """Files with a consumer association: its web form (default) or, with ``route: email``, by e-mail.

    The e-mail route reuses the e-mail adapter with the association's texts and attaches the printable
    complaint letter (PDF) with the evidence index; ``kameng letter`` prints the same letter for post.
    """

    spec = SPEC
    default_profile = "association-twin"
    file_field = "attachments"

    @classmethod
    def plan_rules(cls, facts: Facts) -> list[tuple[float, Callable[[Planning], None]]]:
        """The consumer association when 12315 (exclusive with it) is not chosen; right after 12315's rule."""
        return [(plan_rules.official_rank(facts) + 1, lambda p: plan_rules.association(p, cls.spec))]

    @property
    def route(self) -> str:
        """``web`` (default) or ``email``."""
        return str(self.settings.get("route") or "web")

    def values(self, case: Case, purpose: str, context: dict[str, Any] | None) -> dict[str, Any]:
        """The association form's values."""
        from kameng_filer.render import render

        texts = render(case, self.name, purpose).fields
        paid = case.order.paid_at or case.order.ordered_at
        return {
            "complainant_name": case.complainant.name,
            "complainant_phone": case.complainant.phone,
            "complainant_address": case.complainant.address or "",
            "respondent_name": case.respondent.legal_name or case.respondent.platform,
            "respondent_address": case.respondent.address or "",
            "respondent_phone": case.respondent.phone or "",
            "purchase_date": paid.strftime("%Y-%m-%d") if paid else "",
            "goods": case.order.product,
            "amount": f"{case.order.amount:.2f}",
            "facts": texts["facts"],
            "demand": texts["demand"],
        }

    def _mailer(self) -> Any:
        from kameng_filer.adapters.email import EmailAdapter

        settings = {k: v for k, v in self.settings.items() if k not in ("route", "profile")}
        return EmailAdapter(settings)

    def plan(
        self, case: Case, *, purpose: str = "complaint", context: dict[str, Any] | None = None
    ) -> FilingPlan:
        """Web form plan, or an e-mail plan (subject/body from the association texts, letter PDF attached)."""
        if self.route != "email":
            return super().plan(case, purpose=purpose, context=context)
        from kameng_filer import paths
        from kameng_filer.adapter import PlannedFile
        from kameng_filer.filing.evidence import prepare_files, sniff_mime
        from kameng_filer.letter import write_letter_pdf

        values = self.values(case, purpose, context)
        mailer = self._mailer()
        to = self.settings.get("to")
        if not to:
            from kameng_filer.errors import ConfigError

            raise ConfigError(
                "消协邮件投诉需要收件地址",
                hint="在配置 channels.consumer_association.to 中填写当地消协的投诉邮箱",
            )
        subject = f"消费投诉:{values['respondent_name']}(订单{case.order.order_no})"
        body = (
            f"您好:\n\n本人{case.complainant.name}(电话 {case.complainant.phone})就以下消费纠纷向贵会投诉。\n\n"
            f"被投诉方:{values['respondent_name']}\n地址:{values['respondent_address'] or '不详'}\n"
            f"购买日期:{values['purchase_date']}  商品:{values['goods']}  金额:{values['amount']}元\n\n"
            f"【事实经过】\n{values['facts']}\n\n【投诉要求】\n{values['demand']}\n\n"
            "附件为投诉书(PDF,含证据清单)及证据图片。\n\n此致\n消费者协会\n"
        )
        folder = paths.sub(f"cache/letters/{case.id}")
        letter = write_letter_pdf(case, folder / "投诉书.pdf")
        import hashlib

        data = letter.read_bytes()
        files = [
            PlannedFile(
                "letter",
                letter,
                "complaint-letter.pdf",
                sniff_mime(data),
                len(data),
                hashlib.sha256(data).hexdigest(),
                "投诉书",
            )
        ]
        files += prepare_files(case, self.spec.field("attachments"), paths.sub(f"cache/files/{self.name}"))
        return FilingPlan(
            channel=self.name,
            case_id=case.id,
            purpose=purpose,
            fields={"to": str(to), "subject": subject, "body": body, **values},
            files=files,
            target={
                "route": "email",
                "from": mailer._sender(case),
                "smtp": f"{mailer.settings.get('smtp_host', 'localhost')}",
            },
            lookup_key=case.order.order_no,
        )

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """Web form, or the e-mail route through the e-mail adapter."""
        if plan.target.get("route") == "email":
            return await self._mailer().submit(plan, ctx)
        return await super().submit(plan, ctx)
