"""``kameng demo``: start the twins and file the bundled example case on every built-in channel.

DEMO ONLY: a scripted stand-in answers the captchas / SMS codes / app steps by reading the twins'
test-only endpoints, and the demo accounts' passwords are put in this process's environment. Real
filings always hand those steps to the person.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from kameng_filer import paths
from kameng_filer.config import save_config
from kameng_filer.errors import HumanActionRequired
from kameng_filer.filing.engine import FileOptions, Outcome
from kameng_filer.filing.person import ScriptedPerson
from kameng_filer.filing.run import Prepared, prepare_and_execute
from kameng_filer.home import Home, using
from kameng_filer.secrets import env_name
from kameng_filer.timeutil import now


@dataclass(frozen=True)
class DemoChannel:
    """One channel of the demo: its instance name, the twin it files on, and how to configure it."""

    channel: str
    twin: str
    settings: dict[str, Any] = field(default_factory=dict)
    account: str | None = None
    password: str | None = None


DEMO_CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel(
        "card_platform@demo-a", "card_a", {"profile": "card-a-twin", "account": "demo"}, "demo", "demo-pass"
    ),
    DemoChannel("card_platform@demo-b", "card_b", {"profile": "card-b-twin"}),
    DemoChannel(
        "card_platform@demo-c", "card_c", {"profile": "card-c-twin", "account": "demo"}, "demo", "demo-pass"
    ),
    DemoChannel("email", "email", {"to": "kefu@xingchen-km.example.com"}),
    DemoChannel("alipay", "", {}),
    DemoChannel("12315", "gov12315", {"account": "demo12315"}, "demo12315", "demo-pass"),
    DemoChannel("heimao", "heimao", {}),
)

SECOND_CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel("wechat_pay", "", {}),
    DemoChannel("consumer_association", "association", {}),
)
"""The second bundled dispute (paid by WeChat Pay) goes to WeChat Pay and the consumer association:
12315 and the association must never get the same dispute (办法 art. 16)."""

TWIN_OPTIONS = {"gov12315": {"notice_seconds": 3}}

ASSISTED_ANSWERS = {
    # DEMO ONLY: what the scripted person "reads back" from the app after submitting there.
    "alipay": ["2026112200012345678", ""],
    "wechat_pay": ["200201820261122080076610000", ""],
}


@contextlib.contextmanager
def example_case(which: str = "") -> Iterator[Path]:
    """A bundled example case.yaml (``""`` the canonical one, ``"second"`` the WeChat Pay dispute)."""
    with resources.as_file(resources.files("kameng_filer.examples")) as folder:
        yield (Path(folder) / which / "case.yaml") if which else Path(folder) / "case.yaml"


class DemoAnswerer:
    """DEMO ONLY: plays the person by reading the twins' test-only captcha / SMS endpoints."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls

    async def __call__(self, channel: str, prompt: str, image: Path | None) -> str:
        """The answer a person would read off the captcha image or the phone."""
        url = self.urls.get(channel)
        if url is None:
            if "完成了吗" in prompt:  # an assisted app step: the scripted person taps through it
                return "ok"
            raise HumanActionRequired(f"演示脚本不知道如何回答：{prompt}", channel=channel)
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            if image is not None:
                data = (await client.get("/_twin/captcha")).json()
                if data.get("latest"):
                    return str(data["latest"])
            elif "短信" in prompt:
                items = (await client.get("/_twin/outbox")).json()
                items = items.get("messages", items) if isinstance(items, dict) else items
                if items:
                    return str(items[-1]["code"])
            elif "二维码" in prompt:
                tokens = (await client.get("/_twin/qr")).json().get("tokens", [])
                waiting = [t["token"] for t in tokens if t["state"] == "waiting"]
                if waiting:
                    await client.post(f"/_twin/qr/{waiting[0]}/scan", json={})
                    return "ok"
        raise HumanActionRequired(f"演示脚本没有拿到答案：{prompt}", channel=channel)


def _twin_settings(dc: DemoChannel, twin: Any) -> dict[str, Any]:
    settings = dict(dc.settings)
    if not dc.twin:
        return settings
    if dc.twin == "email":
        settings.update({"smtp_host": twin.host, "smtp_port": twin.port})
    else:
        settings["base_url"] = twin.url
    return settings


def configure_demo(twins: Any) -> dict[str, str]:
    """Write the demo's config.yaml (every demo channel pointing at its twin) in the current workspace;
    returns the demo accounts' passwords by environment-variable name (for ``Home.secrets``)."""
    everything = DEMO_CHANNELS + SECOND_CHANNELS
    save_config(
        {
            "channels": {
                dc.channel: _twin_settings(dc, twins[dc.twin] if dc.twin else None) for dc in everything
            }
        }
    )
    return {env_name(dc.channel, dc.account): dc.password for dc in everything if dc.account and dc.password}


def demo_urls(twins: Any) -> dict[str, str]:
    """Each demo channel's twin URL (what the scripted person reads the captcha / SMS code from)."""
    return {
        dc.channel: twins[dc.twin].url
        for dc in DEMO_CHANNELS + SECOND_CHANNELS
        if dc.twin not in ("", "email")
    }


async def run_demo(
    *, console: Any, show_progress: bool, home: Path | None = None
) -> tuple[list[Outcome], dict[str, Any]]:
    """Start twins, configure the demo home, file the example case on every demo channel.

    The demo runs in its own ``Home`` (installed for this task only; the process environment is left as it
    is), with the demo accounts' passwords as that workspace's secrets."""
    from kameng_filer.twins.registry import astart_twins

    demo_home = home or (paths.data_dir() / "demo")
    if demo_home.exists():
        shutil.rmtree(demo_home)
    demo_home.mkdir(parents=True)
    everything = DEMO_CHANNELS + SECOND_CHANNELS
    twins = await astart_twins(
        sorted({dc.twin for dc in everything if dc.twin}), data_dir=demo_home / "twins", options=TWIN_OPTIONS
    )
    try:
        with using(Home.at(demo_home)):
            secrets = configure_demo(twins)
        with using(Home.at(demo_home, secrets=secrets)):
            return await _file_examples(twins, demo_home, console=console, show_progress=show_progress)
    finally:
        await twins.astop() if hasattr(twins, "astop") else twins.stop()


async def _file_examples(
    twins: Any, demo_home: Path, *, console: Any, show_progress: bool
) -> tuple[list[Outcome], dict[str, Any]]:
    """File both example disputes on their demo channels (inside the demo's workspace)."""
    from kameng_filer.store import Store

    urls = demo_urls(twins)
    person = ScriptedPerson(
        DemoAnswerer(urls), texts=ASSISTED_ANSWERS, console=console, quiet=not show_progress
    )
    store = Store.open()
    outcomes: list[Outcome] = []
    for which, channels in (("", DEMO_CHANNELS), ("second", SECOND_CHANNELS)):
        with example_case(which) as case_path:

            def announce(prepared: Prepared, channels: tuple[DemoChannel, ...] = channels) -> None:
                if show_progress and console is not None:
                    names = "、".join(dc.channel for dc in channels)
                    console.print(f"案件 {prepared.case.id}「{prepared.case.title}」→ {names}")

            _, done = await prepare_and_execute(
                store,
                str(case_path),
                [dc.channel for dc in channels],
                person,
                FileOptions(retries=1),
                now=now(),
                console=console,
                show_progress=show_progress,
                on_prepared=announce,
            )
            outcomes += done
    info = {"home": str(demo_home), "twins": twins.urls() if hasattr(twins, "urls") else {}}
    return outcomes, info
