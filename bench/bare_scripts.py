"""Bare one-off filing scripts (Playwright / httpx) for 12315, 黑猫投诉, the consumer association and 卡盟 A's API.

The yardstick of the filing benchmark: each function does only what a person's hand-written script
for one twin would do — fill and submit the form with fixed selectors, read the captcha answer or
approve the QR login through the twin's test endpoint (as ``kameng demo`` does), wait for the receipt
number — with no retries, checks, screenshots or store. They file the same case as kameng
(examples/case.yaml): the long texts are kameng's own rendering of it (prepared at import, not timed),
the short values are written out as a person would, and the evidence files are the same.
Every function takes only the twin's base URL, so it works on in-process twins and on ``kameng twins``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
CASE_PATH = ROOT / "examples" / "case.yaml"


def _prepare() -> tuple[dict[str, dict[str, str]], list[Path]]:
    """The complaint texts kameng renders for the example case, per channel, and its evidence files."""
    from kameng_filer.case.loader import load_case
    from kameng_filer.render import render

    case = load_case(CASE_PATH).case
    assert case is not None, "examples/case.yaml must load"
    texts = {
        ch: dict(render(case, ch, "complaint").fields)
        for ch in ("12315", "heimao", "consumer_association", "card_platform")
    }
    return texts, [Path(e.path) for e in case.evidence]


TEXTS, EVIDENCE = _prepare()
FILES = [str(p) for p in EVIDENCE]
ORDER_NO = "KM20261102150012"
RECEIPT_TIMEOUT_MS = 20000


def on_path(path: str):
    """A URL predicate on the path alone (a glob like ``**/form`` also matches ``/login?next=/form``)."""
    return lambda url: urlsplit(url).path == path


async def _captcha(url: str, **query: str) -> str:
    """The current captcha answer from the twin's test endpoint (what the person reads off the image)."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as c:
        answer = (await c.get("/_twin/captcha", params=query)).json()["latest"]
    assert answer, "no captcha issued"
    return str(answer)


async def bare_gov12315(url: str) -> str:
    """全国12315 wizard: login with captcha → 须知 countdown → enterprise → address → case info → number."""
    from playwright.async_api import async_playwright

    from kameng_filer.browser import launch_options

    t = TEXTS["12315"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        page = await (await browser.new_context()).new_page()
        await page.goto(url + "/cuser/login?next=/cuser/home")
        await page.fill("#username", "demo12315")
        await page.fill("#password", "demo-pass")
        await page.fill("#captcha", await _captcha(url))
        await page.click("#login-btn")
        await page.wait_for_url(on_path("/cuser/home"))

        await page.goto(url + "/cuser/complaint/notice")
        await page.click("#agree-btn", timeout=60000)  # enabled once the countdown ends
        await page.wait_for_url(on_path("/cuser/complaint/respondent"))
        await page.fill("#ent_search", "星辰网络科技有限公司")
        await page.press("#ent_search", "Enter")
        await page.locator("#ent-results button.ent-pick", has_text="星辰网络科技有限公司").click()
        await page.click("#next-btn")
        await page.wait_for_url(on_path("/cuser/complaint/address"))
        await page.fill("#consumer_address", "北京市朝阳区望京街道某小区3号楼502")
        await page.click("#next-btn")
        await page.wait_for_url(on_path("/cuser/complaint/info"))

        await page.fill("#product_name", "王者荣耀点券 1000点")
        await page.locator("#category_text").press_sequentially("虚拟商品/网络游戏充值")
        await page.locator("#category-list [role=option]", has_text="虚拟商品/网络游戏充值").click()
        await page.select_option("#sales_method", "网购")  # resets the 处理单位 cascade: before it
        await page.fill("#platform_name", "星辰卡盟")
        await page.fill("#merchant_name", "小王点卡")
        await page.select_option("#problem_category", "合同")
        await page.select_option("#unit_province", label="浙江省")  # each level waits for its options
        await page.select_option("#unit_city", label="杭州市")
        await page.select_option("#unit_district", label="余杭区")
        await page.fill("#request", t["request"])
        await page.locator("#content").press_sequentially(t["content"])  # paste is refused
        await page.fill("#order_no", ORDER_NO)
        async with page.expect_file_chooser() as chooser:
            await page.click("#upload-btn")
        await (await chooser.value).set_files(FILES)
        await page.wait_for_selector(f"#upload-list[data-pending='0'] li:nth-child({len(FILES)})")
        await page.click("#submit-btn")
        number = await page.text_content("#case-number", timeout=RECEIPT_TIMEOUT_MS)
        await browser.close()
    return str(number).strip()


async def bare_heimao(url: str) -> str:
    """黑猫投诉: QR login approved on the twin's side endpoint → search/pick company → tags → texts → number."""
    from playwright.async_api import async_playwright

    from kameng_filer.browser import launch_options

    t = TEXTS["heimao"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        page = await (await browser.new_context()).new_page()
        await page.goto(url + "/login?next=/complaint/new")
        token = await page.get_attribute("#qr-img", "data-token")
        async with httpx.AsyncClient(base_url=url, timeout=10) as c:  # the phone scans and confirms
            (await c.post(f"/_twin/qr/{token}/scan", json={})).raise_for_status()
        await page.wait_for_url(on_path("/complaint/new"))

        await page.fill("#company_query", "星辰卡盟")  # the page searches 200 ms after the last input
        await page.locator("#company-results button.company-pick", has_text="星辰卡盟").click()
        await page.wait_for_selector("#company-picked:has-text('星辰卡盟')")
        await page.click("#issue-tags button[data-value='未发货']")
        await page.click("#demand-tags button[data-value='退款']")
        await page.click("#demand-tags button[data-value='道歉赔偿']")
        await page.fill("#amount", "100.00")
        await page.fill("#title", t["title"])
        await page.fill("#description", t["description"])
        async with page.expect_file_chooser() as chooser:
            await page.click("#image-btn")
        await (await chooser.value).set_files(FILES)
        await page.check("#agree")
        await page.click("#submit-btn")
        number = await page.text_content("#complaint-no", timeout=RECEIPT_TIMEOUT_MS)
        await browser.close()
    return str(number).strip()


async def bare_association(url: str) -> str:
    """消费者协会 one-page form (no login): fill everything, attach the evidence, submit → XH number."""
    from playwright.async_api import async_playwright

    from kameng_filer.browser import launch_options

    t = TEXTS["consumer_association"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        page = await (await browser.new_context()).new_page()
        await page.goto(url + "/complaint")
        await page.fill("#name", "张三")
        await page.fill("#phone", "13800138000")
        await page.fill("#address", "北京市朝阳区望京街道某小区3号楼502")
        await page.fill("#respondent_name", "星辰网络科技有限公司")
        await page.fill("#respondent_address", "浙江省杭州市余杭区某路88号")
        await page.fill("#purchase_date", "2026-11-02")
        await page.fill("#goods", "王者荣耀点券 1000点")
        await page.fill("#amount", "100.00")
        await page.fill("#facts", t["facts"])
        await page.fill("#demand", t["demand"])
        await page.set_input_files("#attachments", FILES)
        await page.click("#submit-btn")
        number = await page.text_content("#receipt-no", timeout=RECEIPT_TIMEOUT_MS)
        await browser.close()
    return str(number).strip()


async def bare_card_a_http(url: str) -> str:
    """卡盟 A's JSON API with httpx: captcha → login → one multipart ticket with the evidence → ticket number."""
    t = TEXTS["card_platform"]
    async with httpx.AsyncClient(base_url=url, timeout=20) as c:
        cap = (await c.get("/api/captcha")).json()["data"]
        login = {
            "username": "demo",
            "password": "demo-pass",
            "captcha_id": cap["captcha_id"],
            "captcha": await _captcha(url, id=cap["captcha_id"]),
        }
        body = (await c.post("/api/login", json=login)).json()
        assert body["code"] == 0, body
        fields = {
            "ticket_type": "售后支持",
            "order_no": ORDER_NO,
            "priority": "中",
            "title": t["title"],
            "content": t["content"],
        }
        files = [("proof", (p.name, p.read_bytes(), "image/png")) for p in EVIDENCE]
        body = (await c.post("/api/tickets", data=fields, files=files)).json()
        assert body["code"] == 0, body
    return str(body["data"]["ticket_no"])
