"""Case export: one zip bundle of a stored case for a lawyer, 12315 or a court (optionally masked for the public).

The bundle holds the case record as stored, the evidence files with the 证据清单, every filing's
receipt (complaint number, time, submitted values) with the screenshots / confirmation pages / e-mails
kept under the data folder's ``artifacts``, the timeline as JSON, a readable Chinese summary and
``SHA256SUMS.txt``. Secrets never enter it: the store keeps none and JSON values pass ``redact``
again. ``public=True`` masks phones, e-mails, addresses, ID numbers and card keys with the render
masker, strips image metadata and leaves out what cannot be masked (screenshots, PDFs, videos).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from kameng_filer import paths
from kameng_filer.case.model import PROBLEM_LABELS, Case
from kameng_filer.errors import KamengError, StoreError
from kameng_filer.render.facts import demand_phrase
from kameng_filer.render.filters import PAYMENT_LABELS, bjtime, money
from kameng_filer.render.mask import Masker
from kameng_filer.store import CaseNotFound, EvidenceRow, FilingRecord, Store
from kameng_filer.store.evidence_index import evidence_json, evidence_markdown, human_size
from kameng_filer.store.records import redact
from kameng_filer.timeutil import as_shanghai
from kameng_filer.timeutil import now as _now

TEXT_SUFFIXES = frozenset({".html", ".htm", ".json", ".txt", ".md", ".csv", ".log", ".xml", ".yaml", ".yml"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"})
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class ExportExists(KamengError):
    """The output file already exists and ``force`` was not given."""


@dataclass
class ExportResult:
    """What ``export_case`` wrote: the zip, the case version, its members and what was left out."""

    path: Path
    case_id: str
    version: int
    public: bool
    members: list[str]
    size: int
    filings: int
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Bundle:
    """Zip members collected in memory (name → bytes), in insertion order."""

    files: dict[str, bytes] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(self, name: str, data: bytes | str) -> str:
        if isinstance(data, str):
            data = data.encode("utf-8")
        base, n = name, 2
        while name in self.files:
            stem, dot, ext = base.rpartition(".")
            name = f"{stem}-{n}.{ext}" if dot and "/" not in ext else f"{base}-{n}"
            n += 1
        self.files[name] = data
        return name


def safe_member(name: str) -> str:
    """A zip member name part without path separators or control characters."""
    return _UNSAFE.sub("_", name).strip(" .") or "file"


def _dumps(value: Any) -> str:
    return json.dumps(redact(value), ensure_ascii=False, indent=2, default=str) + "\n"


def _iso(value: datetime | None) -> str | None:
    return as_shanghai(value).isoformat() if value else None


def _strip_image(data: bytes) -> bytes | None:
    """The image re-encoded without EXIF/metadata (same format), or None when Pillow cannot read it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            fmt = im.format or "PNG"
            clean = Image.frombytes(im.mode, im.size, im.tobytes())
            if im.mode == "P" and im.getpalette():
                clean.putpalette(im.getpalette())
        out = io.BytesIO()
        clean.save(out, fmt)
        return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _eml_as_text(data: bytes, masker: Masker) -> str:
    """A received e-mail decoded to readable text (headers + text parts), masked; attachments listed."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    lines = [f"{h}: {msg[h]}" for h in ("From", "To", "Cc", "Subject", "Date", "Message-ID") if msg[h]]
    lines.append("")
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name:
            lines.append(f"[附件] {name}（{part.get_content_type()}，公开版不含附件内容）")
        elif part.get_content_maintype() == "text":
            try:
                lines.append(str(part.get_content()))
            except (LookupError, UnicodeError):
                lines.append(part.get_payload(decode=True).decode("utf-8", "replace"))
    return masker.text("\n".join(lines)) + "\n"


class _Exporter:
    """Collects one case's bundle from the store and the artifacts folder."""

    def __init__(self, store: Store, case_id: str, version: int | None, public: bool, at: datetime) -> None:
        self.store = store
        self.case_id = case_id
        self.version = version if version is not None else store.current_version(case_id)
        self.case: Case = store.get_case(case_id, self.version)
        self.text = store.case_text(case_id, self.version)
        self.rows: list[EvidenceRow] = store.evidence_index(case_id, self.version)
        self.filings: list[FilingRecord] = store.filings(case_id)
        self.public = public
        self.at = at
        protect = [r.sha256 for r in self.rows] + [f.complaint_no for f in self.filings if f.complaint_no]
        if public:  # fingerprints must stay readable (the card-key pattern would mask long hex strings)
            protect += [v.content_sha256 for v in store.case_versions(case_id)]
            for f in self.filings:
                if isinstance(f.evidence_hashes, dict):
                    protect += [v for v in f.evidence_hashes.values() if isinstance(v, str)]
        self.masker = Masker(self.case, protect=protect) if public else None
        self.bundle = _Bundle()
        self.artifact_names: dict[Path, str] = {}

    def mask(self, text: str) -> str:
        return self.masker.text(text) if self.masker else text

    def mask_value(self, value: Any) -> Any:
        return self.masker.value(value) if self.masker else value

    # ---- parts ----------------------------------------------------------------------------------
    def case_record(self) -> None:
        fmt = "json" if self.text.lstrip().startswith("{") else "yaml"
        self.bundle.add(f"case/case.{fmt}", self.mask(self.text))

    def evidence(self) -> None:
        index = evidence_json(self.case, self.version, self.rows)
        for pos, (row, item) in enumerate(zip(self.rows, index["evidence"], strict=True), 1):
            suffix = PurePosixPath(row.original_name).suffix.lower()
            name = (
                f"evidence/{pos:02d}-{safe_member(row.evidence_id)}{suffix}"
                if self.public
                else f"evidence/{pos:02d}-{safe_member(row.original_name)}"
            )
            data = self._evidence_bytes(row, name)
            item.pop("path", None)
            item["file"] = self.bundle.add(name, data) if data is not None else None
            if self.public:
                item["original_name"] = self.mask(row.original_name)
                item["description"] = self.mask(row.description)
        note = ""
        if self.public:
            note = (
                "\n> 公开版说明：个人信息已遮盖；图片中的手机号、身份证号、卡密、姓名、地址、邮箱、QQ/微信号、游戏账号和二维码"
                "已用黑色实心框遮盖（无法确认遮盖的图片未包含；PDF 逐页转为图片遮盖后重新生成），图片已重新编码并去除拍摄信息（EXIF），"
                "因此文件指纹与上表（原件）不同，原件保存在本人的本地证据库中。\n"
            )
        md = evidence_markdown(self.case, self.version, self.rows, generated_at=self.at)
        self.bundle.add("evidence/证据清单.md", self.mask(md) + note)
        self.bundle.add("evidence/evidence.json", _dumps(self.mask_value(index)))

    def _evidence_bytes(self, row: EvidenceRow, name: str) -> bytes | None:
        try:
            data = self.store.blobs.read_bytes(row.sha256)
        except StoreError:
            self.bundle.skipped.append(f"{name}（证据库中缺少该文件）")
            return None
        if not self.public:
            return data
        if row.mime.startswith("image/"):
            return self._public_image(data, name)
        if row.mime.startswith("text/"):
            return self.mask(data.decode("utf-8", "replace")).encode("utf-8")
        if row.mime == "application/pdf":
            from kameng_filer.ocr.pdfpages import pages_as_pdf, pdf_for_public

            pdf = pdf_for_public(data, case=self.case, name=name)
            if not pdf.redacted:
                self.bundle.skipped.append(f"{name}（无法确认已遮盖 PDF 中的个人信息，未包含）")
                return None
            return pages_as_pdf(pdf.pages)
        self.bundle.skipped.append(f"{name}（{row.mime}，公开版无法遮盖其中的个人信息）")
        return None

    def _public_image(self, data: bytes, name: str) -> bytes | None:
        """A picture for the public version: personal data covered (as evidence pictures), metadata removed."""
        from kameng_filer.ocr.public import for_public

        public = for_public(data, case=self.case, name=name)
        if public.data is None or not public.redacted:
            self.bundle.skipped.append(f"{name}（无法确认已遮盖图中的个人信息，未包含）")
            return None
        clean = _strip_image(public.data)
        if clean is None:
            self.bundle.skipped.append(f"{name}（无法去除图片中的个人信息）")
        return clean

    def artifacts(self) -> None:
        """Every file of this case under ``artifacts/`` (receipt pages, screenshots, e-mails, reports)."""
        root = paths.home_path() / "artifacts"  # read only: not created (a read-only data folder works)
        folders = {root / re.sub(r"[^A-Za-z0-9_.-]", "_", self.case_id)}
        folders.add(root / (re.sub(r"[^A-Za-z0-9_.-]", "_", self.case_id).strip("_") or "x"))
        extra = {Path(p) for f in self.filings for p in self._receipt_paths(f)}
        files = sorted({p for d in folders if d.is_dir() for p in d.rglob("*") if p.is_file()} | extra)
        for p in files:
            if not p.is_file():
                continue
            try:
                rel = p.resolve().relative_to(root.resolve())
            except ValueError:
                continue  # never copy files from outside the data folder
            name = "artifacts/" + "/".join(safe_member(part) for part in rel.parts)
            data = self._artifact_bytes(p, name)
            if data is not None:
                if self.public and p.suffix.lower() == ".eml":
                    name += ".txt"
                self.artifact_names[p.resolve()] = self.bundle.add(name, data)

    def _artifact_bytes(self, p: Path, name: str) -> bytes | None:
        data = p.read_bytes()
        if not self.public:
            return data
        suffix = p.suffix.lower()
        if suffix == ".eml":
            return _eml_as_text(data, self.masker).encode("utf-8")  # type: ignore[arg-type]
        if suffix in TEXT_SUFFIXES:
            return self.mask(data.decode("utf-8", "replace")).encode("utf-8")
        if suffix in IMAGE_SUFFIXES and p.parent.name.endswith("-reports"):
            return self._public_image(data, name)  # the person's App screenshots (kameng report, kameng ui)
        what = "截图" if suffix in IMAGE_SUFFIXES else "文件"
        self.bundle.skipped.append(f"{name}（{what}中的个人信息无法遮盖，公开版不含）")
        return None

    @staticmethod
    def _receipt_paths(f: FilingRecord) -> list[str]:
        r = f.receipt if isinstance(f.receipt, dict) else {}
        return [str(r[k]) for k in ("screenshot", "html") if isinstance(r.get(k), str) and r[k]]

    def filing_entries(self) -> list[dict[str, Any]]:
        from kameng_filer.tracker.notices import channel_title

        out = []
        for f in self.filings:
            receipt = dict(f.receipt) if isinstance(f.receipt, dict) else f.receipt
            if isinstance(receipt, dict):
                for key in ("screenshot", "html"):
                    if isinstance(receipt.get(key), str) and receipt[key]:
                        receipt[key] = self.artifact_names.get(Path(receipt[key]).resolve())
            entry = {
                "filing_id": f.id,
                "channel": f.channel,
                "channel_title": channel_title(f.channel),
                "purpose": f.purpose,
                "generation": f.generation,
                "case_version": f.case_version,
                "state": f.state,
                "state_label": f.state_label,
                "complaint_no": f.complaint_no,
                "submitted_at": _iso(f.submitted_at),
                "created_at": _iso(f.created_at),
                "receipt": receipt,
                "submitted_values": f.submitted_values,
                "evidence_hashes": f.evidence_hashes,
                "error": f.error,
                "force_reason": f.force_reason,
            }
            entry = self.mask_value(entry)
            folder = f"filings/{f.id:03d}-{safe_member(f.channel)}-{f.purpose}-{f.generation}"
            entry["file"] = self.bundle.add(f"{folder}/receipt.json", _dumps(entry))
            out.append(entry)
        return out

    def timeline(self) -> dict[str, Any]:
        from kameng_filer.tracker.overview import case_status, timeline_line

        events = []
        for ev in self.store.events(self.case_id):
            label, text = timeline_line(ev)
            data = dict(ev.data)
            if isinstance(data.get("source_path"), str):  # a local path says nothing to a reader
                data["source_path"] = Path(data["source_path"]).name
            events.append(
                {
                    "at": _iso(ev.at),
                    "kind": ev.kind,
                    "label": label,
                    "text": text,
                    "filing_id": ev.filing_id,
                    "data": data,
                }
            )
        status = case_status(self.store, self.case_id, self.at, self.case.title)
        data = {
            "case_id": self.case_id,
            "case_version": self.version,
            "exported_at": self.at.isoformat(),
            "case_timeline": [{"at": _iso(t.at), "event": t.event} for t in self.case.timeline],
            "contacts": [
                {"at": _iso(c.at), "with": str(c.with_), "channel": c.channel, "summary": c.summary}
                for c in self.case.contacts
            ],
            "events": events,
            "status_history": [e for e in events if e["kind"] in ("filing_state", "status")],
            "follow_ups": [e for e in events if e["kind"] in ("follow_up", "escalation")],
            "filings": status["filings"],
        }
        data = self.mask_value(data)
        self.bundle.add("timeline.json", _dumps(data))
        return data

    def summary(self, filings: list[dict[str, Any]], tl: dict[str, Any]) -> str:
        from kameng_filer.tracker.overview import PURPOSE_LABELS

        c = self.case
        lines = [f"# 案件材料汇总：{c.title}", ""]
        versions = len(self.store.case_versions(self.case_id))
        lines += [
            f"- 案件编号：{c.id}（第 {self.version} 版，共 {versions} 版）",
            f"- 导出时间：{self.at:%Y-%m-%d %H:%M}（北京时间）",
            (
                "- 版本：公开版（文字中的手机号、邮箱、住址、身份证号、卡密已遮盖；证据图片和 PDF 逐页遮盖后才包含，无法确认遮盖的未包含）"
                if self.public
                else "- 版本：完整版（含个人信息，仅提供给律师、12315、消协、法院等处理机构）"
            ),
            "",
            "## 当事人",
            "",
        ]
        p, r = c.complainant, c.respondent
        lines.append(f"- 投诉人：{p.name}，电话 {p.phone}" + (f"，邮箱 {p.email}" if p.email else ""))
        if p.address:
            lines.append(f"- 投诉人地址：{p.address}")
        lines.append(f"- 被投诉方：{r.platform}" + (f"({r.legal_name})" if r.legal_name else ""))
        for label, value in (
            ("统一社会信用代码", r.credit_code),
            ("经营地址", r.address),
            ("网址", r.website),
        ):
            if value:
                lines.append(f"- {label}:{value}")
        if r.merchant and r.merchant.name:
            lines.append(
                f"- 商家：{r.merchant.name}" + (f"（店铺 {r.merchant.shop_id}）" if r.merchant.shop_id else "")
            )
        o = c.order
        lines += ["", "## 订单", "", f"- 订单号：{o.order_no}", f"- 商品：{o.product} × {o.quantity}"]
        lines.append(f"- 实付金额：{money(o.amount)}")
        if o.ordered_at:
            lines.append(f"- 下单时间：{bjtime(o.ordered_at)}")
        if o.paid_at:
            lines.append(f"- 支付时间：{bjtime(o.paid_at)}")
        if o.payment:
            pay = PAYMENT_LABELS.get(o.payment.method, str(o.payment.method))
            lines.append(
                f"- 支付方式：{pay}"
                + (f"，交易号 {o.payment.transaction_no}" if o.payment.transaction_no else "")
            )
        if o.promise:
            lines.append(f"- 商家承诺：{o.promise}")
        lines += ["", "## 问题", "", f"- 类型：{PROBLEM_LABELS.get(c.problem.type, str(c.problem.type))}"]
        lines.append(f"- 经过：{c.problem.summary}")
        if c.demands:
            lines += ["", "## 诉求", ""] + [f"- {demand_phrase(d, o)}" for d in c.demands]
        lines += ["", "## 投诉记录", ""]
        if filings:
            lines += [
                "| 渠道 | 用途 | 状态 | 投诉编号 | 提交时间 | 原因 | 回执 |",
                "|---|---|---|---|---|---|---|",
            ]
            for f in filings:
                when = f["submitted_at"][:16].replace("T", " ") if f["submitted_at"] else "—"
                receipt = f["file"]
                purpose = PURPOSE_LABELS.get(f["purpose"], f["purpose"])
                lines.append(
                    f"| {f['channel_title']} | {purpose} | {f['state_label']} "
                    f"| {f['complaint_no'] or '—'} | {when} | {_reason(f)} | {receipt} |"
                )
        else:
            lines.append("（还没有投诉记录）")
        lines += ["", "## 时间线", ""]
        rows = [(t["at"], "案件", t["event"]) for t in tl["case_timeline"]]
        rows += [(ct["at"], "沟通", ct["summary"]) for ct in tl["contacts"]]
        rows += [(e["at"], e["label"], e["text"]) for e in tl["events"]]
        for at, label, text in sorted(rows, key=lambda x: x[0] or ""):
            lines.append(f"- {(at or '')[:16].replace('T', ' ')} 【{label}】{' '.join(str(text).split())}")
        lines += ["", "## 证据", ""]
        total = sum(r.size for r in self.rows)
        lines.append(f"共 {len(self.rows)} 项，合计 {human_size(total)}，见 evidence/证据清单.md。")
        lines += [
            "",
            "## 本材料包内容",
            "",
            "- case/：案件记录" + ("（个人信息已遮盖）" if self.public else "原文（与导入时一致）"),
            "- evidence/：证据文件、证据清单（含 SHA-256 指纹）",
            "- filings/：每次投诉的回执（投诉编号、时间、提交的内容）",
            "- artifacts/：提交时保存的回执页面、截图、邮件",
            "- timeline.json：时间线（事件、状态变化、催办）的机器可读版本",
            "- SHA256SUMS.txt：包内每个文件的指纹，可用 `sha256sum -c SHA256SUMS.txt` 核对",
        ]
        if self.bundle.skipped:
            lines += ["", "## 未包含的文件", ""] + [f"- {s}" for s in self.bundle.skipped]
        return self.mask("\n".join(lines) + "\n")

    def build(self) -> _Bundle:
        self.case_record()
        self.evidence()
        self.artifacts()
        filings = self.filing_entries()
        tl = self.timeline()
        summary = self.summary(filings, tl)
        files = dict(self.bundle.files)
        self.bundle.files = {"案件摘要.md": summary.encode("utf-8"), **files}
        sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in self.bundle.files.items())
        self.bundle.add("SHA256SUMS.txt", sums)
        return self.bundle


def default_output(case_id: str, *, public: bool = False) -> Path:
    """``<case_id>-材料包.zip`` (``-公开版`` for a public export) in the current folder."""
    return Path.cwd() / f"{safe_member(case_id)}-材料包{'-公开版' if public else ''}.zip"


def export_case(
    case_id: str,
    output: Path | str | None = None,
    *,
    version: int | None = None,
    public: bool = False,
    force: bool = False,
    store: Store | None = None,
    at: datetime | None = None,
) -> ExportResult:
    """Write the case's zip bundle to ``output`` (default ``default_output``); returns what was written.

    ``CaseNotFound`` for an unknown case or version, ``ExportExists`` when ``output`` exists and
    ``force`` is False. The zip is written to a temporary file and renamed, never left half-written.
    """
    out = Path(output).expanduser() if output is not None else default_output(case_id, public=public)
    if out.exists() and not force:
        raise ExportExists(f"输出文件已存在：{out}", hint="换一个文件名（-o），或加 --force 覆盖")
    if out.is_dir():
        raise KamengError(f"输出位置是一个文件夹：{out}", hint="-o 写 zip 文件的路径，如 材料包.zip")
    own = store is None
    if own:
        if not paths.db_path().exists():
            raise CaseNotFound(f"本地存储中没有案件 {case_id}", hint="先运行 kameng add CASE 导入案件")
        store = Store.open(readonly=True)
    try:
        exporter = _Exporter(store, case_id, version, public, as_shanghai(at) if at else _now())
        bundle = exporter.build()
    finally:
        if own:
            store.close()
    _write_zip(out, bundle.files, exporter.at)
    return ExportResult(
        path=out,
        case_id=case_id,
        version=exporter.version,
        public=public,
        members=list(bundle.files),
        size=out.stat().st_size,
        filings=len(exporter.filings),
        skipped=list(bundle.skipped),
    )


def _write_zip(out: Path, files: dict[str, bytes], at: datetime) -> None:
    stamp = (max(at.year, 1980), at.month, at.day, at.hour, at.minute, at.second)
    tmp: str | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".export-", suffix=".zip")
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
        os.replace(tmp, out)
        tmp = None
    except OSError as exc:
        raise KamengError(
            f"无法写入导出文件：{out}", detail=str(exc), hint="检查磁盘空间和文件夹权限"
        ) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _reason(entry: dict[str, Any]) -> str:
    """Why a filing is not submitted: its latest error, for people (technical detail left out)."""
    from kameng_filer.wording import split_technical

    if entry.get("state") == "submitted" or not entry.get("error"):
        return "—"
    message, _detail = split_technical(str(entry["error"]))
    return " ".join(message.replace("|", "\\|").split()) or "—"
