"""Both 卡盟 twins in a real Chromium, driven by visible labels like the adapters will be."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kameng_filer.testing import captcha_answer, latest_sms_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
EVIDENCE = ROOT / "examples" / "evidence"


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    from kameng_filer.browser import launch_options

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options())
        context = browser.new_context(locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(15000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def test_card_a_in_chromium(page, card_a_twin) -> None:
    page.goto(card_a_twin.url + "/tickets/new")
    assert "/login" in page.url  # login redirects back to the form afterwards
    page.get_by_label("用户名").fill("demo")
    page.get_by_label("密码", exact=True).fill("demo-pass")
    sid = next(c["value"] for c in page.context.cookies() if c["name"] == "card_a_session")
    page.get_by_label("验证码").fill(captcha_answer(card_a_twin.url, sid))  # the scripted person
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/tickets/new$"))
    assert not page.get_by_label("购买凭证").is_visible()
    page.get_by_label("工单类型").select_option(label="售后支持")
    assert page.get_by_label("购买凭证").is_visible()  # the page's own JS reveals the 售后 fields
    page.get_by_label("选择订单").select_option(value="KM20261102150012")
    page.get_by_label("购买凭证").set_input_files([EVIDENCE / "order.png", EVIDENCE / "payment.png"])
    page.get_by_label("高", exact=True).check()
    page.get_by_label("标题").fill("王者荣耀点券充值未到账")
    page.get_by_label("内容").fill("支付成功后点券一直未到账,要求退款 100 元。")
    page.get_by_role("button", name="提交工单").click()
    page.wait_for_url(re.compile(r"/tickets/TK"))
    number = page.locator("#ticket-no").inner_text()
    assert re.fullmatch(r"TK\d{12}[0-9A-F]{8}", number)
    assert page.locator("#ticket-status").inner_text() == "待客服回复"
    sub = card_a_twin.state.submissions[0]
    assert sub["fields"]["priority"] == "高" and [f["name"] for f in sub["files"]] == [
        "order.png",
        "payment.png",
    ]


def test_card_a_validation_message_in_chromium(page, card_a_twin) -> None:
    page.goto(card_a_twin.url + "/login")
    page.get_by_label("用户名").fill("demo")
    page.get_by_label("密码", exact=True).fill("demo-pass")
    page.get_by_label("验证码").fill("0000")
    page.get_by_role("button", name="登录").click()
    assert page.locator(".error").inner_text() == "验证码错误,请重新输入"


def test_card_b_in_chromium(page, card_b_twin) -> None:
    page.goto(card_b_twin.url + "/complaint")
    page.get_by_label("订单号").fill("KM20261102150012")
    page.get_by_label("下单手机号").fill("13800138000")
    page.get_by_role("button", name="获取验证码").click()
    page.locator("#sms-status").wait_for()
    assert page.get_by_role("button", name="获取验证码").is_disabled()
    page.get_by_label("短信验证码").fill(latest_sms_code(card_b_twin.url, "13800138000"))
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url(re.compile(r"/complaint/form$"))
    page.get_by_label("投诉类型").select_option(label="未收到货")
    page.get_by_label("问题描述").fill("支付成功后点券一直未到账,商家拖延不处理。")
    page.get_by_label("联系方式").fill("13800138000")
    page.get_by_label("图片凭证").set_input_files(EVIDENCE / "chat.png")
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_url(re.compile(r"/complaint/done$"))
    number = page.locator("#complaint-no").inner_text()
    assert re.fullmatch(r"CP\d{12}", number) and len(page.locator("#query-password").inner_text()) == 8
    assert card_b_twin.complaints[number].files[0].name == "chat.png"
