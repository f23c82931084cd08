"""E-mail complaint (channels.md §7): SMTP submission with attachments; receipt = Message-ID + server reply.

Settings (``channels.email`` in config.yaml): ``smtp_host``, ``smtp_port``, ``ssl`` / ``starttls``,
``username`` (password from keyring/env, never from files), ``from``, ``to`` (defaults to
``respondent.email``), ``cc``. Replies arrive by mail; the follow-up is a reply in the same thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import smtplib
import ssl
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from kameng_filer.adapters import plan_rules

from kameng_filer import paths
from kameng_filer.adapter import Adapter, DryRunComplete, FilingContext, FilingPlan, FollowUpResult, Receipt
from kameng_filer.case.model import Case
from kameng_filer.channels import ChannelSpec, FieldSpec
from kameng_filer.crashpoints import crash_point
from kameng_filer.errors import ConfigError, RenderError
from kameng_filer.filing.boundary import not_delivered
from kameng_filer.filing.evidence import prepare_files
from kameng_filer.planner import Facts, Planning
from kameng_filer.timeutil import now

SPEC = ChannelSpec(
    name="email",
    title="投诉邮件",
    kind="email",
    capabilities=frozenset({"submit", "follow_up"}),
    role="inside",
    description="发往平台投诉邮箱或消协邮箱的邮件，附证据",
    fields=(
        FieldSpec("to", "收件人", "email", source="respondent.email 或渠道配置"),
        FieldSpec("subject", "主题", min_len=4, max_len=120, rendered=True),
        FieldSpec("body", "正文", "textarea", min_len=20, max_len=20000, rendered=True),
        FieldSpec(
            "attachments",
            "附件",
            "file",
            required=False,
            max_bytes=20 * 1024 * 1024,
            max_files=10,
            max_pixels=2560,
            source="evidence",
        ),
    ),
    steps=("按配置的 SMTP 服务器发送", "记录 Message-ID 与服务器回执", "回复以邮件形式到达"),
)


class EmailAdapter(Adapter):
    """Sends the complaint by SMTP with the evidence attached."""

    spec = SPEC
    template_channel = "email"

    @classmethod
    def plan_rules(cls, facts: Facts) -> list[tuple[float, Callable[[Planning], None]]]:
        """The platform's complaint mailbox, with the platform ticket."""
        return [(plan_rules.RANK_EMAIL, lambda p: plan_rules.email(p, cls.spec))]

    def _sender(self, case: Case) -> str:
        sender = self.settings.get("from") or case.complainant.email
        if not sender:
            raise ConfigError(
                "发送邮件需要发件人地址", hint="在案件 complainant.email 或配置 channels.email.from 中填写"
            )
        return str(sender)

    def _recipient(self, case: Case) -> str:
        to = self.settings.get("to") or case.respondent.email
        if not to:
            raise ConfigError(
                "不知道投诉邮件发给谁",
                hint="在案件 respondent.email 填写平台投诉邮箱，或在配置 channels.email.to 中填写",
            )
        return str(to)

    def plan(
        self, case: Case, *, purpose: str = "complaint", context: dict[str, Any] | None = None
    ) -> FilingPlan:
        """Recipient, subject, body and attachments exactly as they will be sent."""
        from kameng_filer.render import render

        texts = render(case, self.template_channel, purpose).fields
        for name in ("subject", "body"):
            problem = self.spec.field(name).check_text(texts[name])
            if problem:
                raise RenderError(problem, field=name)
        files = prepare_files(case, self.spec.field("attachments"), paths.sub(f"cache/files/{self.name}"))
        fields = {"to": self._recipient(case), "subject": texts["subject"], "body": texts["body"]}
        if self.settings.get("cc"):
            fields["cc"] = str(self.settings["cc"])
        host = self.settings.get("smtp_host", "localhost")
        return FilingPlan(
            channel=self.name,
            case_id=case.id,
            purpose=purpose,
            fields=fields,
            files=files,
            target={"smtp": f"{host}:{self._port()}", "from": self._sender(case)},
            lookup_key=case.order.order_no,
        )

    def _port(self) -> int:
        if self.settings.get("smtp_port"):
            return int(self.settings["smtp_port"])
        return 465 if self.settings.get("ssl") else (587 if self.settings.get("starttls") else 25)

    def message_id(self, plan: FilingPlan, ctx: FilingContext) -> str:
        """Deterministic per filing, so a resend after an unclear crash is recognisable as the same mail."""
        filing = getattr(ctx, "filing_id", None) or 0
        digest = hashlib.sha256(
            f"{plan.case_id}|{plan.channel}|{plan.purpose}|{filing}".encode()
        ).hexdigest()[:16]
        domain = plan.target.get("from", "kameng.local").rsplit("@", 1)[-1]
        return f"<kameng-{digest}@{domain}>"

    def build(self, plan: FilingPlan, ctx: FilingContext, *, reply_to: str | None = None) -> EmailMessage:
        """The MIME message for a plan."""
        msg = EmailMessage()
        msg["From"] = plan.target["from"]
        msg["To"] = plan.fields["to"]
        if plan.fields.get("cc"):
            msg["Cc"] = plan.fields["cc"]
        msg["Subject"] = plan.fields["subject"]
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = self.message_id(plan, ctx)
        if reply_to:
            msg["In-Reply-To"] = reply_to
            msg["References"] = reply_to
        msg.set_content(plan.fields["body"])
        for f in plan.files:
            maintype, _, subtype = f.mime.partition("/")
            msg.add_attachment(
                f.path.read_bytes(),
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=f.upload_name,
            )
        return msg

    def _open(self, msg: EmailMessage, password: str | None) -> smtplib.SMTP:
        """Connect, log in and announce sender and recipients (nothing is delivered yet)."""
        host = self.settings.get("smtp_host", "localhost")
        timeout = float(self.settings.get("timeout", 20))
        cls = smtplib.SMTP_SSL if self.settings.get("ssl") else smtplib.SMTP
        smtp = cls(host, self._port(), timeout=timeout)
        try:
            smtp.ehlo()
            if self.settings.get("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.settings.get("username"):
                smtp.login(self.settings["username"], password or "")
            recipients = [a.strip() for a in (msg["To"] + "," + (msg["Cc"] or "")).split(",") if a.strip()]
            code, resp = smtp.mail(msg["From"])
            if code >= 400:
                raise smtplib.SMTPSenderRefused(code, resp, msg["From"])
            for rcpt in recipients:
                code, resp = smtp.rcpt(rcpt)
                if code >= 400:
                    raise smtplib.SMTPRecipientsRefused({rcpt: (code, resp)})
        except BaseException:
            smtp.close()
            raise
        return smtp

    @staticmethod
    def _data(smtp: smtplib.SMTP, msg: EmailMessage) -> str:
        """Hand the message over (DATA) and return the server's acceptance line."""
        try:
            code, resp = smtp.data(msg.as_bytes(policy=policy.SMTP))
            if code >= 400:
                raise smtplib.SMTPDataError(code, resp)
            crash_point("after_click")  # fault injection: the server accepted the mail, nothing recorded
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            return f"{code} {resp.decode(errors='replace')}"
        finally:
            smtp.close()

    async def _deliver(
        self, msg: EmailMessage, ctx: FilingContext, values: dict[str, Any] | None = None
    ) -> str:
        """Connect, then (after recording ``submitting`` when ``values`` are given) send DATA.

        smtplib's errors propagate: the boundary around the adapter call translates them."""
        password = ctx.secret(self.settings["username"]) if self.settings.get("username") else None
        smtp = await asyncio.to_thread(self._open, msg, password)
        try:
            if values is not None:
                await ctx.about_to_submit(values)
            return await asyncio.to_thread(self._data, smtp, msg)
        except smtplib.SMTPResponseException:
            # the server answered DATA with a 4xx/5xx: it did not take the mail, a retry sends no copy
            not_delivered(ctx)
            raise

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """Send the mail; the receipt is its Message-ID and the server's acceptance line."""
        msg = self.build(plan, ctx)
        eml = ctx.artifacts / "complaint.eml"
        eml.write_bytes(msg.as_bytes())
        if ctx.dry_run:
            raise DryRunComplete(None, f"邮件已生成未发送：{eml}")
        ctx.progress("发送邮件")
        accepted = await self._deliver(msg, ctx, {**plan.fields, "message_id": msg["Message-ID"]})
        return Receipt(
            complaint_no=msg["Message-ID"],
            filed_at=now(),
            status="已发送",
            html=eml,
            extra={"server": accepted, "to": plan.fields["to"]},
        )

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """Reply in the same thread (In-Reply-To the original Message-ID)."""
        original = receipt.get("complaint_no", "")
        plan_fields = receipt.get("fields") or {}
        subject = plan_fields.get("subject", "投诉进展询问")
        plan = FilingPlan(
            channel=self.name,
            case_id=receipt.get("case_id", ""),
            purpose=f"follow_up-{receipt.get('follow_up_no', 1)}",
            fields={
                "to": plan_fields.get("to") or receipt.get("to") or receipt.get("extra", {}).get("to", ""),
                "subject": subject if subject.startswith("Re:") else f"Re: {subject}",
                "body": text,
            },
            target={"from": receipt.get("from") or self.settings.get("from", "")},
        )
        msg = self.build(plan, ctx, reply_to=original)
        accepted = await self._deliver(msg, ctx)
        return FollowUpResult(sent=True, reference=f"{msg['Message-ID']} {accepted}")
