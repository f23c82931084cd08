"""支付宝 transaction complaint (channels.md §2) — assisted: there is no consumer web form.

App path: 我的 → 账单 → 账单详情 → 对此订单有疑问 → 投诉. The tool prepares each answer; the person taps.
"""

from __future__ import annotations

from kameng_filer.adapter import Adapter
from kameng_filer.channels import ChannelSpec, FieldSpec

SPEC = ChannelSpec(
    name="alipay",
    title="支付宝交易投诉",
    kind="assisted",
    description="在支付宝 App 内对账单发起投诉;工具准备好每一项,由本人操作并回填投诉单号",
    fields=(
        FieldSpec("trade_no", "支付宝交易号", source="order.payment.transaction_no", confidence="H"),
        FieldSpec("reason", "投诉原因", "select",
                  options=("未收到货", "商品/服务有问题", "商家欺诈", "其他"), source="problem.type", confidence="L"),
        FieldSpec("demand", "诉求", "select", options=("退款", "补发", "其他"), source="demands", confidence="L"),
        FieldSpec("amount", "涉及金额", "money", source="demands/order.amount"),
        FieldSpec("content", "问题描述", "textarea", min_len=5, max_len=200, rendered=True, confidence="L"),
        FieldSpec("phone", "联系电话", "phone", source="complainant.phone"),
        FieldSpec("images", "图片凭证", "file", required=False, accept=("image/jpeg", "image/png"),
                  max_bytes=5 * 1024 * 1024, max_files=6, max_pixels=2048, source="evidence", confidence="L"),
    ),
    steps=("打开支付宝 → 我的 → 账单", "找到交易并打开账单详情", "点“对此订单有疑问” → 投诉", "按提示选择原因、诉求,粘贴描述,上传图片", "提交后把投诉单号回填"),
)


class AlipayAdapter(Adapter):
    """Adapter for this channel (filing arrives with the filing engine)."""

    spec = SPEC
