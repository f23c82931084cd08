"""Shared helpers of the workspace filing tests: a data folder with the example case and twins configured,
and a stand-in for the person answering the page's questions."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kameng_filer.config import save_config
from kameng_filer.demo import DemoAnswerer
from kameng_filer.store import Store
from kameng_filer.twins.registry import TwinSet, start_twins

ROOT = Path(__file__).resolve().parent.parent
CASE = "km-2026-0001"
TWIN_CHANNELS = {
    "card_platform@a": ("card_a", {"profile": "card-a-twin", "account": "demo"}),
    "card_platform@b": ("card_b", {"profile": "card-b-twin"}),
    "heimao": ("heimao", {}),
}

TWIN_OPTIONS = {"card_b": {"sms_cooldown": timedelta(seconds=3)}}
"""Card B's SMS cooldown shortened from 60 s: the dry run and the filing right after it each get a code
(the engine still waits the cooldown out, a few seconds instead of most of a minute)."""


@contextmanager
def filing_home(home: Path) -> Iterator[TwinSet]:
    """``home`` with the example case stored and config.yaml pointing at running twins (stopped after)."""
    twins = start_twins(
        sorted({t for t, _ in TWIN_CHANNELS.values()}),
        data_dir=home.parent / f"{home.name}-twins",
        options=TWIN_OPTIONS,
    )
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("KAMENG_HOME", str(home))
            channels: dict[str, Any] = {}
            for name, (twin, settings) in TWIN_CHANNELS.items():
                channels[name] = {**settings, "base_url": twins[twin].url}
            save_config({"channels": channels})
            folder = home.parent / f"{home.name}-case"
            shutil.copytree(ROOT / "examples", folder)
            store = Store.open()
            try:
                store.import_case(folder / "case.yaml")
            finally:
                store.close()
        yield twins
    finally:
        twins.stop()


def in_thread(fn: Any, *args: Any) -> Any:
    """Run ``fn`` on its own thread (Playwright's sync API keeps an event loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def _off_loop(coro: Any) -> Any:
    """Run a coroutine on its own thread (Playwright's sync API keeps a loop running in this one)."""
    return in_thread(asyncio.run, coro)


def answer_in_page(
    page: Any,
    twins: TwinSet | None,
    *,
    timeout_s: float = 180,
    stop_at_ask: bool = False,
    person: DemoAnswerer | None = None,
) -> list[str]:
    """Play the person: answer every question the run page asks (reading the twins' test outbox, as the
    demo does) until the run is finished; returns the prompts answered. With ``stop_at_ask`` return as
    soon as a question is showing, without answering it. ``person`` replaces the answerer built from
    ``twins`` (e.g. the demo workspace's own)."""
    if person is None:
        assert twins is not None
        person = DemoAnswerer({name: twins[twin].url for name, (twin, _) in TWIN_CHANNELS.items()})
    answered: list[str] = []
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"the run did not finish; answered {answered}"
        # wait (no fixed sleep) until the run finished or a question not yet answered is showing
        page.wait_for_function(_NEW_QUESTION_OR_DONE, arg=sorted(seen), timeout=left * 1000)
        if page.get_attribute("#run", "data-finished") == "1":
            break
        for form in page.query_selector_all("form.ask"):
            qid = form.get_attribute("data-question") or ""
            if qid in seen:
                continue
            if stop_at_ask:
                return answered
            seen.add(qid)
            channel = form.evaluate("f => f.closest('.run-channel').dataset.channel")
            prompt = form.query_selector(".prompt").inner_text()
            image = Path("captcha.png") if form.query_selector("img.captcha") else None
            value = _off_loop(person(channel, prompt, image))
            if form.query_selector("input.answer"):
                form.query_selector("input.answer").fill(value)
            form.query_selector("button[type=submit]").click()
            answered.append(prompt)
    return answered


_NEW_QUESTION_OR_DONE = """seen => document.querySelector('#run').dataset.finished === '1'
    || [...document.querySelectorAll('form.ask')].some(f => !seen.includes(f.dataset.question))"""
