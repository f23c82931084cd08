"""``ProfileAdapter``: the browser/HTTP adapter driven by a site profile (submit, reconcile, status, follow-up).

Channel adapters subclass it and supply the planned values; everything about the web site itself lives
in the profile, so a new site is a new profile file, not code.
"""

from __future__ import annotations

from typing import Any

from kameng_filer import paths
from kameng_filer.adapter import (
    Adapter,
    FilingContext,
    FilingPlan,
    FollowUpResult,
    PlannedFile,
    Receipt,
    StatusReport,
)
from kameng_filer.case.model import Case
from kameng_filer.errors import ConfigError, RenderError
from kameng_filer.filing.evidence import prepare_files
from kameng_filer.filing.filepick import assign_uploads, describe_choice
from kameng_filer.filing.profile import Profile, load_profile
from kameng_filer.filing.site_driver import SiteDriver, case_vars_from_plan, needs_secret


def case_vars(case: Case) -> dict[str, Any]:
    """Flat values a profile may reference as ``{name}``."""
    r, o, c = case.respondent, case.order, case.complainant
    return {
        "case_id": case.id,
        "order_no": o.order_no,
        "product": o.product,
        "amount": f"{o.amount:.2f}",
        "quantity": str(o.quantity),
        "paid_date": o.paid_at.strftime("%Y-%m-%d")
        if o.paid_at
        else (o.ordered_at.strftime("%Y-%m-%d") if o.ordered_at else ""),
        "transaction_no": (o.payment.transaction_no if o.payment else None) or "",
        "name": c.name,
        "phone": c.phone,
        "email": c.email or "",
        "address": c.address or "",
        "platform": r.platform,
        "legal_name": r.legal_name or r.platform,
        "respondent_address": r.address or "",
        "merchant": (r.merchant.name if r.merchant else None) or "",
        "shop_id": (r.merchant.shop_id if r.merchant else None) or "",
    }


class ProfileAdapter(Adapter):
    """An adapter whose web flow is a site profile; subclasses implement ``values``."""

    default_profile: str = ""
    file_field: str | None = None

    def profile(self) -> Profile:
        """The site profile from settings (``profile``) or the built-in default; ``base_url`` may be overridden."""
        name = self.settings.get("profile") or self.default_profile
        if not name:
            raise ConfigError(
                f"渠道「{self.spec.title}」需要站点配置",
                hint=f"在配置文件的 channels.{self.name}.profile 中填写站点配置名称",
            )
        prof = load_profile(name)
        update = {k: self.settings[k] for k in ("base_url", "mode") if self.settings.get(k)}
        if update.get("mode") == "http" and prof.api is None:
            raise ConfigError(f"站点配置 {prof.name} 没有 api 段，不能用 mode: http")
        return prof.model_copy(update=update) if update else prof

    def account(self) -> str:
        """The login account for this channel (settings ``account``)."""
        return str(self.settings.get("account") or "")

    def values(self, case: Case, purpose: str, context: dict[str, Any] | None) -> dict[str, Any]:
        """Channel field values for this case (rendered texts + mapped options)."""
        raise NotImplementedError

    def limits_check(self, values: dict[str, Any], prof: Profile) -> None:
        """Every text value within its declared limits (with the profile's overrides)."""
        for f in self.spec.fields:
            if f.kind in ("file", "multiselect", "money") or f.name not in values or values[f.name] is None:
                continue
            value = str(values[f.name])
            override = prof.limits.get(f.name)
            spec = f
            if override is not None:
                from dataclasses import replace

                spec = replace(
                    f,
                    **{
                        k: getattr(override, k)
                        for k in ("min_len", "max_len")
                        if getattr(override, k) is not None
                    },
                )
            problem = spec.check_text(value) if (value or spec.required) else None
            if problem and not (f.kind == "select" and not f.options):
                raise RenderError(f"渠道「{self.spec.title}」的字段不符合要求：{problem}", field=f.name)

    def plan(
        self, case: Case, *, purpose: str = "complaint", context: dict[str, Any] | None = None
    ) -> FilingPlan:
        """Exact values per field and the evidence files as they will be uploaded."""
        prof = self.profile()
        files: list[PlannedFile] = []
        kinds = {ev.id: str(getattr(ev.kind, "value", ev.kind)) for ev in case.evidence}
        choice_notes: list[str] = []
        if self.file_field:
            fspec = self.spec.field(self.file_field)
            redaction_notes: list[str] = []
            files = prepare_files(
                case,
                fspec,
                paths.sub(f"cache/files/{self.name}"),
                anonymous_names=self.spec.public,
                notes=redaction_notes,
            )
            files, choice_notes = self.choose_files(prof, files, kinds)
            choice_notes = redaction_notes + choice_notes
        # the texts are rendered after the file choice: they list and count only what is sent
        values = self.values(sent_evidence_only(case, files, choice_notes), purpose, context)
        values.update({k: v for k, v in prof.options.items() if k not in ("_",)})
        if self.spec.public:
            from kameng_filer.render.mask import mask_fields

            values = mask_fields(case, self.spec, values)
        self.limits_check(values, prof)
        account = self.account()
        return FilingPlan(
            channel=self.name,
            case_id=case.id,
            purpose=purpose,
            fields=values,
            files=files,
            target={
                "profile": prof.name,
                "site": prof.title,
                "base_url": prof.base_url,
                "mode": prof.mode,
                "account": account,
                "vars": case_vars(case),
                "file_kinds": {f.evidence_id: kinds.get(f.evidence_id, "") for f in files},
            },
            notes=self.notes(prof) + choice_notes,
            lookup_key=case.order.order_no,
        )

    def choose_files(
        self, prof: Profile, files: list[PlannedFile], kinds: dict[str, str]
    ) -> tuple[list[PlannedFile], list[str]]:
        """The files the site takes (``limits.<file field>.max_files``, upload fields' ``pick`` /
        ``max_files``), and plan notes naming the choice."""
        limit = prof.limits.get(self.file_field or "")
        cap = limit.max_files if limit is not None else None
        uploads = [(k, b) for k, b in prof.fields.items() if b.widget == "upload"]
        per = assign_uploads(files, kinds, [(k, b.pick, b.max_files) for k, b in uploads])
        chosen = [f for k, _ in uploads for f in per[k]] if uploads else list(files)
        chosen = chosen[:cap] if cap is not None else chosen
        left = [f for f in files if f not in chosen]
        if len(uploads) > 1:  # several boxes: the plan says which file goes into which
            shown = assign_uploads(chosen, kinds, [(k, b.pick, b.max_files) for k, b in uploads])
            notes = [describe_choice(b.label or k, shown[k], []) for k, b in uploads]
            if left:
                ids = "、".join(f.evidence_id for f in left)
                notes.append(f"未上传 {ids}（站点配置限定了数量或种类）")
            return chosen, notes
        if len(chosen) == len(files):
            return chosen, []
        label = (uploads[0][1].label or uploads[0][0]) if uploads else (self.file_field or "附件")
        return chosen, [describe_choice(label, chosen, left)]

    def notes(self, prof: Profile) -> list[str]:
        """What the person will be asked to do on this site."""
        notes = []
        steps = list(prof.steps) + (list(prof.login.steps) if prof.login else [])
        if any(s.captcha for s in steps):
            notes.append("需要本人输入图片验证码")
        if any(s.sms for s in steps):
            notes.append("需要本人输入短信验证码")
        if any(s.qr for s in steps):
            notes.append("需要本人扫码登录")
        return notes

    # ------------------------------------------------------------------ I/O, through the site's driver
    def driver(self, prof: Profile | None = None) -> SiteDriver:
        """How this site is reached, chosen here once: its JSON API (``mode: http``) or the browser."""
        prof = prof or self.profile()
        if prof.mode == "http":
            from kameng_filer.filing.http_api import HttpDriver

            return HttpDriver(self, prof)
        from kameng_filer.filing.browser_site import BrowserDriver

        return BrowserDriver(self, prof)

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """Fill the site's form (or call its API) and submit; in a dry run stop before the final click."""
        return await self.driver().submit(plan, ctx)

    async def find_existing(self, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
        """A complaint on this order that we have not recorded yet and that is proven ours
        (``kameng_filer.filing.proof``), or None."""
        return await self.driver().find_existing(plan, ctx)

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        """Read the complaint's status on the site."""
        return await self.driver().status(receipt, ctx)

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """Post a polite follow-up in the complaint's reply box (or through the API)."""
        return await self.driver().follow_up(receipt, text, ctx)

    def schedule_overrides(self) -> dict[str, Any] | None:
        """The site profile's ``schedule`` changes to the channel's deadline policy."""
        return self.profile().schedule or None

    def reply_limit(self) -> int | None:
        """The site profile's follow-up limit (``limits: {follow_up: {max_len: N}}``)."""
        return self.profile().limits.get("follow_up", {}).get("max_len")

    def can_reconcile(self) -> bool:
        """True when the channel declares ``reconcile`` and the site has a list that can be searched
        without knowing the complaint number."""
        return self.spec.can("reconcile") and self.driver().can_search()

    def normalise(self, raw: str) -> str:
        """Map the site's status words to the toolkit's states (longest match wins)."""
        words = self.profile().status_words
        for word in sorted(words, key=len, reverse=True):
            if word in raw:
                return words[word]
        return "open"


def sent_evidence_only(case: Case, files: list[PlannedFile], choice_notes: list[str]) -> Case:
    """``case`` with only the evidence that goes up when the site takes fewer files (``max_files`` /
    ``pick``), so that titles and texts count and list what is actually sent."""
    if not choice_notes or not files:
        return case
    sent = {f.evidence_id for f in files}
    if all(ev.id in sent for ev in case.evidence):
        return case
    return case.model_copy(update={"evidence": [ev for ev in case.evidence if ev.id in sent]})


__all__ = ["ProfileAdapter", "case_vars", "case_vars_from_plan", "needs_secret", "sent_evidence_only"]
