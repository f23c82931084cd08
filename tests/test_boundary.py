"""The one error boundary: the translation table, ``adapter_call``, the outcome table, and the engine and
tracker ending a channel the same way whether the adapter raised a raw library error or a kameng one.

Adapters no longer translate: a raw ``httpx`` / ``smtplib`` / ``OSError`` / Playwright error leaves
``adapter_call`` as a kameng error, and ``FilingEngine`` then handles e.g. ``ChannelUnreachable`` in
one branch (before, a raw error after the final click skipped the "cannot check" end).
"""

from __future__ import annotations

import asyncio
import smtplib
from pathlib import Path
from typing import Any

import httpx
import pytest

from kameng_filer.adapter import Adapter, DryRunComplete, FilingContext, FilingPlan, Receipt, StatusReport
from kameng_filer.channels import ChannelSpec
from kameng_filer.errors import (
    ChannelRejected,
    ChannelUnreachable,
    ConfigError,
    FilingError,
    FormChanged,
    HumanActionRequired,
    KamengError,
    SessionExpired,
)
from kameng_filer.filing.boundary import HANDLING, adapter_call, handling, translate
from kameng_filer.filing.engine import FileOptions, FilingEngine
from kameng_filer.filing.person import NoPerson
from kameng_filer.store import Store
from kameng_filer.timeutil import now
from kameng_filer.vocab import FilingState


def _status_error(code: int) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "http://127.0.0.1:9/api")
    return httpx.HTTPStatusError("boom", request=request, response=httpx.Response(code, request=request))


@pytest.mark.parametrize(
    ("exc", "cls", "words"),
    [
        (httpx.ConnectError("refused"), ChannelUnreachable, "无法连接渠道服务器"),
        (httpx.ReadTimeout("slow"), ChannelUnreachable, "连接渠道超时"),
        (_status_error(503), ChannelUnreachable, "HTTP 503"),
        (_status_error(429), ChannelUnreachable, "HTTP 429"),
        (_status_error(400), ChannelRejected, "HTTP 400"),
        (httpx.TooManyRedirects("loop"), FilingError, "通信出错"),
        (smtplib.SMTPAuthenticationError(535, b"no"), ChannelRejected, "拒绝登录"),
        (smtplib.SMTPDataError(451, b"later"), ChannelUnreachable, "SMTP 451"),
        (smtplib.SMTPDataError(554, b"spam"), ChannelRejected, "SMTP 554"),
        (smtplib.SMTPConnectError(421, b"busy"), ChannelUnreachable, "SMTP 421"),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"no")}), ChannelRejected, "收件人"),
        (smtplib.SMTPServerDisconnected("gone"), ChannelUnreachable, "连接中断"),
        (smtplib.SMTPNotSupportedError("x"), FilingError, "发送邮件失败"),
        (ConnectionRefusedError(111, "refused"), ChannelUnreachable, "无法连接渠道"),
        (TimeoutError("t"), ChannelUnreachable, "无法连接渠道"),
        (RuntimeError("odd"), FilingError, "意外错误"),
    ],
)
def test_the_table_translates_each_foreign_error(exc: BaseException, cls: type, words: str) -> None:
    """Each library error becomes the documented kameng error, carrying the channel and a detail."""
    err = translate(exc, "demo")
    assert type(err) is cls, err
    assert words in err.message and err.channel == "demo"
    assert type(exc).__name__ in (err.detail or "")


def test_playwright_errors_are_translated_by_message() -> None:
    """Playwright's timeout and its network words mean unreachable; other browser errors are failures."""
    from playwright.async_api import Error, TimeoutError

    assert isinstance(translate(TimeoutError("Timeout 3000ms"), "c"), ChannelUnreachable)
    assert isinstance(translate(Error("net::ERR_CONNECTION_REFUSED at x"), "c"), ChannelUnreachable)
    closed = translate(Error("Target page, context or browser has been closed"), "c")
    assert isinstance(closed, ChannelUnreachable) and "关闭" in closed.message
    other = translate(Error("Element is not attached"), "c")
    assert type(other) is FilingError and other.message == "浏览器操作失败"


def test_adapter_call_passes_ours_and_translates_the_rest() -> None:
    """Our errors and the dry-run signal cross unchanged (a missing channel is filled in); others are
    translated with the original as the cause."""
    with pytest.raises(ChannelRejected) as got, adapter_call("x"):
        raise ChannelRejected("no")
    assert got.value.channel == "x"
    with pytest.raises(DryRunComplete), adapter_call("x"):
        raise DryRunComplete(None, "done")
    with pytest.raises(ChannelUnreachable) as got, adapter_call("x"):
        raise httpx.ConnectError("refused")
    assert isinstance(got.value.__cause__, httpx.ConnectError)

    class Stop(Exception):
        pass

    with pytest.raises(Stop), adapter_call("x", passing=(Stop,)):
        raise Stop


def test_handling_follows_the_error_class_hierarchy() -> None:
    """The nearest class in the table decides; a plugin's own subclass is handled like its base."""

    class Throttled(ChannelUnreachable):
        pass

    assert handling(Throttled("slow")).retry and handling(Throttled("slow")).state == FilingState.FAILED
    assert handling(HumanActionRequired("code")).state == FilingState.NEEDS_PERSON
    assert handling(ChannelRejected("no")).state == FilingState.REJECTED
    assert handling(FormChanged("gone")).screenshot == "form-changed"
    assert handling(SessionExpired("old")).state == FilingState.FAILED
    assert handling(ConfigError("bad")) is HANDLING[KamengError]


# ---- the engine: one way to end a channel, whatever the adapter raised ----

SPEC = ChannelSpec(
    name="flaky", title="测试渠道", kind="email", description="测试用(不能按订单查找)", fields=()
)


class Flaky(Adapter):
    """Raises the queued errors from ``submit`` (before or after the durable submit mark)."""

    spec = SPEC

    def __init__(self, errors: list[BaseException], *, after_mark: bool) -> None:
        super().__init__({})
        self.errors = list(errors)
        self.after_mark = after_mark
        self.calls = 0

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        self.calls += 1
        if self.after_mark:
            await ctx.about_to_submit(dict(plan.fields))
        if self.errors:
            raise self.errors.pop(0)
        return Receipt(complaint_no=f"FL{self.calls}", filed_at=now())

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        raise httpx.ConnectError("refused")


def _file(example_case: Path, adapter: Flaky) -> Any:
    with Store.open() as store:
        imported = store.import_case(example_case)
        case = store.get_case(imported.case_id)
        plan = FilingPlan("flaky", case.id, "complaint", {"title": "x"})
        reports: list[str] = []
        engine = FilingEngine(
            store,
            NoPerson(),
            options=FileOptions(retries=1, backoff_s=0),
            reporter=lambda ch, text: reports.append(text),
        )
        [out] = asyncio.run(engine.run(case, imported.version, [(adapter, plan)]))
        record = store.get_filing(case.id, "flaky")
        return out, record, reports


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), ChannelUnreachable("无法连接渠道服务器")], ids=["raw", "ours"]
)
def test_unreachable_after_the_click_ends_the_same_way(kameng_home: Path, example_case: Path, error) -> None:
    """Lost after the final click on a channel that cannot look itself up: never sent again blind, the
    person is asked — whether the adapter raised httpx's error or translated it itself."""
    adapter = Flaky([error], after_mark=True)
    out, record, _ = _file(example_case, adapter)
    assert out.state == "needs_person", out
    assert "投诉可能已经送达" in (out.error or "") and "--again" in (out.hint or "")
    assert adapter.calls == 1
    assert record.state == "needs_person"


@pytest.mark.parametrize("error", [OSError("reset"), ChannelUnreachable("无法连接渠道")], ids=["raw", "ours"])
def test_unreachable_before_the_click_is_retried_and_said(
    kameng_home: Path, example_case: Path, error
) -> None:
    """Unreachable before anything was sent: retried with the same message either way."""
    adapter = Flaky([error], after_mark=False)
    out, record, reports = _file(example_case, adapter)
    assert out.state == "submitted" and out.receipt["complaint_no"] == "FL2", out
    assert any("秒后重试" in r and "无法连接渠道" in r for r in reports), reports
    assert record.state == "submitted"


def test_raw_rejection_is_rejected_with_the_channel_named(kameng_home: Path, example_case: Path) -> None:
    """A 4xx from the site ends ``rejected`` (stored), not a generic failure."""
    out, record, _ = _file(example_case, Flaky([_status_error(422)], after_mark=False))
    assert out.state == "rejected" and "HTTP 422" in (out.error or "")
    assert (record.state, out.retryable) == ("rejected", False)


def test_the_tracker_wraps_its_adapter_calls(kameng_home: Path, example_case: Path) -> None:
    """``ChannelSession.status`` gives the tracker a kameng error for a raw library error, without
    building a filing engine."""
    from kameng_filer.filing.channels import ChannelInstance
    from kameng_filer.tracker.channel_io import ChannelSession

    with Store.open() as store:
        imported = store.import_case(example_case)
        filing = store.create_filing(imported.case_id, "flaky")
        session = ChannelSession(store)
        assert not hasattr(session, "engine")
        session._instances["flaky"] = ChannelInstance("flaky", Flaky([], after_mark=False))
        with pytest.raises(ChannelUnreachable) as got:
            asyncio.run(session.status(filing))
        assert got.value.channel == "flaky"
        asyncio.run(session.aclose())


# ---- the e-mail adapter raises smtplib's errors; the boundary and the table end the channel ----


def _email_setup(email_twin) -> None:
    from kameng_filer.config import save_config

    save_config(
        {
            "channels": {
                "email": {
                    "smtp_host": email_twin.host,
                    "smtp_port": email_twin.port,
                    "to": "complaints@platform.example",
                    "timeout": 5,
                }
            }
        }
    )


def test_smtp_tempfail_to_data_is_retried_without_a_check(email_twin, example_case: Path) -> None:
    """451 to DATA: the adapter says nothing arrived (``not_delivered``), the boundary makes it
    ``ChannelUnreachable`` and the engine simply sends again — one mail, ``submitted``."""
    from tests.filing_support import file_now

    _email_setup(email_twin)
    email_twin.set_faults(tempfail=1)
    [out] = file_now(example_case, ["email"], NoPerson())
    assert out.state == "submitted", out
    assert len(email_twin.messages()) == 1


def test_smtp_rejection_to_data_is_rejected(email_twin, example_case: Path) -> None:
    """554 to DATA: ``rejected`` with the SMTP code named, nothing left ``submitting``."""
    from tests.filing_support import file_now

    _email_setup(email_twin)
    email_twin.set_faults(reject=5)
    [out] = file_now(example_case, ["email"], NoPerson())
    assert out.state == "rejected" and "SMTP 554" in (out.error or ""), out
    with Store.open() as store:
        record = store.get_filing("km-2026-0001", "email")
    assert record.state == "rejected" and record.submitting_at is None
    assert email_twin.messages() == []
