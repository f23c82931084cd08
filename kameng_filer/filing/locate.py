"""Say what a page holds for a locator when an action on it got stuck: none, hidden, disabled, several.

Playwright's own words ("Locator.click: Timeout 20000ms exceeded") name neither the field nor the
reason; a hidden upload button then looks like a slow site. These helpers turn such a timeout into a
``FormChanged`` naming the field, its locator and what was found, per way of finding it.
"""

from __future__ import annotations

from typing import Any

from kameng_filer.errors import FormChanged
from kameng_filer.filing.profile import Locator


def is_stuck_action(exc: BaseException) -> bool:
    """A Playwright timeout of an element action or event wait (not a page load, not asyncio)."""
    return type(exc).__name__ == "TimeoutError" and type(exc).__module__.startswith("playwright")


async def found_on_page(runner: Any, loc: Locator, frame: Any = None) -> list[str]:
    """Per strategy: how many elements match and are visible, and whether all are hidden, all disabled,
    or several (then ``nth`` picks one)."""
    out = []
    for name, cand in runner._candidates(loc, frame):
        try:
            n = await cand.count()
            shown = enabled = 0
            for i in range(min(n, 20)):
                el = cand.nth(i)
                if await el.is_visible():
                    shown += 1
                    enabled += 1 if await el.is_enabled() else 0
        except Exception as exc:  # a detached frame while the page navigates
            out.append(f"{name}：无法检查（{str(exc).splitlines()[0][:80]}）")
            continue
        counted = f"{name}：找到 {n} 个，可见 {shown} 个"
        if n and shown == 0:
            counted += "，都是隐藏的"
        elif shown and enabled == 0:
            counted += "，都不可用（disabled）"
        elif shown > 1 and loc.nth is None:
            counted += "，匹配到多个（用 nth: 指定第几个）"
        out.append(counted)
    return out


async def stuck_error(
    runner: Any, key: str, loc: Locator, exc: BaseException | None, frame: Any = None
) -> FormChanged:
    """The ``FormChanged`` for an action on field ``key`` that Playwright waited on in vain (or, with
    ``exc`` None, that cannot be done: the element is disabled)."""
    label = getattr(loc, "label", None) or getattr(loc, "name", None) or key
    found = await found_on_page(runner, loc, getattr(loc, "frame", None) or frame)
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0] if exc is not None else ""
    return FormChanged(
        f"网页表单已变化：「{label}」（{loc.describe()}）无法操作 —— {';'.join(found) or '没有可用的定位方式'}",
        field=key,
        selector=loc.describe(),
        channel=runner.ctx.channel,
        detail=f"浏览器报告：{first}" if first else None,
        hint="核对站点配置中这个字段的定位;kameng adapter try 会逐项报告每个字段找到了什么",
    )
