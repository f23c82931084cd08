"""The widget registry: how to put one planned value into one kind of form control.

``WIDGETS`` maps every widget name a site profile may use (``kameng_filer.filing.profile.Widget``) to an
async function ``(runner, Fill) -> None``; ``tests/test_form_engine.py`` checks that the two name the same
widgets. A new widget is a new function here plus its name in ``Widget`` (and in ``docs/adapters.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kameng_filer.errors import FormChanged
from kameng_filer.filing.form.locating import field_timeout_ms
from kameng_filer.filing.form.state import BROWSER_ERRORS, Frame
from kameng_filer.filing.profile import Binding, Locator

if TYPE_CHECKING:
    from kameng_filer.filing.formfill import FormRunner


@dataclass
class Fill:
    """One field being filled: its binding key, binding, located element, planned value and frame."""

    key: str
    binding: Binding
    el: Any
    value: Any
    frame: Frame

    @property
    def label(self) -> str:
        """The field's name in messages."""
        return self.binding.label or self.key

    @property
    def text(self) -> str:
        """The value as the site shows it (mapped through ``options``); empty for a list of values."""
        b, value = self.binding, self.value
        return b.options.get(str(value), str(value)) if not isinstance(value, list) else ""


Widget = Callable[["FormRunner", Fill], Awaitable[None]]


async def fill_text(runner: FormRunner, f: Fill) -> None:
    """input / textarea: fill at once."""
    await f.el.fill(f.text)


async def fill_date(runner: FormRunner, f: Fill) -> None:
    """``<input type=date>``: YYYY-MM-DD."""
    await f.el.fill(str(f.value)[:10])


async def fill_typed(runner: FormRunner, f: Fill) -> None:
    """Typed as key events (paste-blocking fields, live counters)."""
    await f.el.click()
    if f.binding.clear:
        await f.el.fill("")
    # key by key takes time in proportion to the text (the page's scripts run on every key): a long
    # text on a busy machine must not hit the single-action timeout meant for a click
    per_key_ms = (f.binding.type_delay_ms or 0) + TYPED_KEY_MS
    timeout = max(field_timeout_ms(), 20_000, len(f.text) * per_key_ms)
    await f.el.press_sequentially(f.text, delay=f.binding.type_delay_ms, timeout=timeout)


TYPED_KEY_MS = 60
"""Time allowed per typed key on top of the profile's delay (a 700-character text: 42 s at most)."""


async def fill_editor(runner: FormRunner, f: Fill) -> None:
    """Click into a rich-text / Markdown editor and type like a person (contenteditable, CodeMirror…)."""
    b, text = f.binding, f.text
    await f.el.click()
    kb = runner.page.keyboard
    if b.clear:
        await kb.press("ControlOrMeta+A")
        await kb.press("Delete")
    if b.keys:
        await kb.type(text, delay=b.type_delay_ms)
        return
    if b.newlines == "insert":
        await kb.insert_text(text)
        return
    for i, line in enumerate(text.split("\n")):
        if i:
            await kb.press("Enter")
        if line:
            await kb.insert_text(line)


async def fill_select(runner: FormRunner, f: Fill) -> None:
    """Native ``<select>``: the option showing the text; none such fills the ``fallback`` field instead."""
    b = f.binding
    option = await _option(runner, f.el, f.text, b)
    if option is None:
        if b.fallback:
            await runner.fill(b.fallback, runner.profile.fields[b.fallback], frame=f.frame)
            runner._field_strategy = f"{runner._field_strategy} → 改填 {b.fallback}"
            return
        raise FormChanged(
            f"网页表单已变化：「{f.label}」没有选项「{f.text}」",
            field=f.key,
            selector=b.describe(),
            channel=runner.ctx.channel,
        )
    await f.el.select_option(value=option)


async def fill_checkbox(runner: FormRunner, f: Fill) -> None:
    """Checked when the value is truthy."""
    el, value = f.el, f.value
    want = bool(value) and str(value).lower() not in ("false", "0", "no", "否")
    try:
        await (el.check() if want else el.uncheck())
    except BROWSER_ERRORS:  # a styled checkbox Playwright cannot set (its input is hidden): click it instead
        if (await el.is_checked()) != want:
            await el.click()


async def fill_radio(runner: FormRunner, f: Fill) -> None:
    """Radio group: the radio labelled with the value."""
    await _click_options(runner, f, radio=True)


async def fill_buttons(runner: FormRunner, f: Fill) -> None:
    """Button group / tags: the button(s) showing the value(s)."""
    await _click_options(runner, f, radio=False)


async def fill_dropdown(runner: FormRunner, f: Fill) -> None:
    """Custom dropdown (Select2-like): open, type in its search box if any, click the option."""
    b = f.binding
    await f.el.click()
    if b.search:
        box = await runner.find(b.search, field=f"{f.label} 搜索框", frame=b.frame or f.frame)
        with contextlib.suppress(*BROWSER_ERRORS):  # a search box that cannot be cleared is typed into as is
            await box.fill("")
        await box.press_sequentially(f.text, delay=b.type_delay_ms)
    await (await _pick(runner, b.option, f.text, b, f.frame, what="选项")).click()


async def fill_typeahead(runner: FormRunner, f: Fill) -> None:
    """Type, then click the suggestion."""
    b = f.binding
    await f.el.click()
    await f.el.fill("")
    await f.el.press_sequentially(f.text, delay=b.type_delay_ms or 30)
    await (await _pick(runner, b.suggestion, f.text, b, f.frame, what="候选")).click()


async def fill_upload(runner: FormRunner, f: Fill) -> None:
    """Files: ``<input type=file>`` or a button that opens a file chooser (``Uploads._upload``)."""
    await runner._upload(f.el, f.binding, f.frame)


WIDGETS: dict[str, Widget] = {
    "text": fill_text,
    "type": fill_typed,
    "select": fill_select,
    "radio": fill_radio,
    "checkbox": fill_checkbox,
    "buttons": fill_buttons,
    "dropdown": fill_dropdown,
    "typeahead": fill_typeahead,
    "editor": fill_editor,
    "upload": fill_upload,
    "date": fill_date,
}
"""Widget name (as in the profile) → how it is filled."""


async def _click_options(runner: FormRunner, f: Fill, *, radio: bool) -> None:
    b = f.binding
    for item in f.value if isinstance(f.value, list) else [f.value]:
        await _click_option(runner, f.el, b.options.get(str(item), str(item)), radio=radio, field=f.label)


async def _pick(
    runner: FormRunner, loc: Locator | None, text: str, b: Binding, frame: Frame, *, what: str
) -> Any:
    """The option / suggestion showing ``text`` in an opened list."""
    exact = b.match == "exact"
    field = f"{b.label or b.name or '字段'} {what} {text}"
    if loc is None:
        loc = Locator(role="option", name=text, text=text, exact=exact)
    elif loc.css and not (loc.label or loc.role or loc.text or loc.placeholder):
        root = runner._root(loc.frame or b.frame or frame)
        deadline = time.monotonic() + runner._field_timeout() / 1000
        while True:
            items = root.locator(loc.css)
            cand = (
                items.filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
                if exact
                else items.filter(has_text=text)
            )
            target = await runner._first(cand, loc, True)
            if target is not None:
                return target
            if time.monotonic() >= deadline:
                raise FormChanged(
                    f"网页表单已变化：找不到「{field}」（{loc.describe()}）",
                    field=field,
                    selector=loc.describe(),
                    channel=runner.ctx.channel,
                )
            await asyncio.sleep(0.1)
    else:
        update: dict[str, Any] = {"exact": exact}
        if loc.role:
            update["name"] = text
        if not loc.text and not loc.role:
            update["text"] = text
        loc = loc.model_copy(update=update)
    return await runner.find(loc, field=field, frame=loc.frame or b.frame or frame)


async def _option(runner: FormRunner, select: Any, text: str, b: Binding) -> str | None:
    """The ``value`` of the <option> showing ``text`` (waiting for JS-filled options), or None."""
    deadline = time.monotonic() + (runner._field_timeout() if b.wait_option else 0) / 1000
    while True:
        # every option's text and value in one round trip (not two per option; ``evaluate`` on a
        # locator would be three: resolve the element, evaluate, release it)
        for label, value in await select.evaluate_all(_OPTIONS_JS):
            label = label.strip()
            if label == text or (b.match == "contains" and text in label):
                return value or label
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.05)


_OPTIONS_JS = """(els) => els.length ? [...els[0].querySelectorAll('option')].map(
  (o) => [o.innerText || o.textContent || '', o.getAttribute('value')]) : []"""
"""A native <select>'s options as (text, value attribute) pairs (the first matched select)."""


async def _click_option(runner: FormRunner, container: Any, label: str, *, radio: bool, field: str) -> None:
    """Click the radio / button / tag showing ``label`` (exact first, then containing), waiting for it."""
    tries = [container.get_by_label(label, exact=True)] if radio else []
    tries += [
        container.get_by_role("button", name=label, exact=True),
        container.get_by_text(label, exact=True),
    ]
    if radio:
        tries.append(runner.page.get_by_label(label, exact=True))
    else:
        tries += [container.get_by_role("button", name=label), container.get_by_text(label)]
    deadline = time.monotonic() + field_timeout_ms() / 1000
    while True:
        for cand in tries:
            if await cand.count() > 0:
                target = cand.first
                if radio:
                    try:
                        await target.check()
                    except BROWSER_ERRORS:  # a styled radio whose input is hidden: click its label instead
                        await target.click()
                elif await target.get_attribute("aria-pressed") != "true":
                    await target.click()
                return
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.05)
    raise FormChanged(
        f"网页表单已变化：「{field}」没有选项「{label}」",
        field=field,
        selector=label,
        channel=runner.ctx.channel,
    )
