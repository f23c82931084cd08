"""Test helpers for the toolkit and plugin authors: run twins, play the human through their test endpoints.

Importing this module has no pytest side effects; ``twin_fixture`` imports pytest only when called.
Everything here uses the twins' test/operator endpoints (``/_twin/…``) — never what an adapter may use.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx

from kameng_filer.twins.registry import Twin, create_twin

__all__ = [
    "advance_clock",
    "atwin",
    "captcha_answer",
    "card_a_login",
    "card_b_verify",
    "csrf_from",
    "example_case",
    "file_case",
    "latest_sms_code",
    "operator",
    "read_outbox",
    "reset_twin",
    "set_faults",
    "twin",
    "twin_fixture",
    "twin_state",
]

TIMEOUT = 10.0


@contextmanager
def twin(name: str, data_dir: Path | str | None = None, *, port: int = 0, **options: Any) -> Iterator[Twin]:
    """Run twin ``name`` for the duration of the block (a temporary data folder when none is given)."""
    with tempfile.TemporaryDirectory(prefix=f"twin-{name}-") as tmp:
        t = create_twin(name, Path(data_dir) if data_dir is not None else Path(tmp), **options)
        t.start(port)
        try:
            yield t
        finally:
            t.stop()


@asynccontextmanager
async def atwin(
    name: str, data_dir: Path | str | None = None, *, port: int = 0, **options: Any
) -> AsyncIterator[Twin]:
    """``twin`` for async code (the twin runs in its own thread and loop)."""
    import asyncio

    with tempfile.TemporaryDirectory(prefix=f"twin-{name}-") as tmp:
        t = create_twin(name, Path(data_dir) if data_dir is not None else Path(tmp), **options)
        await asyncio.to_thread(t.start, port)
        try:
            yield t
        finally:
            await asyncio.to_thread(t.stop)


def twin_fixture(name: str, *, scope: str = "function", **options: Any) -> Callable[..., Any]:
    """A pytest fixture running twin ``name`` with its own data folder, e.g.
    ``card_a = twin_fixture("card_a")`` in a conftest."""
    import pytest

    @pytest.fixture(scope=scope)  # type: ignore[call-overload]
    def _fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
        with twin(name, tmp_path_factory.mktemp(f"twin-{name}"), **options) as t:
            yield t

    return _fixture


def _get(url: str, path: str, **params: Any) -> Any:
    r = httpx.get(
        url.rstrip("/") + path, params={k: v for k, v in params.items() if v is not None}, timeout=TIMEOUT
    )
    r.raise_for_status()
    return r.json()


def _post(url: str, path: str, body: dict[str, Any]) -> Any:
    r = httpx.post(url.rstrip("/") + path, json=body, timeout=TIMEOUT)
    if r.status_code >= 400:
        raise RuntimeError(f"{path}: HTTP {r.status_code} {r.text}")
    return r.json()


def read_outbox(twin_url: str, phone: str | None = None) -> list[dict[str, Any]]:
    """SMS messages the twin "sent" ({channel, phone, code, text, at}), oldest first."""
    return _get(twin_url, "/_twin/outbox", phone=phone)["messages"]


def latest_sms_code(twin_url: str, phone: str | None = None) -> str | None:
    """The last SMS code sent (to ``phone``)."""
    msgs = read_outbox(twin_url, phone)
    return msgs[-1]["code"] if msgs else None


def captcha_answer(
    twin_url: str, session_cookie: str | None = None, *, captcha_id: str | None = None
) -> str | None:
    """The answer of the latest unused captcha for a session cookie value or an API captcha id."""
    return _get(twin_url, "/_twin/captcha", session=session_cookie, id=captcha_id)["latest"]


def set_faults(twin_url: str, **switches: Any) -> dict[str, Any]:
    """Turn fault switches on/off (``http_500=2``, ``delay=1.5``, ``labels="changed"``…)."""
    return _post(twin_url, "/_twin/faults", switches)["faults"]


def operator(twin_url: str, number: str, action: str, text: str = "") -> dict[str, Any]:
    """Act as the platform/merchant: ``reply``, ``resolve``, ``reject``, ``close``, ``intervene``."""
    return _post(twin_url, f"/_twin/operator/{number}", {"action": action, "text": text})


def twin_state(twin_url: str) -> dict[str, Any]:
    """Everything the twin received, its records, faults and time."""
    return _get(twin_url, "/_twin/state")


def reset_twin(twin_url: str) -> None:
    """Forget everything and re-seed."""
    _post(twin_url, "/_twin/reset", {})


def advance_clock(twin_url: str, seconds: float) -> str:
    """Move the twin's time forward; returns its new "now"."""
    return _post(twin_url, "/_twin/clock", {"advance": seconds})["now"]


_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = _CSRF_RE.search(html)
    if not m:
        raise AssertionError("page has no csrf_token field")
    return m.group(1)


def card_a_login(
    client: httpx.Client, *, username: str = "demo", password: str = "demo-pass", next_path: str = "/tickets"
) -> httpx.Response:
    """Log in to the family-A twin like a person would (reading the captcha via the test endpoint)."""
    page = client.get("/login", params={"next": next_path})
    client.get("/captcha.png")
    answer = captcha_answer(str(client.base_url), client.cookies.get("card_a_session"))
    return client.post(
        "/login",
        data={
            "csrf_token": csrf_from(page.text),
            "next": next_path,
            "username": username,
            "password": password,
            "captcha": answer or "",
        },
    )


def card_b_verify(
    client: httpx.Client,
    *,
    order_no: str = "KM20261102150012",
    phone: str = "13800138000",
    purpose: str = "complaint",
) -> httpx.Response:
    """Pass the family-B order + phone + SMS check (``purpose`` ``complaint`` or ``query``)."""
    base = "/complaint" if purpose == "complaint" else "/query"
    page = client.get(base)
    token = csrf_from(page.text)
    sent = client.post(f"{base}/send-code", data={"csrf_token": token, "order_no": order_no, "phone": phone})
    if sent.status_code != 200:
        return sent
    code = latest_sms_code(str(client.base_url), phone) or ""
    return client.post(
        f"{base}/verify",
        data={"csrf_token": token, "order_no": order_no, "phone": phone, "sms_code": code},
    )


@contextmanager
def example_case() -> Iterator[Path]:
    """The bundled example case (``case.yaml`` with its evidence folder), e.g. for a plugin's tests."""
    from kameng_filer.demo import example_case as _example

    with _example() as path:
        yield path


def file_case(
    case_path: Path | str,
    channels: list[str],
    *,
    config: dict[str, Any] | None = None,
    person: Any = None,
    now: Any = None,
    dry_run: bool = False,
    again: bool = False,
) -> list[Any]:
    """File a case in-process exactly as ``kameng file … --yes`` does; returns one ``Outcome`` per channel.

    ``config`` (the ``config.yaml`` mapping, e.g. ``{"channels": {"x": {"base_url": twin.url}}}``) is
    written to ``$KAMENG_HOME`` first; ``person`` answers captchas (default: nobody, so human steps end
    ``needs_person``). Use it from sync tests (it runs its own event loop).
    """
    import asyncio

    from kameng_filer.config import save_config
    from kameng_filer.filing.engine import FileOptions
    from kameng_filer.filing.person import NoPerson
    from kameng_filer.filing.run import execute, prepare
    from kameng_filer.store import Store
    from kameng_filer.timeutil import now as _now

    if config is not None:
        save_config(config)
    store = Store.open()
    prepared = prepare(store, str(case_path), list(channels), now=now or _now())
    options = FileOptions(dry_run=dry_run, again=again, backoff_s=0.05)
    return asyncio.run(
        execute(store, prepared, person or NoPerson(), options, console=None, show_progress=False)
    )
