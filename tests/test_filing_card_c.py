"""Filing on the 卡盟 family C twin (a real PHP 发卡 system's habits) with its profile, data only.

Each lesson from the real site is a test here: the login proven on the form page (logged-out pages
answer 200), one 购买凭证 chosen by kind and uploaded once (waiting for the widget's own request), the
receipt kept when the site moves on right after showing it, status words without icon ligatures, and
status / follow-up through the detail link the site addresses by its own id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kameng_filer import registry
from kameng_filer.case import load_case
from kameng_filer.cli import app
from kameng_filer.errors import ConfigError, FormChanged
from kameng_filer.filing.lint import check
from kameng_filer.filing.profile import parse_profile
from kameng_filer.filing.status_words import normalise_status
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker.channel_io import ChannelSession, receipt_for
from tests.filing_support import configure, file_now, scripted, twins_running

CH = "card_platform@c"
PROFILE = Path(__file__).resolve().parent.parent / "adapters" / "profiles" / "card-c-twin.yaml"
browser = pytest.mark.browser


def _file(tmp: Path, case: Path, options: dict[str, Any] | None = None, **opts: Any) -> tuple[Any, Any]:
    with twins_running(tmp, ["card_c"], {"card_c": options or {}}) as ts:
        configure(ts, [CH])
        out = file_now(case, [CH], scripted(ts, [CH]), **opts)[0]
        return ts["card_c"], out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_plan_chooses_one_payment_proof_by_kind(example_case: Path) -> None:
    case = load_case(example_case).case
    adapter = registry.adapter_class("card_platform")({"profile": "card-c-twin"})
    plan = adapter.plan(case)
    assert [f.evidence_id for f in plan.files] == ["payment"]
    assert any("上传 1 个文件（payment）" in n and "未上传 order、chat、balance" in n for n in plan.notes)


def test_texts_count_and_list_only_the_files_sent(example_case: Path) -> None:
    """One file goes up (``max_files: 1``): the title says so, not "等4项证据", and the text lists it alone."""
    case = load_case(example_case).case
    plan = registry.adapter_class("card_platform")({"profile": "card-c-twin"}).plan(case)
    assert plan.fields["title"].endswith("附支付凭证"), plan.fields["title"]
    listed = plan.fields["content"].split("【证据】", 1)[1]
    assert "payment.png" in listed and not any(n in listed for n in ("order.png", "chat.png", "balance.png"))
    # a site that takes every file still counts them all
    full = registry.adapter_class("card_platform")({"profile": "card-a-twin"}).plan(case)
    assert full.fields["title"].endswith("附支付凭证等4项证据"), full.fields["title"]


@browser
def test_files_end_to_end_then_status_and_follow_up_by_detail_link(
    tmp_path: Path, example_case: Path
) -> None:
    with twins_running(tmp_path, ["card_c"]) as ts:
        twin = ts["card_c"]
        configure(ts, [CH])
        out = file_now(example_case, [CH], scripted(ts, [CH]))[0]
        assert out.state == "submitted", out
        assert not out.receipt["reconciled"]
        [ticket] = twin.records()
        assert ticket["ticket_no"] == out.receipt["complaint_no"]
        # exactly one upload request, and it was the payment proof (the widget takes one file)
        assert twin.upload_posts == 1
        payment = example_case.parent / "evidence" / "payment.png"
        assert [f["sha256"] for f in ticket["files"]] == [_sha(payment)]
        # the detail link the receipt showed (the site's own id), not a URL built from the number
        assert out.receipt["extra"]["detail_url"] == f"{twin.url}/user/ticket/detail?id={ticket['id']}"

        store = Store.open()
        filing = store.get_filing("km-2026-0001", CH)
        wrong_detail = _variant(
            tmp_path, lambda d: d["list"].update(detail_url="/user/ticket/detail?id={complaint_no}")
        )

        async def track() -> None:
            io = ChannelSession(store)
            try:
                report = await io.status(filing)
                assert report.raw == "待客服回复" and report.state == "open"  # no "schedule" from the icon
                # a detail URL built from the number gets the 200 "页面不存在" page: said as such
                bad = registry.adapter_class("card_platform")(
                    {"profile": str(wrong_detail), "base_url": twin.url, "account": "demo"}
                )
                with pytest.raises(FormChanged, match="详情页不存在"):
                    await bad.status(receipt_for(filing), io.context(filing))
                twin.expire_sessions()  # the stored login is gone: renewed on the page that showed it
                twin.operator(ticket["ticket_no"], "reply", "请补充付款截图原图")
                report = await io.status(filing)
                assert report.raw == "客服已回复" and report.state == "replied"
                assert "请补充付款截图原图" in json.dumps(report.replies, ensure_ascii=False)
                sent = await io.follow_up(filing, "您好,原图已补充,请尽快处理。", 1)
                assert sent.sent
                # a receipt without the kept link (reconciled from the list, an older record): the row's href
                receipt = dict(filing.receipt or {}, extra={})
                store.update_filing(filing.id, receipt_json=json.dumps(receipt, ensure_ascii=False))
                report = await io.status(store.get_filing("km-2026-0001", CH))
                assert report.raw == "待客服回复"  # the follow-up put it back to 待客服回复
            finally:
                await io.aclose()

        asyncio.run(track())
        assert [x["ok"] for x in twin.snapshot()["logins"]] == [True, True]  # once more after the expiry
        assert [r["text"] for r in twin.records()[0]["replies"] if r["by"] == "user"] == [
            "您好,原图已补充,请尽快处理。"
        ]


@browser
def test_expired_session_is_proven_on_the_form_page_and_renewed(tmp_path: Path, example_case: Path) -> None:
    with twins_running(tmp_path, ["card_c"]) as ts:
        twin = ts["card_c"]
        configure(ts, [CH])
        person = scripted(ts, [CH])
        assert file_now(example_case, [CH], person)[0].state == "submitted"
        twin.expire_sessions()  # the stored session now gets the 200 "登录会话过期" page
        again = file_now(example_case, [CH], person, again=True)[0]
        assert again.state == "submitted", again
        assert [x["ok"] for x in twin.snapshot()["logins"]] == [True, True]
        assert len(twin.records()) == 2


@browser
def test_a_login_the_site_did_not_keep_is_reported_as_a_login_problem(
    tmp_path: Path, example_case: Path
) -> None:
    twin, out = _file(tmp_path, example_case, {"drop_login_session": True})
    assert out.state != "submitted"
    assert "登录" in out.error and "网页表单已变化" not in out.error, out.error
    assert "已登录标志" in out.error
    assert twin.records() == [] and twin.upload_posts == 0  # nothing was filled


@browser
def test_receipt_is_kept_when_the_site_moves_on_to_a_slow_page(tmp_path: Path, example_case: Path) -> None:
    # the receipt page leaves for the 12-second list at once: whatever the machine's speed, every
    # artifact after the number faces a page that is moving on
    twin, out = _file(tmp_path, example_case, {"list_delay_s": 12, "redirect_ms": 0})
    assert out.state == "submitted", out
    assert not out.receipt["reconciled"]
    [ticket] = twin.records()
    number = ticket["ticket_no"]
    assert out.receipt["complaint_no"] == number
    # recorded without waiting for the slow page the receipt redirected to
    waited = (parse_iso(out.receipt["filed_at"]) - parse_iso(ticket["created_at"])).total_seconds()
    assert waited < 9, waited
    # the receipt's HTML keeps the number (the page, or the message seen as it appeared); a screenshot
    # the moving page did not allow is said in the note, never silently missing
    assert number in Path(out.receipt["html"]).read_text(encoding="utf-8")
    note = out.receipt["extra"].get("note", "")
    if out.receipt["screenshot"]:
        assert Path(out.receipt["screenshot"]).stat().st_size > 0
    else:
        assert "回执编号已记下" in note and "截图未保存" in note, note


# ---- the profile: every key acts, the login can be proven (no browser) ----


def _variant(tmp: Path, change: Any) -> Path:
    data = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    change(data)
    out = tmp / "variant.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def test_a_login_without_logged_in_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, lambda d: d["login"].pop("logged_in"))
    with pytest.raises(ConfigError) as err:
        parse_profile(path.read_text(encoding="utf-8"))
    assert "login.logged_in" in err.value.message and "退出登录" in err.value.message


def test_check_warns_when_the_login_marker_cannot_prove_a_login(tmp_path: Path) -> None:
    path = _variant(tmp_path, lambda d: d["login"].update(logged_in={"role": "button", "name": "登录"}))
    result = check(str(path))
    assert result.ok and any(w.startswith("login.logged_in:") for w in result.warnings), result.warnings


def test_limits_max_files_acts_on_the_plan(tmp_path: Path, example_case: Path) -> None:
    def change(d: dict) -> None:
        d["fields"]["proof"] = {"label": "购买凭证", "widget": "upload"}
        d["limits"] = {"proof": {"max_files": 1}}

    path = _variant(tmp_path, change)
    assert check(str(path)).ok
    adapter = registry.adapter_class("card_platform")({"profile": str(path)})
    plan = adapter.plan(load_case(example_case).case)
    assert [f.evidence_id for f in plan.files] == ["order"]  # the first file, as the case lists them


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"proof": {"max_len": 5}}, "limits.proof.max_len"),
        ({"title": {"max_files": 1}}, "limits.title.max_files"),
        ({"nosuch": {"max_len": 5}}, "limits.nosuch"),
    ],
)
def test_check_rejects_limits_that_would_not_act(tmp_path: Path, limits: dict, expected: str) -> None:
    path = _variant(tmp_path, lambda d: d.update(limits=limits))
    result = check(str(path))
    assert not result.ok and any(e.startswith(expected) for e in result.errors), result.errors


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(limits={"proof": {"max_size": 1}}),  # an unknown limit
        lambda d: d["fields"]["title"].update(max_files=1),  # an upload key on a text field
        lambda d: d["fields"]["category"].update(pick=["payment_proof"]),
        lambda d: d["receipt"].update(where="page"),  # receipt.locator read only for locator / toast
        lambda d: d["list"].pop("detail_url"),  # detail_status / replies live on the detail page
        lambda d: d["steps"][0].update(optional=True),  # optional acts on click / wait only
        lambda d: d.update(submit={"name": "提交工单", "css": "#ticket-submit"}),  # name without role
    ],
)
def test_keys_that_would_be_ignored_are_errors_at_load_and_in_check(tmp_path: Path, change: Any) -> None:
    path = _variant(tmp_path, change)
    with pytest.raises(ConfigError):
        parse_profile(path.read_text(encoding="utf-8"))
    result = check(str(path))
    assert not result.ok and result.errors and "→" in result.errors[0], result.errors
    r = CliRunner().invoke(app, ["adapter", "check", str(path)])
    assert r.exit_code != 0 and "Traceback" not in r.output


def test_status_words_without_icon_ligatures() -> None:
    assert normalise_status("card_platform", "schedule\n待客服回复").state == "open"
    assert normalise_status("card_platform", "check_circle 已完成").state == "resolved"
