"""黑猫投诉 (channels.md §6): https://tousu.sina.com.cn/ — public; personal data is masked.

Steps: Weibo login (QR or SMS, person step) → 发起投诉 → 投诉对象 (search) → 投诉问题 tags →
投诉要求 → 涉诉金额 → title → description → images → submit → 11-digit 投诉编号; public page.
"""

from __future__ import annotations

from kameng_filer.adapter import Adapter
from kameng_filer.channels import IMAGE_TYPES, ChannelSpec, FieldSpec

SPEC = ChannelSpec(
    name="heimao",
    title="黑猫投诉",
    kind="browser",
    public=True,
    url="https://tousu.sina.com.cn/",
    description="新浪黑猫投诉,公开平台:手机号、邮箱、地址、身份证号、完整卡密一律打码",
    fields=(
        FieldSpec("target", "投诉对象", max_len=50, source="respondent.platform"),
        FieldSpec("issues", "投诉问题", "multiselect",
                  options=("不予退款", "联系不到客服", "虚假宣传", "未发货", "商品与描述不符", "卡密无效", "乱扣费", "其他"),
                  source="problem.type"),
        FieldSpec("demands", "投诉要求", "multiselect", options=("退款", "道歉赔偿", "解释", "补发", "其他"),
                  source="demands"),
        FieldSpec("amount", "涉诉金额", "money", source="order.amount"),
        FieldSpec("title", "投诉标题", min_len=5, max_len=50, rendered=True, confidence="L"),
        FieldSpec("description", "投诉描述", "textarea", min_len=20, max_len=1500, rendered=True, confidence="L"),
        FieldSpec("images", "图片", "file", required=False, accept=IMAGE_TYPES, max_bytes=5 * 1024 * 1024,
                  max_files=9, max_pixels=2048, source="evidence(去除 EXIF,文件名不含个人信息)"),
    ),
    steps=("微博登录(扫码或短信验证码,本人操作)", "发起投诉 → 搜索并选择投诉对象", "选择投诉问题与要求,填写金额、标题、描述", "上传图片并提交,记下投诉编号"),
)


class HeimaoAdapter(Adapter):
    """Adapter for this channel (filing arrives with the filing engine)."""

    spec = SPEC
