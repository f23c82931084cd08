"""``kameng adapter check|try|record|new`` and ``kameng adapters list``, run as the real CLI in subprocesses."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from kameng_filer.filing.profile import parse_profile
from kameng_filer.secrets import env_name
from kameng_filer.twins.registry import start_twins
from tests import canaries
from tests.terminal import run_answering_captcha
from tests.twins_third import ThirdTwin

KAMENG = str(Path(sys.executable).parent / "kameng")
JIGUANG = Path(__file__).with_name("profiles") / "jiguang.yaml"


def kameng(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the CLI without a terminal."""
    return subprocess.run(
        [KAMENG, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )


# ---------------------------------------------------------------- check


def test_check_accepts_the_built_in_and_the_third_site_profiles() -> None:
    for ref in ("card-a-twin", "card-b-twin", str(JIGUANG)):
        r = kameng("adapter", "check", ref, "--json")
        data = json.loads(r.stdout)
        assert r.returncode == 0 and data["ok"] and data["errors"] == [], (ref, r.stdout, r.stderr)
    text = kameng("adapter", "check", "card-a-twin")
    assert "可以使用" in text.stdout and text.returncode == 0


def test_check_names_each_problem_with_its_path_line_and_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: shop-x\ntitle: 测试站点\nbase_url: https://shop.example/\n"
        "fields:\n  title: {lable: 标题}\n  kind: {label: 类型, widget: selct}\n"
        "steps:\n  - goto: /new\n  - fill: [title, kind]\n"
        "submit: {role: button, name: 提交}\nreceipt: {pattern: 'TK\\d+'}\n",
        encoding="utf-8",
    )
    r = kameng("adapter", "check", str(bad))
    assert r.returncode == 1
    assert "fields.title.lable（第 5 行）" in r.stderr and "是不是 label?" in r.stderr
    assert "fields.kind.widget（第 6 行）" in r.stderr and "'select'" in r.stderr
    assert "Traceback" not in r.stderr


def test_check_lints_unknown_references_and_css_only_locators(tmp_path: Path) -> None:
    data = yaml.safe_load(JIGUANG.read_text(encoding="utf-8"))
    data["steps"][0]["goto"] = "/service/apply?order={ordr_no}"
    data["fields"]["title"] = {"css": "#title"}
    data["fields"]["agree"]["value"] = "{agreed}"
    path = tmp_path / "lint.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = kameng("adapter", "check", str(path), "--json")
    result = json.loads(r.stdout)
    assert r.returncode == 1 and not result["ok"]
    assert any(e.startswith("steps[0].goto") and "{ordr_no}" in e for e in result["errors"])
    assert any(e.startswith("fields.agree.value") and "{agreed}" in e for e in result["errors"])
    assert any(w.startswith("fields.title") and "只用 CSS" in w for w in result["warnings"])
    # a fill of a field that does not exist is a format error with its path
    data["steps"][0]["goto"] = "/service/apply"
    data["fields"]["agree"]["value"] = "yes"
    data["steps"][1]["fill"].append("ordr")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = kameng("adapter", "check", str(path))
    assert r.returncode == 1 and "steps[1].fill 引用了不存在的字段 ordr" in r.stderr


def test_check_of_a_missing_profile_is_a_clear_error() -> None:
    r = kameng("adapter", "check", "no-such-site")
    assert r.returncode == 1 and "找不到站点配置「no-such-site」" in r.stderr and "card-a-twin" in r.stderr


# ---------------------------------------------------------------- list


def test_list_shows_every_adapter_and_profile_with_where_it_comes_from(kameng_home: Path) -> None:
    folder = kameng_home / "profiles"
    folder.mkdir(exist_ok=True)
    (folder / "jiguang.yaml").write_text(JIGUANG.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "broken.yaml").write_text("name: broken\n", encoding="utf-8")
    r = kameng("adapters", "list", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    adapters = {a["name"]: a for a in data["adapters"]}
    assert {
        "card_platform",
        "email",
        "alipay",
        "wechat_pay",
        "12315",
        "heimao",
        "consumer_association",
    } <= set(adapters)
    card = adapters["card_platform"]
    assert card["source"] == "内置" and card["kind"] == "browser" and card["uses_profiles"]
    assert {
        "name": "title",
        "label": "标题",
        "kind": "text",
        "required": True,
        "min_len": 4,
        "max_len": 100,
    } in card["fields"]
    profiles = {p["name"]: p for p in data["profiles"]}
    assert (
        profiles["card-a-twin"]["source"] == "内置" and profiles["card-a-twin"]["channel"] == "card_platform"
    )
    assert profiles["jiguang"]["source"] == "用户" and "order" in profiles["jiguang"]["fields"]
    assert profiles["gov12315-twin"]["channel"] == "12315"
    assert "error" in profiles["broken"] and "缺少必填项" in profiles["broken"]["error"]
    text = kameng("adapters", "list")
    assert "card_platform" in text.stdout and "jiguang" in text.stdout


# ---------------------------------------------------------------- try


def _try_with_person(args: list[str], answer: callable, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``kameng adapter try`` on a pseudo-terminal; when it asks for the captcha, type ``answer()``."""
    return run_answering_captcha(args, answer, tmp_path, timeout=120)


@pytest.mark.browser
@pytest.mark.slow
def test_try_reports_field_by_field_on_family_a_then_the_fields_a_redesign_broke(
    tmp_path: Path, example_case: Path, monkeypatch
) -> None:
    with start_twins(["card_a"], data_dir=tmp_path / "twins") as ts:
        twin = ts["card_a"]
        monkeypatch.setenv(env_name("card_platform@card-a-twin", "demo"), canaries.TWIN_PASSWORD)
        args = [
            "adapter",
            "try",
            "card-a-twin",
            "--case",
            str(example_case),
            "--url",
            twin.url,
            "--account",
            "demo",
            "--json",
        ]
        first = _try_with_person(
            args, lambda: httpx.get(twin.url + "/_twin/captcha").json()["latest"], tmp_path
        )
        assert first.returncode == 0, first.stderr.decode()
        data = json.loads(first.stdout)
        assert data["ok"] and data["login"] == "已登录（demo）"
        fields = {f["key"]: f for f in data["fields"] if f["kind"] == "field"}
        assert {k: f["ok"] for k, f in fields.items()} == dict.fromkeys(
            ["ticket_type", "order", "proof", "priority", "title", "content"], True
        )
        assert fields["title"]["strategy"] == "label=标题"
        assert fields["priority"]["strategy"] == "role=group[优先级]"
        assert fields["order"]["value"] == "KM20261102150012"
        submit = next(f for f in data["fields"] if f["kind"] == "submit")
        assert submit["ok"] and "不会点击" in submit["reason"]
        assert Path(data["screenshot"]).stat().st_size > 10_000
        assert twin.snapshot()["submissions"] == [], "try never submits"

        # the site is redesigned: the stored login still works, the form's labels do not
        twin.set_faults(labels="changed")
        second = kameng(*args, "--timeout", "1500")
        assert second.returncode == 1, second.stderr
        data = json.loads(second.stdout)
        assert not data["ok"] and data["login"].startswith("已登录")
        failed = {f["key"]: f for f in data["fields"] if not f["ok"]}
        assert {"ticket_type", "title", "content", "submit"} <= set(failed)
        title = failed["title"]
        assert "找不到「标题」（label=标题）" in title["reason"]
        assert title["tried"] == ["label=标题：找到 0 个，可见 0 个"]
        assert "工单主题" in title["suggestions"]
        assert twin.snapshot()["submissions"] == []


@pytest.mark.browser
@pytest.mark.slow
def test_try_walks_the_third_sites_wizard_without_submitting(
    tmp_path: Path, example_case: Path, monkeypatch
) -> None:
    with ThirdTwin(tmp_path / "twins") as twin:
        monkeypatch.setenv(env_name("card_platform@jiguang", "jg_demo"), canaries.THIRD_SITE_PASSWORD)
        r = kameng(
            "adapter",
            "try",
            str(JIGUANG),
            "--case",
            str(example_case),
            "--url",
            twin.url,
            "--account",
            "jg_demo",
            "--json",
        )
        data = json.loads(r.stdout)
        assert r.returncode == 0 and data["ok"], (r.stdout, r.stderr)
        by_key = {f["key"]: f for f in data["fields"]}
        assert (
            by_key["order"]["strategy"] == "label=关联订单"
        )  # the custom dropdown, found by its visible label
        assert by_key["contact"]["strategy"] == "label=联系电话"  # inside the iframe
        assert by_key["description"]["ok"] and by_key["proof"]["ok"]
        steps = [f for f in data["fields"] if f["kind"] == "step"]
        assert steps and all(s["ok"] for s in steps)
        assert twin.snapshot()["submissions"] == []
        assert [entry["ok"] for entry in twin.snapshot()["logins"]] == [True]


@pytest.mark.browser
def test_try_needs_an_account_for_a_login_site_and_reports_an_unreachable_one(
    tmp_path: Path, example_case: Path
) -> None:
    with ThirdTwin(tmp_path / "twins") as twin:
        r = kameng("adapter", "try", str(JIGUANG), "--case", str(example_case), "--url", twin.url, "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 1 and not data["ok"]
    assert data["error"] == "站点需要登录，但没有指定账号" and "--account" in data["hint"]
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    r = kameng(
        "adapter",
        "try",
        "card-b-twin",
        "--case",
        str(example_case),
        "--url",
        f"http://127.0.0.1:{closed}/",
        "--json",
    )
    data = json.loads(r.stdout)
    assert r.returncode == 1 and "无法连接" in data["error"]
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------- record


@pytest.mark.browser
def test_record_drafts_a_profile_from_a_page(tmp_path: Path) -> None:
    with start_twins(["card_b"], data_dir=tmp_path / "twins") as ts:
        out = tmp_path / "draft.yaml"
        r = kameng("adapter", "record", ts["card_b"].url + "/complaint", "--out", str(out))
        assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 站点配置草稿")
    prof = parse_profile(text, origin="draft")
    assert prof.fields["order_no"].label == "订单号"
    assert prof.fields["phone"].label == "下单手机号" and prof.fields["phone"].field == "contact"
    assert prof.steps[0].goto == "/complaint"
    assert prof.submit.name in ("下一步", "获取验证码")
    assert "待办" in text


# ---------------------------------------------------------------- new


def test_new_scaffolds_a_plugin_package_and_refuses_bad_names(tmp_path: Path) -> None:
    r = kameng("adapter", "new", "acme_shop", "--dir", str(tmp_path), "--title", "Acme 商城")
    assert r.returncode == 0, r.stderr
    root = tmp_path / "kameng-plugin-acme-shop"
    for rel in (
        "pyproject.toml",
        "kameng_acme_shop/adapter.py",
        "kameng_acme_shop/twin.py",
        "kameng_acme_shop/templates/acme_shop/complaint.j2",
        "kameng_acme_shop/schedules/acme_shop.yaml",
        "tests/test_acme_shop.py",
    ):
        assert (root / rel).is_file(), rel
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert (
        '[project.entry-points."kameng_filer.adapters"]\nacme_shop = "kameng_acme_shop.adapter:AcmeShopAdapter"'
        in pyproject
    )
    assert '"kameng_filer.templates"' in pyproject and '"kameng_filer.schedules"' in pyproject
    for py in root.rglob("*.py"):
        compile(py.read_text(encoding="utf-8"), str(py), "exec")
    again = kameng("adapter", "new", "acme_shop", "--dir", str(tmp_path))
    assert again.returncode != 0 and "目录已存在" in again.stderr
    for bad in ("Acme", "1shop", "card_platform"):
        r = kameng("adapter", "new", bad, "--dir", str(tmp_path))
        assert r.returncode != 0 and ("不合适" in r.stderr or "已经有" in r.stderr), bad
