"""``kameng adapter record URL``: open a page and draft a site profile from its labelled fields and buttons.

A draft, not a finished profile: it sees one page (one wizard step) as it is when opened, guesses
which channel field each input takes from its label, and leaves the receipt pattern to the author.
Check the draft with ``kameng adapter check`` and iterate with ``kameng adapter try``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from kameng_filer.filing.boundary import adapter_call
from kameng_filer.filing.browser_pool import BrowserPool
from kameng_filer.filing.record_guess import WORDLESS, describe_input, guess, guess_field, is_captcha

_SCAN_JS = """
(root) => {
  const clean = (t) => (t || '').replace(/\\s+/g, ' ').trim();
  const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  const byIds = (ids) => clean((ids || '').split(/\\s+/).map((id) => {
    const el = root.getElementById ? root.getElementById(id) : document.getElementById(id);
    return el ? el.innerText : '';
  }).join(' '));
  const labelOf = (e) => {
    if (e.getAttribute('aria-labelledby')) return byIds(e.getAttribute('aria-labelledby'));
    if (e.labels && e.labels.length) return clean(e.labels[0].innerText);
    if (e.getAttribute('aria-label')) return clean(e.getAttribute('aria-label'));
    const wrap = e.closest('label');
    return wrap ? clean(wrap.innerText) : '';
  };
  const tied = (e) => !!((e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby'));
  const textLike = (e) => e.tagName === 'INPUT' && ['', 'text', 'email', 'tel', 'number'].includes((e.getAttribute('type') || '').toLowerCase());
  const near = (e) => {
    // a label in the input's own row that is tied to nothing (for= naming no id), else the row's text
    let p = e.parentElement;
    for (let depth = 0; p && depth < 3; depth++, p = p.parentElement) {
      if (p.querySelectorAll('input:not([type=hidden]), select, textarea').length > 1) break;
      const lab = [...p.querySelectorAll('label')].find((l) => !l.control && !l.contains(e));
      if (lab && clean(lab.innerText)) return {text: clean(lab.innerText), labelFor: lab.htmlFor || ''};
      const txt = clean(p.innerText);
      if (txt && txt.length <= 30) return {text: txt, labelFor: ''};
    }
    const prev = e.previousElementSibling;
    const txt = prev ? clean(prev.innerText) : '';
    return {text: txt.length <= 30 ? txt : '', labelFor: ''};
  };
  const beforePassword = new Set();
  const all = [...root.querySelectorAll('input')].filter((e) => visible(e));
  all.forEach((e, i) => {
    if ((e.getAttribute('type') || '').toLowerCase() !== 'password') return;
    for (let j = i - 1; j >= 0; j--) {
      if ((all[j].getAttribute('type') || '').toLowerCase() === 'password') break;
      if (textLike(all[j]) && all[j].form === e.form) { beforePassword.add(all[j]); break; }
    }
  });
  const out = {fields: [], buttons: [], frames: []};
  const radios = {};
  root.querySelectorAll('input, select, textarea, [contenteditable=true], [role=combobox], [role=textbox], [role=group], [role=radiogroup]').forEach((e) => {
    const tag = e.tagName.toLowerCase();
    const type = (e.getAttribute('type') || '').toLowerCase();
    if (tag === 'input' && ['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) return;
    if (tag === 'input' && type !== 'file' && !visible(e)) return;
    if (tag !== 'input' && !visible(e)) return;
    if (tag === 'input' && type === 'radio') {
      const group = e.closest('fieldset, [role=radiogroup], [role=group]');
      const name = e.name || 'radio';
      if (!radios[name]) {
        const legend = group ? (group.querySelector('legend') ? clean(group.querySelector('legend').innerText) : labelOf(group)) : '';
        radios[name] = {key: name, label: legend, widget: 'radio', role: group ? (group.getAttribute('role') || 'group') : '',
                        options: []};
        out.fields.push(radios[name]);
      }
      radios[name].options.push(labelOf(e));
      return;
    }
    let widget = 'text';
    if (tag === 'select') widget = 'select';
    else if (type === 'checkbox') widget = 'checkbox';
    else if (type === 'file') widget = 'upload';
    else if (type === 'date') widget = 'date';
    else if (e.isContentEditable || (e.getAttribute('role') === 'textbox' && tag !== 'input' && tag !== 'textarea')) widget = 'editor';
    else if (e.getAttribute('role') === 'combobox' && tag !== 'input' && tag !== 'select') widget = 'dropdown';
    else if (['group', 'radiogroup'].includes(e.getAttribute('role'))) {
      if (!e.querySelector('button, [role=button]')) return;
      widget = 'buttons';
    }
    const around = tied(e) ? {text: '', labelFor: ''} : near(e);
    out.fields.push({
      key: e.id || e.getAttribute('name') || '', label: labelOf(e), placeholder: e.getAttribute('placeholder') || '',
      type: tag === 'input' ? (type || 'text') : tag, autocomplete: e.getAttribute('autocomplete') || '',
      id: e.id || '', name: e.getAttribute('name') || '', near: around.text, label_for: around.labelFor,
      before_password: beforePassword.has(e),
      widget, role: ['group', 'radiogroup'].includes(e.getAttribute('role')) ? e.getAttribute('role') : '',
      hidden: !visible(e), multiple: !!e.multiple, required: !!e.required,
      options: tag === 'select' ? [...e.options].map((o) => clean(o.text)).filter(Boolean) : [],
    });
  });
  root.querySelectorAll('button, input[type=submit], [role=button]').forEach((e) => {
    if (!visible(e)) return;
    const name = clean(e.innerText || e.value || e.getAttribute('aria-label'));
    if (name) out.buttons.push({name, submit: e.type === 'submit'});
  });
  root.querySelectorAll('iframe').forEach((f) => { out.frames.push(f.id ? '#' + f.id : (f.getAttribute('title') ? `iframe[title="${f.getAttribute('title')}"]` : 'iframe')); });
  return out;
}
"""


def _key(raw: str, label: str, taken: set[str], i: int) -> str:
    key = re.sub(r"[^a-z0-9_]", "_", raw.lower()).strip("_") or guess_field(label) or f"field{i}"
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


@dataclass
class Draft:
    """A drafted profile: its YAML text, and the inputs whose value it could not guess."""

    text: str
    unmapped: list[str] = field(default_factory=list)
    """One line per input: its key and what the page says about it."""


def _locator(f: dict[str, Any], label: str) -> dict[str, Any]:
    """The most robust way to find the input: tied label, role, meaningful placeholder, id, name."""
    if f.get("role") and label:
        return {"role": f["role"], "name": label}
    if label:
        return {"label": label}
    if f.get("placeholder") and not WORDLESS.match(f["placeholder"]):
        return {"placeholder": f["placeholder"]}
    if f.get("id"):
        return {"css": f"#{f['id']}" if re.fullmatch(r"[A-Za-z][\w-]*", f["id"]) else f'[id="{f["id"]}"]'}
    if f.get("name") or f.get("key"):
        return {"css": f'[name="{f.get("name") or f["key"]}"]'}
    return {"css": "TODO"}


def draft(url: str, scan: dict[str, Any], frames: dict[str, dict[str, Any]]) -> str:
    """The profile YAML (with comments) for what the scan found."""
    return build_draft(url, scan, frames).text


def build_draft(url: str, scan: dict[str, Any], frames: dict[str, dict[str, Any]]) -> Draft:
    """The drafted profile and what it could not map."""
    parts = urlsplit(url)
    host = parts.hostname or "site"
    name = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "site"
    fields: dict[str, Any] = {}
    order: list[str] = []
    taken: set[str] = set()
    notes: list[str] = []
    unmapped: list[str] = []
    items = [(None, f) for f in scan["fields"]] + [
        (sel, f) for sel, sc in frames.items() for f in sc["fields"]
    ]
    for i, (frame, f) in enumerate(items):
        label = f.get("label", "")
        if is_captcha(f):
            notes.append(
                f"验证码输入框（{describe_input(f)}）：写成 login.steps 里的 captcha 步骤（image + input），不放进 fields"
            )
            continue
        key = _key(f.get("key", ""), label or f.get("near", ""), taken, i)
        b = _locator(f, label)
        if b.get("css") == "TODO":
            notes.append(f"{key}：没有标签、id 或 name，请补上定位方式")
        if f.get("near") and not label:
            tie = f"（<label for={f['label_for']}> 没有对应的 id）" if f.get("label_for") else ""
            notes.append(f"{key}：旁边的文字「{f['near']}」没有和输入框关联{tie}，所以用 {next(iter(b))} 定位")
        if f["widget"] != "text":
            b["widget"] = f["widget"]
        if f["widget"] == "upload" and f.get("hidden"):
            b["chooser"] = True
            notes.append(
                f"{key}：文件框是隐藏的，通常由一个按钮打开：把定位改成那个按钮（role: button, name: …）"
            )
        if f.get("multiple"):
            b["multiple"] = True
        if frame:
            b["frame"] = frame
        g = guess(f)
        if g.field and g.field != key:
            b["field"] = g.field
        if g.field:
            notes.append(f"{key} → {g.field}（依据：{g.why}）")
        else:
            unmapped.append(f"{key}({describe_input(f)})")
            notes.append(f"{key}：猜不出要填哪个值（{describe_input(f)}），请写 field: 或 value:")
        if f.get("options"):
            notes.append(f"{key}：选项 {'、'.join(f['options'][:8])} —— 与计划值不同时用 options: 映射")
        fields[key] = b
        order.append(key)
    if any(b.get("field", k) == "password" for k, b in fields.items()):
        notes.append("这是登录页：把 username / password 的填写放进 login.steps（格式见 docs/adapters.md）")
    buttons = [b["name"] for b in scan["buttons"]]
    submits = [b["name"] for b in scan["buttons"] if re.search(r"提交|确认|保存|发送|申请", b["name"])]
    submit = (submits or buttons or ["提交"])[-1]
    profile = {
        "name": name,
        "title": f"{host}（草稿）",
        "base_url": f"{parts.scheme}://{parts.netloc}/",
        "fields": fields,
        "steps": [{"goto": parts.path + (f"?{parts.query}" if parts.query else "")}, {"fill": order}],
        "submit": {"role": "button", "name": submit},
        "receipt": {"pattern": "TODO-把投诉编号的正则写在这里", "where": "page"},
        "errors": {"css": ".error"},
    }
    head = [
        "# 站点配置草稿：由 kameng adapter record 从一个页面生成，请逐项核对（格式见 docs/adapters.md）。",
        "# 只看到了打开时的这一页；多步向导请补上 click / wait 步骤，再用 kameng adapter try 试填。",
        f"# 页面上的按钮：{'、'.join(buttons) or '（无）'}",
        *[f"# 待办：{n}" for n in notes],
    ]
    text = "\n".join(head) + "\n" + yaml.safe_dump(profile, allow_unicode=True, sort_keys=False, width=110)
    return Draft(text=text, unmapped=unmapped)


async def record(url: str, *, headed: bool = False, wait_ms: int = 1500) -> Draft:
    """Open ``url`` and return a draft profile for the page (and the inputs it could not map)."""
    pool = BrowserPool(headed=headed)
    try:
        with adapter_call("record"):  # Playwright's errors leave as kameng errors
            ctx = await pool.context(None)
            page = await ctx.new_page()
            await page.goto(url, wait_until="domcontentloaded")
            await page.wait_for_timeout(wait_ms)
            scan = await page.locator("body").first.evaluate(_SCAN_JS)
            frames: dict[str, dict[str, Any]] = {}
            for sel in scan["frames"]:
                try:
                    frames[sel] = (
                        await page.frame_locator(sel).locator("body").first.evaluate(_SCAN_JS, timeout=3000)
                    )
                except Exception:  # a cross-origin or empty iframe: nothing to draft from it
                    continue
            return build_draft(page.url, scan, frames)
    finally:
        await pool.close()
