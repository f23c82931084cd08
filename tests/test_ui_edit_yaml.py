"""The case file stays the person's own when the workspace saves it: comments (Chinese ones too), key order,
quoting and untouched values kept byte for byte; a hand edit made while a page is open is never overwritten;
the dispute page's findings follow the file on disk at once (over real HTTP, real files, real store)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import httpx
import pytest
import yaml

from kameng_filer.case.loader import parse_text
from kameng_filer.store import Store
from kameng_filer.ui import caseform, yamlkeep
from tests.ui_support import CASE, form_fields, logged_in, workspace_fixtures

seeded, _home, server = workspace_fixtures("ui-edit-yaml")

HAND_WRITTEN = """\
# 我的纠纷：手工写的，注释要留着
id: km-2026-0001
title: 王者荣耀点券充值未到账   # 标题（别改）

complainant:                      # 投诉人
  name: 张三
  phone: "13800138000"            # 带引号的手机号
  email: zhangsan@example.com
  address: 北京市朝阳区望京街道某小区3号楼502

respondent:
  platform: 星辰卡盟
  legal_name: 星辰网络科技有限公司
  address: 浙江省杭州市余杭区某路88号
  website: https://xingchen-km.example.com

order:
  order_no: KM20261102150012
  product: 王者荣耀点券 1000点
  quantity: 1
  amount: 100.00                  # 元
  ordered_at: 2026-11-02T15:00:12
  paid_at: 2026-11-02T15:00:30
  payment:
    method: alipay
    transaction_no: '2026110222001400000000001234'

problem:
  type: not_delivered
  summary: |
    支付成功后点券一直未到账，
    商家以“系统延迟”为由拖延。
  discovered_at: 2026-11-02T15:30:00

timeline:
  # 按时间先后
  - at: 2026-11-02T15:00:30
    event: 支付成功，订单状态为“待发货”
  - at: 2026-11-02T15:33:00   # 商家第一次回复
    event: 商家回复“系统延迟，半小时内到账”

evidence:
  - id: order
    kind: order_info
    file: evidence/order.png
    description: 订单详情页截图
  - id: payment
    kind: payment_proof
    file: evidence/payment.png
    description: 支付宝账单详情截图

demands:
  - type: refund
    amount: 100.00
"""


@pytest.fixture
def client(server):
    with logged_in(server) as c:
        yield c


@pytest.fixture
def source(seeded: Path) -> Path:
    """The case file the stored example came from, rewritten by hand (as a person would) for each test."""
    store = Store.open(readonly=True)
    try:
        path = Path(store.case_versions(CASE)[-1].source_path or "")
    finally:
        store.close()
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return path


def _changed(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_saving_one_field_changes_only_that_line(client: httpx.Client, source: Path) -> None:
    fields = form_fields(client, f"/cases/{CASE}/edit")
    assert fields["title"] == "王者荣耀点券充值未到账" and fields["order.amount"] == "100.00"
    fields["complainant.name"] = "李四"
    fields["problem.summary"] = fields["problem.summary"].replace("\n", "\r\n")  # as a browser sends it
    r = client.post("/edit/save", data=fields)
    assert r.status_code == 303, r.text[:800]
    assert _changed(HAND_WRITTEN, source.read_text("utf-8")) == ["-  name: 张三", "+  name: 李四"]
    store = Store.open(readonly=True)
    try:
        assert store.get_case(CASE).complainant.name == "李四"  # imported as a new version, as kameng add
        assert store.get_case(CASE, store.current_version(CASE) - 1).complainant.name == "张三"
    finally:
        store.close()


def test_changes_keep_comments_order_and_spelling(client: httpx.Client, source: Path) -> None:
    fields = form_fields(client, f"/cases/{CASE}/edit")
    fields["order.amount"] = "120.50"  # a number stays a plain number
    fields["timeline[0].event"] = "支付成功"
    fields["problem.summary"] = "支付成功后点券一直未到账。\n商家拖延。"
    fields["respondent.merchant.name"] = "yes"  # a new field whose text YAML 1.1 would read as true
    fields.pop("timeline[1].at")
    fields.pop("timeline[1].event")  # the second row removed: the first keeps its comment
    r = client.post("/edit/save", data=fields)
    assert r.status_code == 303, r.text[:800]
    text = source.read_text("utf-8")
    changed = _changed(HAND_WRITTEN, text)
    assert "+  amount: 120.50                  # 元" in changed
    assert "+    event: 支付成功" in changed
    assert "-  - at: 2026-11-02T15:33:00   # 商家第一次回复" in changed
    for kept in (
        "# 我的纠纷：手工写的，注释要留着",
        "title: 王者荣耀点券充值未到账   # 标题（别改）",
        "  # 按时间先后",
    ):
        assert kept in text
    assert '  phone: "13800138000"            # 带引号的手机号' in text
    assert "  summary: |" in text
    data = parse_text(text)
    assert data["respondent"]["merchant"]["name"] == "yes"
    assert data["problem"]["summary"].startswith("支付成功后点券一直未到账。\n商家拖延。")
    assert [k for k in data] == [k for k in yaml.safe_load(HAND_WRITTEN)]  # key order as written


def test_hand_edit_while_the_page_is_open_is_not_overwritten(client: httpx.Client, source: Path) -> None:
    fields = form_fields(client, f"/cases/{CASE}/edit")
    assert client.post("/edit/check", data=fields).json()["stale"] is False
    by_hand = HAND_WRITTEN.replace("title: 王者荣耀点券充值未到账", "title: 手工改的标题")
    source.write_text(by_hand, encoding="utf-8")
    fields["complainant.name"] = "王五"
    assert client.post("/edit/check", data=fields).json()["stale"] is True  # the page says so at once
    page = client.post("/edit/save", data=fields)
    assert page.status_code == 200 and "被修改过" in page.text and "没有保存" in page.text
    assert source.read_text("utf-8") == by_hand
    # the page now holds the file as it is, and lists what the person typed that is not in it
    again = dict(re.findall(r'name="(title|base_sha|complainant\.name)" value="([^"]*)"', page.text))
    assert again["title"] == "手工改的标题" and again["complainant.name"] == "张三"
    unsaved = page.text[page.text.index('class="unsaved"') :]
    assert "投诉人的姓名" in unsaved or "王五" in unsaved
    assert "王五" in unsaved
    reloaded = form_fields(client, f"/cases/{CASE}/edit")
    assert reloaded["base_sha"] == again["base_sha"]
    reloaded["complainant.name"] = "王五"
    assert client.post("/edit/save", data=reloaded).status_code == 303
    assert _changed(by_hand, source.read_text("utf-8")) == ["-  name: 张三", "+  name: 王五"]


def test_text_page_keeps_a_hand_edit_made_meanwhile(client: httpx.Client, source: Path) -> None:
    url = f"/cases/{CASE}/texts/alipay/complaint"
    html = client.get(url).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)[1]
    sha = re.search(r'name="base_sha" value="([^"]*)"', html)[1]
    by_hand = HAND_WRITTEN.replace("  name: 张三", "  name: 赵六")
    source.write_text(by_hand, encoding="utf-8")
    mine = "2026年11月2日支付100.00元购买点券，至今未到账，请求退款100.00元。"
    page = client.post(url, data={"csrf": csrf, "base_sha": sha, "text.content": mine})
    assert page.status_code == 200 and "被修改过" in page.text and mine in page.text
    assert source.read_text("utf-8") == by_hand
    fresh = re.search(r'name="base_sha" value="([^"]*)"', page.text)[1]
    assert client.post(url, data={"csrf": csrf, "base_sha": fresh, "text.content": mine}).status_code == 303
    text = source.read_text("utf-8")
    assert "  name: 赵六" in text and "# 我的纠纷：手工写的，注释要留着" in text
    assert parse_text(text)["texts"] == {"alipay": {"complaint": {"content": mine}}}


def test_dispute_page_sees_a_hand_edit_at_once(client: httpx.Client, source: Path, seeded: Path) -> None:
    assert "不是有效的中国大陆手机号" not in client.get(f"/cases/{CASE}").text
    source.write_text(HAND_WRITTEN.replace('"13800138000"', '"1380013"'), encoding="utf-8")
    assert "不是有效的中国大陆手机号" in client.get(f"/cases/{CASE}").text  # no save, no waiting
    source.write_text(HAND_WRITTEN, encoding="utf-8")
    assert "不是有效的中国大陆手机号" not in client.get(f"/cases/{CASE}").text
    # an evidence file removed by hand is seen at once, and put back too
    shot = source.parent / "evidence" / "payment.png"
    kept = shot.read_bytes()
    shot.unlink()
    try:
        assert "证据文件不存在" in client.get(f"/cases/{CASE}").text
    finally:
        shot.write_bytes(kept)
    assert "证据文件不存在" not in client.get(f"/cases/{CASE}").text
    # a setting the checks read (the person's own lexicon) is seen at once too
    (seeded / "lexicon.yaml").write_text("emotional:\n  拖延: 未按承诺处理\n", encoding="utf-8")
    try:
        assert "未按承诺处理" in client.get(f"/cases/{CASE}").text
    finally:
        (seeded / "lexicon.yaml").unlink()


def test_list_item_fields_have_their_chinese_labels(client: httpx.Client, source: Path) -> None:
    html = client.get(f"/cases/{CASE}/edit").text
    assert re.search(r'<label for="f-timeline\[0\]\.at">时间', html)
    assert re.search(r'<textarea id="f-timeline\[0\]\.event"', html)  # a sentence, not one line


@pytest.mark.parametrize(
    ("before", "after", "expect"),
    [
        ("a: 1  # 一\nb: x\n", {"a": 1, "b": "y"}, "a: 1  # 一\nb: y\n"),
        ("a: 1\nb: x\n", {"a": 1, "c": "no", "b": "x"}, "a: 1\nc: 'no'\nb: x\n"),
        ("l:\n- 1\n- 2  # 二\n- 3\n", {"l": [2, 3]}, "l:\n- 2  # 二\n- 3\n"),
        ("m:\n  k: v  # 注\n  j: w\n", {"m": {"k": "v"}}, "m:\n  k: v  # 注\n"),
    ],
)
def test_yamlkeep_changes_only_what_changed(before: str, after: dict, expect: str) -> None:
    raw = yaml.safe_load(before)
    assert yamlkeep.update(before, raw, after) == expect


def test_unchanged_form_is_the_file_again() -> None:
    raw = parse_text(HAND_WRITTEN)
    seen = caseform.normalized(raw)
    assert yamlkeep.update(HAND_WRITTEN, seen, seen) == HAND_WRITTEN


def test_remembered_pages_follow_the_store_at_once(client: httpx.Client, source: Path) -> None:
    """Home and dispute page are remembered by the database's content, so a new filing or a tracker pass
    (another process writing the store) shows on the very next view."""
    from kameng_filer.timeutil import parse_iso
    from kameng_filer.tracker.testing import record_submitted

    assert "9988776655" not in client.get("/").text
    client.get(f"/cases/{CASE}")
    store = Store.open()
    try:
        record_submitted(store, CASE, "email", "9988776655", parse_iso("2026-11-11T12:00:00"))
    finally:
        store.close()
    assert "9988776655" in client.get("/").text
    assert "9988776655" in client.get(f"/cases/{CASE}").text


def test_windows_line_endings_and_bom_are_kept(client: httpx.Client, source: Path) -> None:
    """A case.yaml saved by a Windows editor (CRLF, UTF-8 BOM) can be saved from the page, and stays so."""
    raw = "\ufeff" + HAND_WRITTEN.replace("\n", "\r\n")
    source.write_bytes(raw.encode("utf-8"))
    source.chmod(0o640)
    fields = form_fields(client, f"/cases/{CASE}/edit")
    fields["complainant.name"] = "李四"
    r = client.post("/edit/save", data=fields)
    assert r.status_code == 303, r.text[:800]
    saved = source.read_bytes()
    assert saved == raw.replace("  name: 张三", "  name: 李四").encode("utf-8")
    assert source.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    "text",
    ["---\na: 1  # 注\nb: x\n", "a: 1\r\nb: x  # 注\r\n", "a:\n    k: [chat]\n    l:\n        - 1\nb: x\n"],
)
def test_yamlkeep_keeps_document_start_line_endings_and_indentation(text: str) -> None:
    raw = yaml.safe_load(text)
    assert yamlkeep.update(text, raw, {**raw, "b": "y"}) == text.replace("b: x", "b: y")


def test_two_tabs_saving_the_same_version_at_once(server, source: Path) -> None:
    """Two pages opened on the same version and saved at the same moment: one is saved, the other is
    refused as changed meanwhile (never both written, the second silently winning)."""
    from concurrent.futures import ThreadPoolExecutor

    with logged_in(server) as a, logged_in(server) as b:
        first, second = form_fields(a, f"/cases/{CASE}/edit"), form_fields(b, f"/cases/{CASE}/edit")
        first["complainant.name"], second["complainant.name"] = "甲", "乙"
        with ThreadPoolExecutor(2) as pool:
            answers = list(
                pool.map(lambda cf: cf[0].post("/edit/save", data=cf[1]), [(a, first), (b, second)])
            )
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 303], codes
    refused = next(r for r in answers if r.status_code == 200)
    assert "被修改过" in refused.text
    name = parse_text(source.read_text("utf-8"))["complainant"]["name"]
    winner = "甲" if answers[0].status_code == 303 else "乙"
    assert name == winner
