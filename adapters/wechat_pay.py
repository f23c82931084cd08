"""微信支付 transaction complaint (channels.md §3) — assisted: there is no consumer web form.

App path: 我 → 服务 → 钱包 → 账单 → 账单详情 → 对订单有疑惑 → 投诉商家.
"""

from __future__ import annotations

from kameng_filer.adapter import Adapter
from kameng_filer.channels import ChannelSpec, FieldSpec

SPEC = ChannelSpec(
    name="wechat_pay",
    title="微信支付交易投诉",
    kind="assisted",
    description="在微信账单详情里投诉商家;工具准备好每一项,由本人操作并回填投诉单号",
    fields=(
        FieldSpec("transaction_id", "微信支付单号", source="order.payment.transaction_no", confidence="H"),
        FieldSpec("problem_type", "问题类型", "select", options=("申请退款", "服务权益未生效", "其他"),
                  source="problem.type", confidence="H"),
        FieldSpec("refund_amount", "申请退款金额", "money", required=False, source="demands", confidence="H"),
        FieldSpec("detail", "投诉详情", "textarea", min_len=1, max_len=300, rendered=True, confidence="H"),
        FieldSpec("phone", "联系电话", "phone", source="complainant.phone"),
        FieldSpec("images", "图片", "file", required=False, accept=("image/jpeg", "image/png"),
                  max_bytes=2 * 1024 * 1024, max_files=4, max_pixels=1920, source="evidence", confidence="M"),
    ),
    steps=("打开微信 → 我 → 服务 → 钱包 → 账单", "打开账单详情 → 对订单有疑惑 → 投诉商家", "选择问题类型,填写详情与退款金额,上传图片", "提交后把投诉单号回填"),
)


class WechatPayAdapter(Adapter):
    """Adapter for this channel (filing arrives with the filing engine)."""

    spec = SPEC
