"""The outside channels through their adapters in real Chromium: 12315, 黑猫投诉 (masking), consumer association."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from PIL import Image

from kameng_filer.config import save_config
from kameng_filer.demo import DemoAnswerer
from kameng_filer.filing.channels import resolve
from kameng_filer.filing.person import ScriptedPerson
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from tests import canaries
from tests.filing_support import by_channel, file_now, twins_running

pytestmark = pytest.mark.browser

SECOND = Path(__file__).resolve().parent.parent / "examples" / "second" / "case.yaml"


def _setup(twins, channels: dict[str, dict]) -> ScriptedPerson:
    cfg = {"channels": {}}
    urls = {}
    for channel, (twin_name, settings) in channels.items():
        twin = twins[twin_name]
        settings = dict(settings)
        if twin_name == "email":
            settings.update(smtp_host=twin.host, smtp_port=twin.port)
        else:
            settings["base_url"] = twin.url
            urls[channel] = twin.url
        cfg["channels"][channel] = settings
    save_config(cfg)
    import os

    os.environ[env_name("12315", "demo12315")] = canaries.TWIN_PASSWORD
    return ScriptedPerson(DemoAnswerer(urls), quiet=True)


@pytest.fixture
def outside(tmp_path: Path):
    with twins_running(tmp_path, ["gov12315", "heimao", "association", "email"]) as ts:
        yield ts


def _subs(twin) -> list[dict]:
    return twin.snapshot()["submissions"]


def test_12315_wizard_typed_like_a_person(outside, example_case: Path) -> None:
    person = _setup(outside, {"12315": ("gov12315", {"account": "demo12315"})})
    out = file_now(example_case, ["12315"], person)[0]
    assert out.state == "submitted", out
    assert re.fullmatch(r"\d{25}", out.receipt["complaint_no"])
    sub = _subs(outside["gov12315"])[0]
    f = sub["fields"]
    assert (
        f["enterprise_name"] == "星辰网络科技有限公司" and f["enterprise_manual"] is False
    )  # picked from search
    assert f["consumer_address"].startswith("北京市朝阳区")
    assert f["category_code"] == "1301"  # chosen from the typeahead list, not just typed
    assert f["sales_method"] == "网购" and f["platform_name"] == "星辰卡盟"
    assert f["unit_code"] == "330110" and f["unit_path"] == "浙江省/杭州市/余杭区"  # through the cascade
    assert "KM20261102150012" in f["content"] and "全额退款" in f["request"]
    assert f["typing"]["typed_events"] * 2 >= len(f["content"]), "内容 must arrive by real typing events"
    assert len(sub["files"]) == 4
    assert out.receipt["complaint_no"].startswith("330110")


def _info_step(d: dict) -> dict:
    """The step that fills the case-info page (found by its fields, not its position)."""
    return next(s for s in d["steps"] if isinstance(s.get("fill"), list) and "sales_method" in s["fill"])


def _paste_content(d: dict) -> None:
    d["fields"]["content"]["widget"] = "text"  # set the value instead of typing it


def _type_category_without_picking(d: dict) -> None:
    d["fields"]["product_category"] = {"label": "商品类别", "widget": "type"}


def _units_before_sales_method(d: dict) -> None:
    fill = _info_step(d)["fill"]
    for unit in ("unit_province", "unit_city", "unit_district"):
        fill.remove(unit)
    fill[fill.index("sales_method") : fill.index("sales_method")] = [
        "unit_province",
        "unit_city",
        "unit_district",
    ]


@pytest.mark.parametrize(
    ("cheat", "message"),
    [
        (_paste_content, "手工输入"),
        (_type_category_without_picking, "商品类别"),
        (_units_before_sales_method, "处理单位"),
    ],
)
def test_12315_cheating_adapter_is_rejected(
    outside, example_case: Path, kameng_home: Path, cheat, message: str
) -> None:
    """A profile that shortcuts a widget gets the site's rejection, not a receipt."""
    from kameng_filer.filing.profile import _builtin_dir

    data = yaml.safe_load((_builtin_dir() / "gov12315-twin.yaml").read_text(encoding="utf-8"))
    assert "sales_method" in _info_step(data)["fill"]
    data["name"] = "gov12315-cheat"
    cheat(data)
    (kameng_home / "profiles").mkdir(exist_ok=True)
    (kameng_home / "profiles" / "gov12315-cheat.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    person = _setup(outside, {"12315": ("gov12315", {"account": "demo12315", "profile": "gov12315-cheat"})})
    out = file_now(example_case, ["12315"], person)[0]
    assert out.state == "rejected", out
    assert message in out.error
    assert _subs(outside["gov12315"]) == []


def test_12315_supplement_as_follow_up(outside, example_case: Path) -> None:
    person = _setup(outside, {"12315": ("gov12315", {"account": "demo12315"})})
    out = file_now(example_case, ["12315"], person)[0]
    adapter = resolve("12315").adapter
    receipt = _receipt("12315", "km-2026-0001")
    status = _status(adapter, receipt, person)
    assert status.raw == "待受理" and status.state == "open"
    text = "您好,我的投诉已提交,想了解受理进展,谢谢。"
    result = _run(adapter, person, lambda ctx: adapter.follow_up(receipt, text, ctx))
    assert result.sent
    complaint = outside["gov12315"].records()[0]
    assert complaint["number"] == out.receipt["complaint_no"]
    assert complaint["supplements"][0]["text"].startswith("您好,我的投诉已提交")


def _receipt(channel: str, case_id: str = "km-2026-0002") -> dict:
    rec = Store.open().get_filing(case_id, channel)
    return {**json.loads(rec.receipt_json), "vars": json.loads(rec.plan_json)["target"]["vars"]}


def _status(adapter, receipt: dict, person):
    return _run(adapter, person, lambda ctx: adapter.status(receipt, ctx))


def _run(adapter, person, make):
    """Run ``make(ctx)`` (an adapter I/O coroutine) with a real engine context and browser."""
    import asyncio

    from kameng_filer import paths
    from kameng_filer.filing.engine import FilingEngine

    async def go():
        engine = FilingEngine(Store.open(), person)
        ctx = engine.channel_run(
            adapter.name, None, paths.sub("artifacts/io-test"), dry_run=False, known_numbers=set()
        )
        try:
            return await make(ctx)
        finally:
            await engine.browsers.close()

    return asyncio.run(go())


def _personal_case(example_case: Path) -> Path:
    """The example with personal data sprinkled into free text and an image with EXIF/GPS named by phone."""
    data = yaml.safe_load(example_case.read_text(encoding="utf-8"))
    data["order"]["card_key"] = "ABCD-EFGH-JKLM-NPQR"
    data["complainant"]["id_number"] = "110105199001011234"
    data["timeline"].append(
        {"at": "2026-11-02T18:00:00", "event": "再次联系商家,留下手机13800138000和邮箱zhangsan@example.com"}
    )
    data["problem"]["summary"] = (
        "支付成功后点券一直未到账(收货地址北京市朝阳区望京街道某小区3号楼502),商家以“系统延迟”为由拖延"
    )
    shot = example_case.parent / "evidence" / "13800138000-张三.jpg"
    img = Image.new("RGB", (800, 600), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "张三的手机"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    img.save(shot, "JPEG", exif=exif)
    data["evidence"][3]["file"] = f"evidence/{shot.name}"
    out = example_case.parent / "personal.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def test_heimao_receives_nothing_personal(outside, example_case: Path) -> None:
    case = _personal_case(example_case)
    person = _setup(outside, {"heimao": ("heimao", {})})
    out = file_now(case, ["heimao"], person)[0]
    assert out.state == "submitted", out
    assert re.fullmatch(r"\d{11}", out.receipt["complaint_no"])
    state = outside["heimao"].snapshot()
    everything = json.dumps(state, ensure_ascii=False)
    for secret in (
        "13800138000",
        "zhangsan@example.com",
        "望京街道",
        "3号楼502",
        "110105199001011234",
        "ABCD-EFGH-JKLM-NPQR",
        "张三",
    ):
        assert secret not in everything, f"{secret} reached the public channel"
    texts = [t["value"] for t in state["received_texts"]]
    assert any("KM20261102150012" in t for t in texts), "the order number is still there"
    sub = state["submissions"][0]
    assert len(sub["files"]) == 4
    for f in sub["files"]:
        assert f["exif"] is False
        assert re.fullmatch(r"evidence-\d+\.(jpg|png|webp)", f["name"])
    for stored in Path(outside["heimao"].data_dir).rglob("*"):
        if stored.is_file() and stored.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"):
            with Image.open(stored) as im:
                assert not im.getexif(), stored


def test_consumer_association_web_form(outside) -> None:
    person = _setup(outside, {"consumer_association": ("association", {})})
    out = file_now(SECOND, ["consumer_association"], person)[0]
    assert out.state == "submitted", out
    assert re.fullmatch(r"XH\d{12}", out.receipt["complaint_no"])
    f = _subs(outside["association"])[0]["fields"]
    assert f["name"] == "李四" and f["purchase_date"] == "2026-11-01"
    assert "KM20261101090930" in f["facts"]
    assert float(f["amount"]) == 188.0
    # progress is read from the query page (登记号 + 电话); without a list it cannot be reconciled
    adapter = resolve("consumer_association").adapter
    assert not adapter.can_reconcile()
    receipt = _receipt("consumer_association")
    assert _status(adapter, receipt, person).raw == "已登记"
    outside["association"].operator(out.receipt["complaint_no"], "accept", "已受理,转交调解")
    status = _status(adapter, receipt, person)
    assert (status.raw, status.state) == ("已受理", "accepted")


def test_consumer_association_email_route_with_letter(outside) -> None:
    person = _setup(
        outside, {"consumer_association": ("email", {"route": "email", "to": "ts@xiaoxie.example.org"})}
    )
    out = file_now(SECOND, ["consumer_association"], person)[0]
    assert out.state == "submitted", out
    mail = outside["email"].messages()[0]
    assert mail["to"] == ["ts@xiaoxie.example.org"]
    assert "KM20261101090930" in mail["subject"]
    names = [a["name"] for a in mail["attachments"]]
    assert "complaint-letter.pdf" in names and len(names) == 6


def test_12315_and_association_never_together(outside, example_case: Path) -> None:
    from kameng_filer.errors import KamengError

    person = _setup(
        outside,
        {"12315": ("gov12315", {"account": "demo12315"}), "consumer_association": ("association", {})},
    )
    with pytest.raises(KamengError, match="12315和消费者协会"):
        file_now(example_case, ["12315", "consumer_association"], person)
    assert _subs(outside["gov12315"]) == [] and _subs(outside["association"]) == []
    outcomes = by_channel(
        file_now(
            example_case, ["12315", "consumer_association"], person, force_reason="测试:消协电话确认未受理"
        )
    )
    assert {o.state for o in outcomes.values()} == {"submitted"}
    rec = Store.open().get_filing("km-2026-0001", "consumer_association")
    assert rec.force_reason == "测试:消协电话确认未受理"
