"""E-mail complaint (channels.md §7): SMTP submission with attachments; receipt = Message-ID."""

from __future__ import annotations

from kameng_filer.adapter import Adapter
from kameng_filer.channels import ChannelSpec, FieldSpec

SPEC = ChannelSpec(
    name="email",
    title="投诉邮件",
    kind="email",
    description="发往平台投诉邮箱或消协邮箱的邮件,附证据",
    fields=(
        FieldSpec("to", "收件人", "email", source="respondent.email 或渠道配置"),
        FieldSpec("subject", "主题", min_len=4, max_len=120, rendered=True),
        FieldSpec("body", "正文", "textarea", min_len=20, max_len=20000, rendered=True),
        FieldSpec("attachments", "附件", "file", required=False, max_bytes=20 * 1024 * 1024, max_files=10,
                  max_pixels=2560, source="evidence"),
    ),
    steps=("按配置的 SMTP 服务器发送", "记录 Message-ID 与服务器回执", "回复以邮件形式到达"),
)


class EmailAdapter(Adapter):
    """Adapter for this channel (filing arrives with the filing engine)."""

    spec = SPEC
