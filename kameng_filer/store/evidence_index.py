"""The 证据清单 (evidence index) of a stored case version, as Markdown or a JSON-ready dict."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kameng_filer.case.model import Case
from kameng_filer.store.records import EvidenceRow
from kameng_filer.store.sniff import mime_label

EVIDENCE_KIND_LABELS: dict[str, str] = {
    "order_info": "订单信息",
    "payment_proof": "支付凭证",
    "communication": "沟通记录",
    "problem_proof": "问题证明",
    "promise": "商家承诺",
    "other": "其他",
}


def human_size(size: int) -> str:
    """A byte count for people: ``812 B``, ``23.9 KB``, ``4.2 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def evidence_markdown(case: Case, version: int, rows: list[EvidenceRow], *, generated_at: datetime) -> str:
    """The 证据清单 as Markdown: case header, one table row per item with full SHA-256, how to verify."""
    lines = [
        "# 证据清单",
        "",
        f"- 案件：{_cell(case.title)}（编号 {case.id}，第 {version} 版）",
        f"- 订单号：{_cell(case.order.order_no)}",
        f"- 被投诉方：{_cell(case.respondent.platform)}",
        f"- 投诉人：{_cell(case.complainant.name)}",
        f"- 生成时间：{generated_at:%Y-%m-%d %H:%M}（北京时间）",
        "",
    ]
    if not rows:
        lines.append("（本案件未附证据）")
        return "\n".join(lines) + "\n"
    lines += [
        "| 序号 | 证据 | 类别 | 证明内容 | 原文件名 | 格式 | 大小 | SHA-256 |",
        "|---:|---|---|---|---|---|---:|---|",
    ]
    for n, r in enumerate(rows, 1):
        lines.append(
            f"| {n} | {_cell(r.evidence_id)} | {EVIDENCE_KIND_LABELS.get(r.kind, r.kind)} | {_cell(r.description)} "
            f"| {_cell(r.original_name)} | {mime_label(r.mime)} | {human_size(r.size)} | `{r.sha256}` |"
        )
    total = sum(r.size for r in rows)
    lines += [
        "",
        f"共 {len(rows)} 项证据，合计 {human_size(total)}。",
        "",
        "SHA-256 是文件内容的指纹：文件改动哪怕一个字节，指纹就完全不同。"
        "可用 `sha256sum 文件名`（Windows:`certutil -hashfile 文件名 SHA256`）核对，"
        "证明证据自导入以来未被修改。",
    ]
    return "\n".join(lines) + "\n"


def evidence_json(case: Case, version: int, rows: list[EvidenceRow]) -> dict[str, Any]:
    """The 证据清单 as a JSON-ready dict: ``{case_id, version, title, order_no, evidence: [...]}``."""
    return {
        "case_id": case.id,
        "version": version,
        "title": case.title,
        "order_no": case.order.order_no,
        "evidence": [r.to_dict() | {"kind_label": EVIDENCE_KIND_LABELS.get(r.kind, r.kind)} for r in rows],
    }
