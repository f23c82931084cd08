"""Security of the dispute form over real HTTP: CSRF, cross-site posts, upload type/size, names never paths,
forged targets and field names; bad input answered with the CLI's Chinese messages, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from kameng_filer.store import Store
from tests.ui_support import CASE, ROOT, form_fields, logged_in, workspace_fixtures

PNG = (ROOT / "examples" / "evidence" / "order.png").read_bytes()


seeded, _home, server = workspace_fixtures("ui-edit-sec")


@pytest.fixture
def client(server):
    with logged_in(server) as c:
        yield c


def test_check_needs_csrf_and_same_origin(client: httpx.Client, server) -> None:
    fields = form_fields(client, f"/cases/{CASE}/edit")
    fields.pop("csrf")
    assert client.post("/edit/check", data=fields).status_code == 403
    fields["csrf"] = "0" * 64
    assert client.post("/edit/save", data=fields).status_code == 403
    good = form_fields(client, f"/cases/{CASE}/edit")
    evil = client.post("/edit/save", data=good, headers={"origin": "http://evil.example"})
    assert evil.status_code == 403 and "其他网站" in evil.text


def test_bad_input_gets_cli_messages_at_the_field(client: httpx.Client, seeded: Path) -> None:
    fields = form_fields(client, f"/cases/{CASE}/edit")
    assert fields["order.amount"] == "100.00" and fields["contacts[0].with"] == "merchant"
    fields.update(
        {"order.amount": "-5", "order.paid_at": "2026-13-45", "__class__": "x", "allow_outside": "/"}
    )
    found = client.post("/edit/check", data=fields).json()
    by_path = {f["path"]: f for f in found["findings"]}
    assert "金额不能为负" in by_path["order.amount"]["message"]
    assert by_path["order.paid_at"]["hint"] and found["storable"] is False
    page = client.post("/edit/save", data=fields)
    assert page.status_code == 200 and "没有保存" in page.text and "金额不能为负" in page.text
    assert "Traceback" not in page.text and "内部错误" not in page.text
    source = seeded.parent / f"{seeded.name}-case" / "case.yaml"
    assert "-5" not in source.read_text("utf-8")


def test_forged_targets_refused(client: httpx.Client, seeded: Path) -> None:
    fields = form_fields(client, f"/cases/{CASE}/edit")
    for target in ("new:../../etc", "case:../x", "case:nope", "file:/etc/passwd", ""):
        fields["target"] = target
        r = client.post("/edit/save", data=fields)
        assert r.status_code in (400, 404), target
        assert "Traceback" not in r.text
    assert not (seeded / "etc").exists()


def test_id_of_a_saved_case_cannot_change(client: httpx.Client) -> None:
    fields = form_fields(client, f"/cases/{CASE}/edit")
    fields["id"] = "km-other"
    page = client.post("/edit/save", data=fields)
    assert "不能改编号" in page.text


def _upload(
    client: httpx.Client, target: str, files: list[tuple[str, bytes]], csrf: str | None
) -> httpx.Response:
    data = {"target": target}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post("/edit/upload", data=data, files=[("files", (n, b, "image/png")) for n, b in files])


def test_upload_limits_and_generated_names(client: httpx.Client, seeded: Path) -> None:
    fields = form_fields(client, "/new")
    target, csrf = fields["target"], fields["csrf"]
    folder = seeded / "cases" / target.split(":", 1)[1]
    r = _upload(client, target, [("a.png", PNG)], None)
    assert r.status_code == 403 and r.json()["error"]["message"]
    r = _upload(client, target, [("订单.png", b"#!/bin/sh\nrm -rf /\n")], csrf)
    assert r.status_code == 400 and "不是可以作为证据的文件" in r.json()["error"]["message"]
    r = _upload(client, target, [("big.png", PNG[:8] + b"\0" * (10 * 1024 * 1024 + 1))], csrf)
    assert r.status_code == 400 and "MB" in r.json()["error"]["message"] + r.json()["error"]["hint"]
    r = _upload(client, target, [("../../../evil.png", PNG)], csrf)
    assert r.status_code == 200, r.text
    body = r.json()
    stored = [e["file"] for e in body["evidence"]]
    assert len(stored) == 1 and re.fullmatch(r"evidence/shot-[0-9a-f]{12}\.png", stored[0])
    assert (folder / stored[0]).read_bytes() == PNG
    assert not list(seeded.rglob("evil.png"))
    assert any(v["path"] == "order.order_no" and v["value"] == "KM20261102150012" for v in body["values"])
    image = client.get(body["evidence"][0]["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    for name in ("../case.yaml", "shot-0000.png", "..%2Fcase.yaml", "/etc/passwd"):
        assert client.get("/edit/file", params={"target": target, "name": name}).status_code == 404


def test_own_texts_checked_and_used_by_the_cli(tmp_path: Path) -> None:
    """The ``texts`` field is checked by ``kameng check`` and used by ``kameng render`` (so by ``kameng file``)."""
    import shutil

    from typer.testing import CliRunner

    from kameng_filer.cli import app

    folder = tmp_path / "case"
    shutil.copytree(ROOT / "examples", folder)
    text = (folder / "case.yaml").read_text("utf-8")
    texts = (
        "\ntexts:\n  heimao:\n    complaint:\n      title: 星辰卡盟点券未到账请求退款\n      nonsense: x\n"
        "  alipay:\n    complaint:\n      content: "
        + "太坑了" * 80
        + "\n  nowhere:\n    complaint: {content: x}\n"
    )
    (folder / "case.yaml").write_text(text + texts, "utf-8")
    runner = CliRunner()
    out = runner.invoke(app, ["check", str(folder), "--no-read", "--json"])
    codes = {(f["code"], f["path"]) for f in __import__("json").loads(out.stdout)["findings"]}
    assert ("texts.too_long", "texts.alipay.complaint.content") in codes
    assert ("texts.unknown", "texts.heimao.complaint.nonsense") in codes
    assert ("texts.unknown", "texts.nowhere") in codes
    shown = runner.invoke(app, ["render", str(folder), "--channel", "heimao"])
    assert "星辰卡盟点券未到账请求退款" in shown.stdout


def test_dispute_page_check_follows_each_saved_version(client: httpx.Client) -> None:
    """The dispute page remembers check results per stored version, never past a save."""
    assert "不是有效的中国大陆手机号" not in client.get(f"/cases/{CASE}").text
    client.get(f"/cases/{CASE}")  # served from the remembered result
    fields = form_fields(client, f"/cases/{CASE}/edit")
    fields["complainant.phone"] = "1380013"
    saved = client.post("/edit/save", data=fields)
    assert saved.status_code == 303, saved.text[:500]
    page = client.get(f"/cases/{CASE}?saved=1").text
    assert "已保存为第" in page and "不是有效的中国大陆手机号" in page
    fields = form_fields(client, f"/cases/{CASE}/edit")
    fields["complainant.phone"] = "13800138000"
    assert client.post("/edit/save", data=fields).status_code == 303


def test_text_pages_refuse_unknown_names_and_forged_posts(client: httpx.Client) -> None:
    for path in (
        f"/cases/{CASE}/texts/nochannel/complaint",
        f"/cases/{CASE}/texts/alipay/nopurpose",
        "/cases/nocase/texts/alipay/complaint",
    ):
        r = client.get(path)
        assert r.status_code == 404 and "Traceback" not in r.text, path
        assert re.search(r"[\u4e00-\u9fff]", r.text)
    r = client.post(f"/cases/{CASE}/texts/alipay/complaint", data={"text.content": "x" * 10})
    assert r.status_code == 403
    html = client.get(f"/cases/{CASE}/texts/alipay/complaint").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)[1]
    r = client.post(
        f"/cases/{CASE}/texts/alipay/complaint/check",
        data={"csrf": csrf, "text.content": "短", "text.../../x": "y", "text.": "z"},
    )
    field = r.json()["fields"][0]
    assert field["name"] == "content" and field["count"] == 1
    assert any("至少" in f["message"] for f in field["findings"])
    html = client.get(f"/cases/{CASE}/texts/alipay/complaint").text
    sha = re.search(r'name="base_sha" value="([^"]*)"', html)[1]
    mine = "2026年11月2日支付100.00元购买点券，至今未到账，请求退款100.00元。"
    data = {"csrf": csrf, "base_sha": sha, "text.content": mine, "text.../../x": "y", "text.title": "z"}
    assert client.post(f"/cases/{CASE}/texts/alipay/complaint", data=data).status_code == 303
    store = Store.open(readonly=True)
    try:
        assert store.get_case(CASE).texts == {"alipay": {"complaint": {"content": mine}}}
    finally:
        store.close()
