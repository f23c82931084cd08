"""Every finding code with its fixed severity and a short Chinese title (documented in docs/checks.md)."""

from __future__ import annotations

from typing import NamedTuple

from kameng_filer.findings import Severity


class CodeInfo(NamedTuple):
    """The fixed severity of a code and what it means in a few words."""

    severity: Severity
    title: str


def _e(title: str) -> CodeInfo:
    return CodeInfo("error", title)


def _w(title: str) -> CodeInfo:
    return CodeInfo("warning", title)


def _h(title: str) -> CodeInfo:
    return CodeInfo("hint", title)


CODES: dict[str, CodeInfo] = {
    # loader (kameng_filer.case.loader): the file does not fit the schema
    "schema.missing": _e("缺少必填字段"),
    "schema.empty": _e("必填字段为空"),
    "schema.datetime": _e("日期时间无效"),
    "schema.enum": _e("取值不在可选范围内"),
    "schema.amount": _e("金额无效"),
    "schema.id": _e("案件编号含非法字符"),
    "schema.type": _e("字段类型不对"),
    "schema.range": _e("数值超出范围"),
    "schema.duration": _e("时长格式无效"),
    "schema.invalid": _e("字段值无效"),
    "field.unknown": _w("未知字段（可能拼写错误）"),
    "yaml.duplicate_key": _e("同一字段写了两次"),
    # what a filing cannot do without
    "required.order_no": _e("缺少订单号"),
    "required.amount": _e("缺少订单金额"),
    "required.platform": _e("缺少被投诉平台"),
    "required.complainant_name": _e("缺少投诉人姓名"),
    "required.complainant_phone": _e("缺少投诉人手机号"),
    "required.field": _e("必填字段未填写"),
    "complainant.phone_format": _w("手机号格式可疑"),
    # the order
    "order.amount_zero": _w("订单金额为 0"),
    "order.paid_at_missing": _h("未填写支付时间"),
    "order.payment_missing": _h("未填写支付方式"),
    "order.transaction_no_missing": _h("未填写支付交易号"),
    # evidence files and the evidence chain
    "evidence.file_missing": _e("证据文件不存在"),
    "evidence.outside_case": _e("证据文件在案件文件夹之外"),
    "evidence.outside_folder": _e("allow_outside 中的文件夹不能允许"),
    "evidence.file_unreadable": _e("证据文件无法读取"),
    "evidence.file_type": _e("证据文件不是可用的图片/PDF/视频/音频/文本"),
    "evidence.extension_mismatch": _h("证据文件扩展名与内容不符"),
    "evidence.duplicate_id": _e("证据编号重复"),
    "evidence.read_mismatch": _w("截图内容与案件记录不一致"),
    "evidence.read_kind": _w("截图内容与登记的证据类型不符"),
    "evidence.read_method": _w("支付截图与案件的支付方式不符"),
    "evidence.read_unreadable": _h("截图中识别不出文字"),
    "evidence.read_unavailable": _h("文字识别不可用，未核对截图"),
    "evidence.empty": _w("没有任何证据"),
    "evidence.chain.order_info": _w("证据链缺少订单信息"),
    "evidence.chain.payment_proof": _w("证据链缺少支付凭证"),
    "evidence.chain.communication": _w("证据链缺少沟通记录"),
    "evidence.chain.problem_proof": _w("证据链缺少问题证明"),
    "evidence.chain.promise": _w("证据链缺少承诺/商品描述截图"),
    # prior contact (先与商家沟通)
    "contacts.none": _w("没有与商家或平台沟通的记录"),
    "contacts.no_merchant": _w("没有与商家或平台客服沟通的记录"),
    "contacts.unknown_evidence": _e("沟通记录引用了不存在的证据"),
    # demands
    "demands.none": _w("没有诉求"),
    "demands.no_amount": _w("诉求没有金额"),
    "demands.vague_phrase": _w("诉求含糊、无法执行"),
    "demands.other_unspecified": _w("“其他”诉求没有说明"),
    "demands.redeliver_unspecified": _h("补发诉求没有写明数量"),
    "demands.refund_destination": _h("退款诉求未写明退回账户"),
    "demands.refund_exceeds_paid": _w("退款金额超过实付金额"),
    "demands.punitive_amount": _w("惩罚性赔偿金额不符合消保法第55条"),
    "demands.punitive_no_fraud": _w("主张惩罚性赔偿但没有欺诈证据"),
    # facts cross-checked before rendering
    "facts.renewal_amount": _w("自动续费：订单金额与扣款记录不符"),
    "facts.several_orders": _w("一个订单号下写了几单"),
    "facts.amount_mismatch": _w("金额与数量、单价或时间线不一致"),
    "facts.payment_method": _w("付款方式与支付凭证不一致"),
    # the problem (三明确 ①)
    "problem.vague": _w("问题类型与描述过于笼统"),
    "problem.other_type": _h("问题类型可以更具体"),
    "title.vague": _h("标题过于笼统"),
    # language
    "language.emotional": _w("情绪化或侮辱性用语"),
    "language.punctuation": _h("连续感叹号/问号"),
    # texts the person rewrote for a channel (case field ``texts``)
    "texts.shape": _e("改写的文本结构不对"),
    "texts.unknown": _w("改写的文本对应不到渠道、用途或字段"),
    "texts.too_long": _e("改写的文本超过渠道字数上限"),
    "texts.too_short": _e("改写的文本少于渠道最少字数"),
    "text.control_chars": _e("文字中有控制字符或双向排版字符"),
    "text.too_long": _e("文字超过所有渠道的字数上限"),
    "text.long_for_channel": _w("文字超过部分渠道的字数上限（生成时会缩写）"),
    "text.cannot_fit": _e("文字在部分渠道缩写后仍放不下"),
    # clocks
    "window.closed": _w("平台投诉时限已过"),
    "window.closing": _w("平台投诉时限即将截止"),
    "window.unknown": _h("未填写平台投诉时限"),
    "window.no_start": _h("无法计算平台投诉时限的起点"),
    "window.bad_start": _w("投诉时限起点字段无效"),
    "window.invalid": _w("投诉时限不是正的时长"),
    "limitation.expired": _w("已超过 3 年诉讼时效"),
    "limitation.near": _w("3 年诉讼时效即将届满"),
    "time.future": _w("时间晚于当前时间"),
    "time.out_of_order": _h("时间线未按时间顺序排列"),
    "time.paid_before_ordered": _w("支付时间早于下单时间"),
    # the case's own policy overrides
    "policies.invalid": _e("期限策略覆盖无法使用"),
    # 12315 prerequisites (《市场监督管理投诉举报处理办法》第十条)
    "12315.complainant_address": _w("12315 需要投诉人地址"),
    "12315.respondent_legal_name": _w("12315 需要被投诉方全称"),
    "12315.respondent_address": _w("12315 需要被投诉方地址"),
    "12315.legal_name_form": _h("被投诉方全称不像企业名称"),
    "respondent.credit_code_format": _h("统一社会信用代码格式不对"),
    # secrets written in free text
    "secret.card_key": _e("自由文本中写有完整卡密"),
    "secret.key_like": _w("自由文本中有疑似卡密/密钥的长串"),
    "secret.id_number": _e("自由文本中写有身份证号"),
    "secret.id_like": _w("自由文本中有疑似身份证号"),
    "secret.bank_card": _w("自由文本中有疑似银行卡号"),
    "secret.password": _e("自由文本中写有密码"),
    # who is protected and the payment route
    "protection.resale": _w("可能不是生活消费（批发/转卖）"),
    "protection.cheat": _w("外挂/作弊类商品不受保护"),
    "protection.stolen_card": _w("来路不明的卡付款不受保护"),
    "protection.account_trade": _w("账号买卖/租借不受保护"),
    "protection.minor": _w("未成年人充值应由监护人申请"),
    "payment.cancel_renewal": _h("自动续费：先取消自动扣款"),
    "payment.personal_qr": _w("个人收款码付款不能走交易投诉"),
    "payment.bank_card": _h("银行卡付款的争议走发卡银行"),
    # routes beside the complaint channels
    "route.report_12315": _h("可以同时向12315举报"),
    "route.police": _w("商家失联或涉嫌欺诈：立即报警"),
    # the checker itself
    "check.internal": _w("某项检查未能完成"),
}
