"""消费者协会 complaint (channels.md §5): generic web form, e-mail route, or printed letter (PDF).

Mutually exclusive with 12315 for the same dispute (办法 art. 16).
"""

from __future__ import annotations

from kameng_filer.adapter import Adapter
from kameng_filer.channels import ChannelSpec, FieldSpec

SPEC = ChannelSpec(
    name="consumer_association",
    title="消费者协会",
    kind="browser",
    description="消协投诉:网页表单、邮件或打印投诉信;与12315对同一纠纷互斥",
    fields=(
        FieldSpec("complainant_name", "投诉人姓名", max_len=30, source="complainant.name"),
        FieldSpec("complainant_phone", "投诉人电话", "phone", source="complainant.phone"),
        FieldSpec("complainant_address", "投诉人地址", max_len=200, source="complainant.address"),
        FieldSpec("respondent_name", "被投诉方名称", max_len=100, source="respondent.legal_name"),
        FieldSpec("respondent_address", "被投诉方地址", required=False, max_len=200, source="respondent.address"),
        FieldSpec("respondent_phone", "被投诉方电话", "phone", required=False, source="respondent.phone"),
        FieldSpec("purchase_date", "购买日期", "date", source="order.paid_at"),
        FieldSpec("goods", "商品或服务", max_len=100, source="order.product"),
        FieldSpec("amount", "金额", "money", source="order.amount"),
        FieldSpec("facts", "事实经过", "textarea", min_len=20, max_len=2000, rendered=True),
        FieldSpec("demand", "投诉要求", "textarea", min_len=4, max_len=500, rendered=True),
        FieldSpec("attachments", "附件", "file", required=False,
                  accept=("image/jpeg", "image/png", "application/pdf"), max_bytes=5 * 1024 * 1024,
                  max_files=8, max_pixels=2560, source="evidence"),
    ),
    steps=("填写投诉人与被投诉方信息", "填写购买日期、商品、金额", "填写事实经过与投诉要求", "上传附件并提交"),
)


class ConsumerAssociationAdapter(Adapter):
    """Adapter for this channel (filing arrives with the filing engine)."""

    spec = SPEC
