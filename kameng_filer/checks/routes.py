"""Routes beside the complaint channels: 12315 举报 and a police report at once.

- 12315 takes a **举报** (a report of a violation) beside or instead of a 投诉: for auto-renewal without
  notice and false advertising it asks the regulator to act against the violation; it needs no
  mediation, so it also eases the choice between a 12315 投诉 and a 消协 complaint (办法 art. 16 is
  about 投诉).
- A vanished merchant or clear fraud → a police report at once (victims reporting together usually
  pass the fraud threshold), not only after the other channels fail.
- Court is not only for large amounts: most disputes here fit the small-claims procedure (民事诉讼法
  art. 165), and with online delivery the buyer may sue where they live (民诉法解释 art. 20).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kameng_filer.case.model import Case, ProblemType
from kameng_filer.checks.base import Context
from kameng_filer.findings import Finding
from kameng_filer.render.fraud import case_fraud_grounds, case_words

_FALSE_ADVERTISING = re.compile(r"虚假宣传|夸大宣传|虚假广告|引人误解的宣传|宣传不实|虚标|假优惠|先涨后降")

SMALL_CLAIMS = (
    "多数纠纷适用小额诉讼程序（《民事诉讼法》第165条：标的额在本省上年度就业人员年平均工资50%以下，"
    "一审终审、费用低、审理快）；在线交付的商品可以向自己住所地的人民法院起诉"
    "（《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》第20条），不必去商家所在地"
)


def reported_violation(case: Case) -> str:
    """The violation a 12315 举报 can name (auto-renewal without notice, false advertising), or ``""``."""
    if case.problem.type == ProblemType.auto_renewal:
        return "未提前告知的自动续费"
    if case.problem.type == ProblemType.false_promise or _FALSE_ADVERTISING.search(case_words(case)):
        return "虚假或引人误解的宣传"
    return ""


def check(ctx: Context) -> Iterator[Finding]:
    """Hints for the 12315 report, a police report at once, and the small-claims court."""
    case = ctx.case
    if case is None:
        return
    what = reported_violation(case)
    if what:
        yield ctx.finding(
            "route.report_12315",
            "problem.type",
            f"{what}是违法行为，除了投诉，还可以在全国12315平台“我要举报”，请市场监管部门查处",
            "举报与投诉可以同时提交：投诉要求调解、解决本人的损失，举报请求查处违法行为；"
            "已向消费者协会投诉的（12315不再受理同一纠纷的投诉），仍可以向12315举报",
        )
    grounds = case_fraud_grounds(case)
    vanished = case.problem.type == ProblemType.merchant_vanished or "商家收款后失联" in grounds
    if vanished or grounds:
        why = "商家收款后失联" if vanished else "涉嫌欺诈（" + "；".join(grounds) + "）"
        yield ctx.finding(
            "route.police",
            "problem.summary",
            f"{why}：现在就向公安机关报案（拨打110或到派出所，部分地区可网上报案），不必等其他渠道处理完",
            "带上订单、付款记录、聊天记录和商家的店铺信息；同一商家的其他受害者一起报案，"
            "合计金额更容易达到诈骗罪的立案标准；报案回执也是向平台和支付渠道投诉的有力证据",
        )
