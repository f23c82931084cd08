"""Assisted channels (支付宝 / 微信支付): the tool prepares every answer, the person taps through the app.

There is no consumer web form or API for these complaints (channels.md §2–3), so ``plan`` prepares
exactly what the app asks (reason, demand, text within the limit, amount, images converted to the
limits in a folder the person can send to their phone, the transaction number to find the bill) and
``submit`` guides the person one step at a time through ``ctx.person``, then records the complaint
number they read back. Without a person the prepared guide is written and the channel ends
``needs_person``; the number is recorded later with ``kameng report``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape

from kameng_filer import paths
from kameng_filer.adapter import (
    Adapter,
    DryRunComplete,
    FilingContext,
    FilingPlan,
    FollowUpResult,
    PlannedFile,
    Receipt,
    StatusReport,
)
from kameng_filer.case.model import Case, DemandType, PaymentMethod, ProblemType
from kameng_filer.crashpoints import crash_point
from kameng_filer.errors import ConfigError, FilingError, HumanActionRequired, RenderError
from kameng_filer.filing.evidence import prepare_files, sniff_mime
from kameng_filer.timeutil import now

GUIDE_NAME = "guide.md"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_FRIENDLY = re.compile(r"^\d{2}-.+")


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text`` (ASCII letters, digits, ``_.-``)."""
    return _SAFE.sub("_", text).strip("_") or "x"


def money(value: Decimal | None) -> str:
    """``100.00`` style, or empty for None."""
    return "" if value is None else f"{value:.2f}"


def number_validator(pattern: str, label: str, example: str) -> Callable[[str], str | None]:
    """A ``validate`` function for ``Person.ask_text``: a Chinese error, or None when ``pattern`` matches."""
    rx = re.compile(pattern)

    def validate(text: str) -> str | None:
        value = text.strip()
        if not value:
            return f"{label}不能为空"
        if not rx.fullmatch(value):
            return f"「{value}」不像{label}（应为 {example}）"
        return None

    return validate


def screenshot_validator(text: str) -> str | None:
    """Empty (no screenshot) or the path of an existing image/PDF file."""
    value = text.strip().strip("'\"")
    if not value:
        return None
    p = Path(value).expanduser()
    if not p.is_file():
        return f"找不到文件：{value}（没有截图就直接回车）"
    head = p.read_bytes()[:16]
    if not sniff_mime(head).startswith(("image/", "application/pdf")):
        return f"{value} 不是图片或 PDF"
    return None


@dataclass(frozen=True)
class GuideStep:
    """One step the person does in the app; ``copy`` is text ready to paste, ``files`` images to pick."""

    title: str
    detail: str = ""
    copy: str = ""
    files: tuple[str, ...] = ()

    def render(self, index: int, total: int) -> str:
        """The step as shown to the person."""
        lines = [f"第 {index}/{total} 步:{self.title}"]
        if self.detail:
            lines.append(self.detail)
        if self.copy:
            lines += ["---- 复制以下内容 ----", self.copy, "---- 复制结束 ----"]
        lines += [f"  {f}" for f in self.files]
        return "\n".join(lines)


class AssistedAdapter(Adapter):
    """Base of the in-app payment complaint channels.

    Subclasses set the class attributes and implement ``values`` (the field values in spec order)
    and ``app_steps`` (the app path as ``GuideStep``s, the last one being the final tap).
    Settings (``channels.<name>`` in config.yaml): ``complaint_no_pattern`` (regex the complaint
    number must match), ``reasons`` (problem type → the app's option, overriding the built-in map).
    """

    app: ClassVar[str] = ""
    payment: ClassVar[PaymentMethod]
    text_field: ClassVar[str] = "content"
    image_field: ClassVar[str] = "images"
    reason_field: ClassVar[str] = "reason"
    reason_map: ClassVar[dict[ProblemType, str]] = {}
    default_number_pattern: ClassVar[str] = r"[0-9A-Za-z]{8,64}"
    number_example: ClassVar[str] = ""
    number_label: ClassVar[str] = "投诉单号"
    detail_path: ClassVar[str] = ""
    """Where the existing complaint is found in the app (for statuses, follow-ups, escalation)."""

    # ------------------------------------------------------------------ settings

    def text_limit(self) -> int:
        """The text field's length limit (the declaration's unless a subclass makes it configurable)."""
        return self.spec.field(self.text_field).max_len or 200

    def number_pattern(self) -> str:
        """The regex a complaint number must fully match (setting ``complaint_no_pattern``)."""
        pattern = str(self.settings.get("complaint_no_pattern") or self.default_number_pattern)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"配置 channels.{self.name}.complaint_no_pattern 不是有效的正则表达式：{pattern}",
                detail=str(exc),
            ) from None
        return pattern

    def validate_number(self, text: str) -> str | None:
        """A Chinese error when ``text`` is not a valid complaint number of this channel, else None."""
        return number_validator(self.number_pattern(), self.number_label, self.number_example)(text)

    def reason(self, case: Case) -> str:
        """The app's reason option for the case's problem type (setting ``reasons`` overrides)."""
        options = self.spec.field(self.reason_field).options
        custom = self.settings.get("reasons") or {}
        if not isinstance(custom, dict):
            raise ConfigError(f"配置 channels.{self.name}.reasons 应为 问题类型：选项 的映射")
        chosen = custom.get(case.problem.type.value) or self.reason_map.get(case.problem.type) or options[-1]
        if chosen not in options:
            raise ConfigError(
                f"配置 channels.{self.name}.reasons 里的「{chosen}」不是{self.app}的选项",
                hint=f"可选：{'/'.join(options)}",
            )
        return chosen

    # ------------------------------------------------------------------ planning

    def check_payment(self, case: Case) -> None:
        """Refuse a case that was not paid through this app."""
        pay = case.order.payment
        if pay is None:
            raise FilingError(
                f"案件没有写支付方式，无法判断能否通过{self.app}投诉",
                channel=self.name,
                hint=f"在 order.payment.method 填写 {self.payment.value}（并填写 transaction_no）",
            )
        if pay.method != self.payment:
            from kameng_filer.render.purposes import payment_mismatch

            refused = payment_mismatch(self.spec.name, case)  # the same refusal as kameng render
            raise FilingError(
                refused.message if refused else f"该订单不是用{self.app}支付的，不能在{self.app}里投诉这笔交易",
                channel=self.name,
                hint=(refused.hint if refused else None) or "按实际支付方式选择渠道（kameng plan 会给出建议）",
            )

    def text(self, case: Case, purpose: str) -> str:
        """The rendered text within ``text_limit()`` (parts are dropped, sentences never cut)."""
        from kameng_filer.render import render

        field = self.spec.field(self.text_field)
        limit = self.text_limit()
        if field.max_len is not None and limit > field.max_len:
            full = render(case, self.name, purpose, fit=False).fields[self.text_field]
            if (field.min_len or 1) <= len(full) <= limit:
                return full
        text = render(case, self.name, purpose).fields[self.text_field]
        if len(text) > limit:
            raise RenderError(
                f"「{field.label}」最多 {limit} 个字，省略可省略的部分后仍有 {len(text)} 个字",
                field=self.text_field,
                hint=f"精简案件的问题概述（problem.summary）或诉求备注，或调大配置 channels.{self.name}.text_max_len",
            )
        return text

    def images_dir(self, case: Case, purpose: str) -> Path:
        """The folder with the converted images (open it, or send its files to the phone)."""
        return paths.sub("assisted") / safe_name(case.id) / f"{self.name}-{purpose}"

    def images(self, case: Case, purpose: str) -> list[PlannedFile]:
        """Evidence converted to the app's limits, copied to ``01-<id>.jpg``… in ``images_dir``."""
        folder = self.images_dir(case, purpose)
        converted = prepare_files(case, self.spec.field(self.image_field), folder / ".cache")
        out: list[PlannedFile] = []
        keep: set[str] = set()
        for n, f in enumerate(converted, start=1):
            name = f"{n:02d}-{safe_name(f.evidence_id)}{f.path.suffix}"
            target = folder / name
            keep.add(name)
            if not target.exists() or target.read_bytes() != f.path.read_bytes():
                shutil.copyfile(f.path, target)
            out.append(replace(f, path=target, upload_name=name))
        for old in folder.iterdir():
            if old.is_file() and _FRIENDLY.match(old.name) and old.name not in keep:
                old.unlink()
        return out

    def values(self, case: Case, purpose: str, text: str) -> dict[str, Any]:
        """The value of every field, in the app's order."""
        raise NotImplementedError

    def plan(
        self, case: Case, *, purpose: str = "complaint", context: dict[str, Any] | None = None
    ) -> FilingPlan:
        """Every answer the app asks for, the images converted to its limits, and notes for the person."""
        self.check_payment(case)
        fields = self.values(case, purpose, self.text(case, purpose))
        files = self.images(case, purpose)
        notes = [f"{self.app}没有网页投诉入口：按操作指引在 App 中提交，工具只准备内容并记录投诉单号"]
        if not fields.get(self._trade_field()):
            notes.append(
                f"案件没有{self.spec.field(self._trade_field()).label}：请按支付时间和金额在账单中找到这笔交易"
            )
        total = len(case.evidence)
        limit = self.spec.field(self.image_field).max_files
        if limit is not None and total > limit:
            notes.append(f"{self.app}最多上传 {limit} 张图片，已按证据顺序取前 {limit} 张")
        return FilingPlan(
            channel=self.name,
            case_id=case.id,
            purpose=purpose,
            fields=fields,
            files=files,
            target={
                "app": self.app,
                "images_dir": str(self.images_dir(case, purpose)),
                "amount": money(case.order.amount),
                "paid_at": case.order.paid_at.strftime("%Y-%m-%d %H:%M") if case.order.paid_at else "",
                "payee": payee(case),
            },
            notes=notes,
            lookup_key=case.order.order_no,
        )

    def _trade_field(self) -> str:
        return self.spec.fields[0].name

    # ------------------------------------------------------------------ guidance

    def app_steps(self, plan: FilingPlan) -> list[GuideStep]:
        """The app path for ``plan`` as steps; the last one is the final tap (提交)."""
        raise NotImplementedError

    def guide_text(self, plan: FilingPlan) -> str:
        """The prepared guide (Markdown): every field, the text to copy, the image paths, what to do after."""
        labels = {f.name: f.label for f in self.spec.fields}
        lines = [
            f"# {self.spec.title}：操作指引",
            "",
            f"案件：{plan.case_id}    订单号：{plan.lookup_key}",
            f"{self.app}没有网页投诉入口，请在手机 App 中按以下步骤操作。",
            "",
            "## 要填写的内容",
            "",
        ]
        for key, value in plan.fields.items():
            if key == self.text_field:
                continue
            lines.append(f"- {labels.get(key, key)}:{value if value not in (None, '') else '（无）'}")
        lines += [
            "",
            f"## {labels.get(self.text_field, self.text_field)}（复制粘贴）",
            "",
            "```text",
            str(plan.fields.get(self.text_field, "")),
            "```",
            "",
        ]
        lines += ["## 图片", ""]
        if plan.files:
            lines.append(f"图片文件夹：{plan.target.get('images_dir', '')}（可先发送到手机相册）")
            lines += [f"- {f.path}  ({f.mime}, {f.size // 1024} KB) {f.description}" for f in plan.files]
        else:
            lines.append("（没有图片）")
        lines += ["", "## 步骤", ""]
        steps = self.app_steps(plan)
        for i, step in enumerate(steps, start=1):
            line = f"{i}. {step.title}" + (f":{step.detail}" if step.detail else "")
            if step.copy:
                line += f"（内容：{step.copy}）" if len(step.copy) <= 64 else "（内容见上方，复制粘贴）"
            lines.append(line)
        lines += [
            "",
            "## 提交之后",
            "",
            "把 App 显示的投诉单号记录下来（建议同时截图投诉详情页）：",
            "",
            f"    kameng report {plan.case_id} --channel {plan.channel} --number 投诉单号 [--screenshot 截图路径]",
            "",
            f"之后状态有变化（如 商家已回复、平台介入、已完成）时记录：kameng report {plan.case_id} "
            f"--channel {plan.channel} --status 状态",
            "",
            "如果你已经在 App 里提交过这笔交易的投诉，不要重复提交，直接用上面的命令记录投诉单号。",
        ]
        for note in plan.notes:
            lines.append(f"\n注意：{note}")
        return "\n".join(lines) + "\n"

    def write_guide(self, plan: FilingPlan, folder: Path) -> Path:
        """Write the guide to ``folder``/guide.md (and a copy next to the images)."""
        text = self.guide_text(plan)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / GUIDE_NAME
        target.write_text(text, encoding="utf-8")
        images = plan.target.get("images_dir")
        if images and Path(images).is_dir():
            (Path(images) / GUIDE_NAME).write_text(text, encoding="utf-8")
        return target

    # ------------------------------------------------------------------ I/O

    def _needs_person(self, plan: FilingPlan, guide: Path, why: str) -> HumanActionRequired:
        return HumanActionRequired(
            f"{why}:{self.spec.title}只能由本人在{self.app} App 中提交，操作指引已写到 {guide}",
            channel=self.name,
            hint=f"按指引提交后运行：kameng report {plan.case_id} --channel {plan.channel} --number 投诉单号",
        )

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """Guide the person step by step, then record the complaint number they read back."""
        guide = self.write_guide(plan, ctx.artifacts)
        if ctx.dry_run:
            raise DryRunComplete(None, f"已生成{self.app}操作指引（未提交）：{guide}")
        person = ctx.person
        if not getattr(person, "interactive", False):
            raise self._needs_person(plan, guide, "没有可以操作手机的人（无终端）")
        steps = self.app_steps(plan)
        total = len(steps)
        ctx.progress(f"请在{self.app} App 中操作")
        person.show(ctx.channel, escape(f"请拿出手机，按 {total} 步在{self.app} App 中投诉。完整指引：{guide}"))
        for i, step in enumerate(steps, start=1):
            if i == total:
                await ctx.about_to_submit({**plan.fields, "images": [f.upload_name for f in plan.files]})
            person.show(ctx.channel, escape(step.render(i, total)))
            if not await person.confirm(ctx.channel, f"第 {i}/{total} 步「{step.title}」完成了吗"):
                raise self._needs_person(plan, guide, f"已在第 {i} 步停止")
        crash_point("after_click")  # fault injection: the person tapped 提交 in the app, no number read yet
        number = (
            await person.ask_text(
                ctx.channel, f"请输入{self.app}显示的{self.number_label}", validate=self.validate_number
            )
        ).strip()
        shot_text = await person.ask_text(
            ctx.channel, "投诉详情页截图的文件路径（没有就直接回车）", validate=screenshot_validator
        )
        screenshot = self._keep_screenshot(shot_text, ctx.artifacts)
        ctx.progress(f"已记录{self.number_label} {number}")
        return Receipt(
            complaint_no=number,
            filed_at=now(),
            status="待处理",
            screenshot=screenshot,
            extra={
                "assisted": True,
                "reported_by": "person",
                "guide": str(guide),
                "images_dir": plan.target.get("images_dir", ""),
            },
        )

    @staticmethod
    def _keep_screenshot(text: str, folder: Path) -> Path | None:
        value = text.strip().strip("'\"")
        if not value:
            return None
        src = Path(value).expanduser()
        target = folder / f"receipt-screenshot{src.suffix.lower() or '.png'}"
        shutil.copyfile(src, target)
        return target

    async def find_existing(self, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
        """After an interrupted run, ask the person whether the complaint was already submitted in the app."""
        person = ctx.person
        if not getattr(person, "interactive", False):
            return None
        base = self.validate_number

        def optional(text: str) -> str | None:
            return None if not text.strip() else base(text)

        answer = (
            await person.ask_text(
                ctx.channel,
                f"上次在最后一步中断。若已在{self.app}里提交，请输入{self.number_label}；没有提交就直接回车",
                validate=optional,
            )
        ).strip()
        if not answer:
            return None
        return Receipt(
            complaint_no=answer,
            filed_at=now(),
            status="待处理",
            extra={"assisted": True, "reported_by": "person"},
        )

    def escalation_instructions(self, complaint_no: str, text: str, case_id: str, channel: str) -> str | None:
        """How the person asks the app's platform to step in (the toolkit cannot do it for them)."""
        return (
            f"请在{self.app} App 中找到投诉 {complaint_no}（{self.detail_path}），"
            f"选择“申请平台介入 / 升级投诉”，说明：\n---- 复制以下内容 ----\n{text}\n---- 复制结束 ----\n"
            f"完成后运行 kameng report {case_id} --channel {channel} --status 已申请平台介入"
        )

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        """Statuses live only in the app: the person reports them (the tracker asks)."""
        number = receipt.get("complaint_no") or ""
        raise FilingError(
            f"{self.spec.title}（{number}）的状态只能由本人在{self.app} App 里查看：{self.detail_path}",
            channel=self.name,
            hint=f"看到新状态后运行 kameng report 案件编号 --channel {self.name} --status 状态",
        )

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """Nothing can be sent for the person: return the prepared message and where to post it in the app."""
        number = receipt.get("complaint_no") or ""
        instructions = "\n".join(
            [
                f"请在{self.app} App 中催办投诉 {number}:",
                f"{self.detail_path} → 补充说明 / 留言",
                "---- 复制以下内容 ----",
                text,
                "---- 复制结束 ----",
                f'发出后可运行 kameng report 案件编号 --channel {self.name} --note "已催办" 记录。',
            ]
        )
        return FollowUpResult(sent=False, needs_person=True, instructions=instructions)


def payee(case: Case) -> str:
    """Who the bill shows as paid (the platform, possibly under its legal name)."""
    r = case.respondent
    return f"{r.platform}（或 {r.legal_name}）" if r.legal_name else r.platform


def refund_demand(case: Case) -> Decimal | None:
    """The refund asked for, capped at what was paid (a payment complaint cannot refund more)."""
    asked = case.refund_amount
    if asked is None:
        return None
    return min(asked, case.order.amount)


def main_demand(case: Case) -> DemandType | None:
    """The first refund / redeliver demand (what the app's 诉求 is about), else the first demand."""
    for d in case.demands:
        if d.type in (DemandType.refund, DemandType.redeliver):
            return d.type
    return case.demands[0].type if case.demands else None
