"""Real-Chromium helpers of the workspace tests: a browser, a page that records console errors, screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium() -> Iterator[Any]:
    """The real Chromium (Playwright), closed afterwards."""
    from playwright.sync_api import sync_playwright

    from kameng_filer.browser import launch_options

    with sync_playwright() as pw:
        b = pw.chromium.launch(**launch_options())
        try:
            yield b
        finally:
            b.close()


@contextmanager
def workspace_page(browser: Any, entry_url: str) -> Iterator[Any]:
    """A fresh page logged in with the token URL; fails afterwards on any console error or CSP violation."""
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.set_default_timeout(30000)
    pg.goto(entry_url)
    try:
        yield pg
    finally:
        context.close()
    assert problems == []


def shoot(page: Any, screens: Path, name: str) -> None:
    """Full-page screenshots at desktop and phone width; the phone layout must not scroll sideways."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = screens / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5000
        if label == "phone":
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: {overflow}px wider than the phone screen"
    page.set_viewport_size(DESKTOP)
