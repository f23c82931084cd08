"""A 卡盟 site of a third kind, never seen by the built-in profiles, filed end to end with only a new profile file.

The twin (``tests/twins_third.py``) has a sign-in that redirects back, a two-step wizard, a searchable
custom dropdown, a button group, a contenteditable editor, uploads through a chooser button that upload
at once by XHR (CSRF header), the contact phone inside an iframe, client-side validation (messages next
to fields and transient error toasts), an HTML confirmation modal and the receipt in an HTML dialog, a
native ``alert`` or a transient toast; its JSON endpoints answer HTTP 200 with error codes.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from kameng_filer import paths
from kameng_filer.config import save_config
from kameng_filer.filing.person import NoPerson
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from tests import canaries
from tests.filing_support import file_now
from tests.twins_third import ThirdTwin

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROFILE = Path(__file__).with_name("profiles") / "jiguang.yaml"
CHANNEL = "card_platform@third"
ORDER = "KM20261102150012"


@pytest.fixture
def third(tmp_path: Path):
    with ThirdTwin(tmp_path / "twins") as twin:
        yield twin


def configure(
    twin: ThirdTwin, monkeypatch: pytest.MonkeyPatch, profile: Path = PROFILE, **extra: Any
) -> None:
    """``card_platform@third`` pointing at the profile (file path or name) and the twin; the password in the env."""
    save_config(
        {
            "channels": {
                CHANNEL: {"profile": str(profile), "base_url": twin.url, "account": "jg_demo", **extra}
            }
        }
    )
    monkeypatch.setenv(env_name(CHANNEL, "jg_demo"), canaries.THIRD_SITE_PASSWORD)


def variant(folder: Path, name: str, change: Any) -> Path:
    """A copy of the profile named ``name`` with ``change(data)`` applied (what an author would edit)."""
    data = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    change(data)
    data["name"] = name
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _file(example_case: Path, **opts: Any):
    return file_now(example_case, [CHANNEL], NoPerson(), **opts)[0]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _plan(channel: str = CHANNEL) -> dict[str, Any]:
    return json.loads(Store.open().get_filing("km-2026-0001", channel).plan_json)


def test_files_the_example_case_through_the_wizard_with_only_a_profile(
    third, example_case: Path, monkeypatch
) -> None:
    configure(third, monkeypatch)
    out = _file(example_case)
    assert out.state == "submitted", out
    subs = third.snapshot()["submissions"]
    assert len(subs) == 1
    sub = subs[0]
    assert out.receipt["complaint_no"] == sub["number"]
    plan = _plan()
    fields = sub["fields"]
    assert fields["order_no"] == ORDER  # picked in the searchable custom dropdown
    assert fields["reason"] == "没收到卡密"  # the button group, mapped by the profile's options
    assert fields["title"] == plan["fields"]["title"]
    # typed into the contenteditable editor, line by line (how the editor serialises blank lines is its own)
    assert _lines(fields["description"]) == _lines(plan["fields"]["content"])
    assert fields["contact_phone"] == "13800138000"  # inside the iframe
    # every evidence image went through the chooser button and the XHR upload, byte for byte
    assert sorted(f["sha256"] for f in sub["files"]) == sorted(f["sha256"] for f in plan["files"])
    assert len(sub["files"]) == 4
    # the login redirected back to the form
    assert [entry["ok"] for entry in third.snapshot()["logins"]] == [True]
    html = Path(out.receipt["html"]).read_text(encoding="utf-8")
    assert sub["number"] in html


@pytest.mark.parametrize(("mode", "where"), [("alert", "dialog"), ("toast", "toast")])
def test_receipt_read_from_a_native_alert_or_a_transient_toast(
    tmp_path: Path, example_case: Path, monkeypatch, mode: str, where: str
) -> None:
    with ThirdTwin(tmp_path / "twins", success=mode, toast_ms=700) as twin:
        # this time the profile sits in the user's profiles folder and is named, not given by path
        variant(paths.user_profiles_dir(), f"jiguang-{mode}", lambda d: d["receipt"].update(where=where))
        configure(twin, monkeypatch, Path(f"jiguang-{mode}"))
        out = _file(example_case)
        assert out.state == "submitted", out
        number = twin.snapshot()["submissions"][0]["number"]
        assert out.receipt["complaint_no"] == number


def test_client_side_validation_toast_rejects_and_stores_nothing(
    third, tmp_path: Path, example_case: Path, monkeypatch
) -> None:
    """The agreement box left unticked: the page says so in a toast that is gone after 1.5 s."""

    def drop_agree(d: dict[str, Any]) -> None:
        d["steps"][-1]["fill"].remove("agree")

    configure(third, monkeypatch, variant(tmp_path, "jiguang-noagree", drop_agree))
    out = _file(example_case)
    assert out.state == "rejected", out
    assert "请先同意《售后服务规则》" in out.error
    assert third.snapshot()["submissions"] == []


def test_wizard_step_validation_message_rejects(
    third, tmp_path: Path, example_case: Path, monkeypatch
) -> None:
    """Step 1 without a reason: "下一步" keeps the wizard on step 1 and shows the message next to the field."""

    def drop_reason(d: dict[str, Any]) -> None:
        d["steps"][1]["fill"].remove("reason")

    monkeypatch.setenv("KAMENG_FIELD_TIMEOUT_MS", "1500")
    configure(third, monkeypatch, variant(tmp_path, "jiguang-noreason", drop_reason))
    out = _file(example_case)
    assert out.state == "rejected", out
    assert "请选择售后原因" in out.error
    assert third.snapshot()["submissions"] == []


def test_lost_response_is_reconciled_from_the_list_page(third, example_case: Path, monkeypatch) -> None:
    """The 售后单 is stored but the answer never comes: the engine finds it in 我的售后 instead of filing again.

    (``hang_after_submit``, not ``drop_after_submit``: Chromium itself re-sends a POST whose reused
    keep-alive connection closes before any response byte, which would file twice on any real site too.)
    """
    configure(third, monkeypatch)
    monkeypatch.setenv("KAMENG_RECEIPT_TIMEOUT_MS", "3000")
    third.set_faults(hang_after_submit=1)
    out = _file(example_case)
    subs = third.snapshot()["submissions"]
    assert len(subs) == 1, "no second 售后单"
    assert out.state == "submitted", out
    assert out.receipt["complaint_no"] == subs[0]["number"]
    assert out.receipt["reconciled"] is True


def test_status_and_follow_up_from_the_detail_page(third, example_case: Path, monkeypatch) -> None:
    from kameng_filer.filing.channels import resolve
    from kameng_filer.filing.engine import FilingEngine

    configure(third, monkeypatch)
    out = _file(example_case)
    assert out.state == "submitted", out
    number = out.receipt["complaint_no"]
    third.operator(number, "reply", "请提供充值记录截图")
    store = Store.open()
    rec = store.get_filing("km-2026-0001", CHANNEL)
    receipt = {**json.loads(rec.receipt_json), "vars": _plan()["target"]["vars"]}
    adapter = resolve(CHANNEL).adapter

    async def go():
        engine = FilingEngine(store, NoPerson())
        from kameng_filer import paths

        ctx = engine.channel_run(
            CHANNEL, rec.id, paths.sub("artifacts/third-status"), dry_run=False, known_numbers=set()
        )
        try:
            status = await adapter.status(receipt, ctx)
            sent = await adapter.follow_up(receipt, "您好,截图已上传,请尽快处理退款。", ctx)
            return status, sent
        finally:
            await engine.browsers.close()

    status, sent = asyncio.run(go())
    assert status.raw == "已回复" and status.state == "replied"
    assert status.replies and "充值记录" in status.replies[0]["text"]
    assert sent.sent
    assert third.records()[0]["messages"][-1] == {"by": "user", "text": "您好,截图已上传,请尽快处理退款。"}


def test_json_api_with_csrf_and_http_200_error_codes(tmp_path: Path, example_case: Path, monkeypatch) -> None:
    with ThirdTwin(tmp_path / "twins") as twin:
        configure(twin, monkeypatch, mode="http")
        out = _file(example_case)
        assert out.state == "submitted", out
        sub = twin.snapshot()["submissions"][0]
        assert sub["via"] == "api" and sub["number"] == out.receipt["complaint_no"]
        assert sub["fields"]["reason"] == "没收到卡密"  # api.options mapped 未收到货 → no_card
        assert len(sub["files"]) == 4
    # the CSRF token really is required: a profile that does not fetch it is refused (HTTP 200, code 4190)
    no_csrf = variant(tmp_path, "jiguang-nocsrf", lambda d: d["api"].update(csrf_url=None))
    with ThirdTwin(tmp_path / "twins-csrf") as twin:
        configure(twin, monkeypatch, no_csrf, mode="http")
        out = _file(example_case, again=True)
        assert out.state == "rejected" and "CSRF 校验失败" in out.error, out
        assert twin.snapshot()["submissions"] == []
    # the same site when the order is not this member's: HTTP 200 with code 4220 → rejected with the site's words
    os.environ.pop(env_name(CHANNEL, "jg_demo"), None)
    with ThirdTwin(tmp_path / "twins2", orders=(("KM20260101000001", "别的订单", "1.00"),)) as twin:
        configure(twin, monkeypatch, mode="http")
        out = _file(example_case, again=True)
        assert out.state == "rejected", out
        assert "订单不存在或不属于当前账号" in out.error
        assert twin.snapshot()["submissions"] == []
