"""Finding elements like a person would: label → role → placeholder → text → CSS, the first *visible*
match wins, inside (nested) iframes too; and, for a probe report, what each strategy found (``diagnose``)
and which labels on the page look like the one that was not found (``suggest``)."""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import os
import time
from typing import Any
from urllib.parse import urljoin

from kameng_filer.errors import FormChanged
from kameng_filer.filing.form.state import BROWSER_ERRORS, Frame, RunnerState
from kameng_filer.filing.profile import Locator, fmt

_LABELS_JS = """
(root) => {
  const out = new Set();
  const add = (t) => { t = (t || '').replace(/\\s+/g, ' ').trim(); if (t && t.length <= 40) out.add(t); };
  root.querySelectorAll('label, legend, [aria-label], [placeholder], button, [role=button], [role=combobox], '
    + '[role=textbox], [role=group], [role=radiogroup], [role=tab], input[type=submit], input[type=button]').forEach((e) => {
    if (e.hasAttribute('aria-label')) add(e.getAttribute('aria-label'));
    if (e.hasAttribute('placeholder')) add(e.getAttribute('placeholder'));
    if (e.matches('input[type=submit], input[type=button]')) add(e.value);
    else if (e.matches('label, legend, button, [role=button], [role=tab]')) add(e.innerText);
  });
  return [...out];
}
"""


def field_timeout_ms() -> int:
    """How long to look for one field before declaring the form changed."""
    return int(os.environ.get("KAMENG_FIELD_TIMEOUT_MS", "6000"))


class Locating(RunnerState):
    """Finds the elements a profile's locators describe."""

    def url(self, template: str) -> str:
        """Absolute URL for a profile path/template."""
        return urljoin(self.base_url, fmt(template, self.values).lstrip("/"))

    def _root(self, frame: Frame) -> Any:
        root = self.page
        for sel in [frame] if isinstance(frame, str) else frame or []:
            root = root.frame_locator(sel)
        return root

    def _candidates(self, loc: Locator, frame: Frame = None) -> list[tuple[str, Any]]:
        root = self._root(loc.frame or frame)
        out: list[tuple[str, Any]] = []
        if loc.label:
            out.append((f"label={loc.label}", root.get_by_label(loc.label, exact=loc.exact)))
        if loc.role:
            kw = {"name": loc.name, "exact": loc.exact} if loc.name else {}
            out.append(
                (f"role={loc.role}" + (f"[{loc.name}]" if loc.name else ""), root.get_by_role(loc.role, **kw))
            )
        if loc.placeholder:
            out.append(
                (f"placeholder={loc.placeholder}", root.get_by_placeholder(loc.placeholder, exact=loc.exact))
            )
        if loc.text:
            out.append((f"text={loc.text}", root.get_by_text(loc.text, exact=loc.exact)))
        if loc.css:
            out.append((f"css={loc.css}", root.locator(loc.css)))
        return out

    async def _first(self, cand: Any, loc: Locator, visible: bool) -> Any | None:
        if loc.nth is None:  # one round trip: the first (visible) match, resolved again when acted on
            shown = cand.filter(visible=True) if visible else cand
            return shown.first if await shown.count() else None
        n = await cand.count()
        if n == 0:
            return None
        if loc.nth is not None:
            if loc.nth >= n:
                return None
            target = cand.nth(loc.nth)
            return target if not visible or await target.is_visible() else None
        for i in range(min(n, 20)):
            target = cand.nth(i)
            if not visible or await target.is_visible():
                return target
        return None

    async def find(
        self,
        loc: Locator,
        *,
        field: str,
        timeout_ms: int | None = None,
        visible: bool = True,
        frame: Frame = None,
    ) -> Any:
        """The element for ``loc`` (first strategy with a visible match); ``FormChanged`` naming field + selector."""
        found = getattr(self, "_prefetched", None)
        if found and (hit := found.pop(id(loc), None)) is not None:
            self.last_strategy, target = hit
            return target
        deadline = time.monotonic() + (timeout_ms if timeout_ms is not None else self._field_timeout()) / 1000
        candidates = self._candidates(loc, frame)
        while True:
            for name, cand in candidates:
                try:
                    target = await self._first(cand, loc, visible)
                except BROWSER_ERRORS as exc:  # a detached frame while navigating: try again
                    if "closed" in str(exc):
                        raise
                    target = None
                if target is not None:
                    self.last_strategy = name
                    return target
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        raise FormChanged(
            f"网页表单已变化：找不到「{field}」（{loc.describe()}）",
            field=field,
            selector=loc.describe(),
            channel=self.ctx.channel,
            hint="站点改版了？更新站点配置文件（kameng adapter try 可逐项检查）",
        )

    async def prefetch(self, fields: list[tuple[Locator, bool]], frame: Frame = None) -> None:
        """Look for several fields at once (one round trip's wait instead of one per field): each one
        whose first strategy matches a visible element now is handed to the next ``find`` for it; the
        others are looked for as usual. ``fields``: (locator, must be visible)."""

        async def first(loc: Locator, visible: bool) -> tuple[int, tuple[str, Any] | None]:
            name, cand = self._candidates(loc, frame)[0]
            with contextlib.suppress(*BROWSER_ERRORS):
                target = await self._first(cand, loc, visible)
                return id(loc), (name, target) if target is not None else None
            return id(loc), None

        found = await asyncio.gather(
            *(first(loc, visible) for loc, visible in fields if self._candidates(loc, frame))
        )
        self._prefetched = {key: hit for key, hit in found if hit is not None}

    async def diagnose(self, loc: Locator, frame: Frame = None) -> list[str]:
        """Per strategy, how many elements matched and how many were visible (for a probe report)."""
        out = []
        for name, cand in self._candidates(loc, frame):
            try:
                n = await cand.count()
                shown = 0
                for i in range(min(n, 20)):
                    if await cand.nth(i).is_visible():
                        shown += 1
                out.append(f"{name}：找到 {n} 个，可见 {shown} 个")
            except BROWSER_ERRORS as exc:
                out.append(f"{name}：出错 {str(exc).splitlines()[0][:80]}")
        return out

    async def page_labels(self, frame: Frame = None) -> list[str]:
        """Visible label-like texts on the page (labels, aria-labels, placeholders, buttons)."""
        with contextlib.suppress(*BROWSER_ERRORS):
            return list(await self._root(frame).locator("body").first.evaluate(_LABELS_JS))
        return []

    async def suggest(self, loc: Locator, frame: Frame = None) -> list[str]:
        """Labels on the page that look like the one ``loc`` looks for."""
        wanted = loc.label or loc.name or loc.placeholder or loc.text
        if not wanted:
            return []
        labels = await self.page_labels(loc.frame or frame)
        return difflib.get_close_matches(wanted, labels, n=3, cutoff=0.3)

    async def _count(self, loc: Locator, frame: Frame) -> int:
        total = 0
        for _, cand in self._candidates(loc, frame):
            with contextlib.suppress(*BROWSER_ERRORS):
                total = max(total, await cand.count())
        return total

    async def _shown_now(self, loc: Locator, frame: Frame) -> bool:
        """Whether ``loc`` (its texts formatted with the plan's values) matches a visible element now."""
        keys = ("label", "name", "placeholder", "text", "css")
        update = {k: fmt(v, self.values) for k in keys if isinstance(v := getattr(loc, k), str)}
        loc = loc.model_copy(update=update)
        for _, cand in self._candidates(loc, frame):
            with contextlib.suppress(*BROWSER_ERRORS):
                if await self._first(cand, loc, True) is not None:
                    return True
        return False

    def _field_timeout(self) -> int:
        return self.timeout_ms if self.timeout_ms is not None else field_timeout_ms()
