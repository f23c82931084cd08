"""``kameng adapter record URL``: open a page and draft a site profile from its labelled fields and buttons.

A draft, not a finished profile: it sees one page (one wizard step) as it is when opened, guesses
which channel field each input takes from its label, and leaves the receipt pattern to the author.
Check the draft with ``kameng adapter check`` and iterate with ``kameng adapter try``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import yaml

from kameng_filer.errors import KamengError
from kameng_filer.filing.boundary import translate
from kameng_filer.filing.browser_pool import BrowserPool

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
    out.fields.push({
      key: e.id || e.getAttribute('name') || '', label: labelOf(e), placeholder: e.getAttribute('placeholder') || '',
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

GUESSES: tuple[tuple[str, str], ...] = (
    ("订单", "order_no"),
    ("单号", "order_no"),
    ("标题", "title"),
    ("主题", "title"),
    ("优先", "priority"),
    ("紧急", "priority"),
    ("类型", "complaint_type"),
    ("原因", "complaint_type"),
    ("分类", "complaint_type"),
    ("凭证", "proof"),
    ("截图", "proof"),
    ("图片", "proof"),
    ("附件", "proof"),
    ("手机", "contact"),
    ("电话", "contact"),
    ("联系", "contact"),
    ("内容", "content"),
    ("描述", "content"),
    ("说明", "content"),
    ("账号", "username"),
    ("用户名", "username"),
    ("密码", "password"),
)
"""Label words → the card_platform field they usually take (first match wins)."""


def guess_field(label: str) -> str | None:
    """The channel field a label probably means, e.g. ``售后标题`` → ``title``."""
    for word, name in GUESSES:
        if word in label:
            return name
    return None


def _key(raw: str, label: str, taken: set[str], i: int) -> str:
    key = re.sub(r"[^a-z0-9_]", "_", raw.lower()).strip("_") or guess_field(label) or f"field{i}"
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


def draft(url: str, scan: dict[str, Any], frames: dict[str, dict[str, Any]]) -> str:
    """The profile YAML (with comments) for what the scan found."""
    parts = urlsplit(url)
    host = parts.hostname or "site"
    name = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "site"
    fields: dict[str, Any] = {}
    order: list[str] = []
    taken: set[str] = set()
    notes: list[str] = []
    items = [(None, f) for f in scan["fields"]] + [
        (sel, f) for sel, sc in frames.items() for f in sc["fields"]
    ]
    for i, (frame, f) in enumerate(items):
        label = f.get("label", "")
        key = _key(f.get("key", ""), label, taken, i)
        b: dict[str, Any] = {}
        if label:
            b["label"] = label
        elif f.get("placeholder"):
            b["placeholder"] = f["placeholder"]
        elif f.get("key"):
            b["css"] = f"#{f['key']}"
        else:
            notes.append(f"{key}: 没有标签,请补上定位方式")
            b["css"] = "TODO"
        if f.get("role") and label:
            b = {"role": f["role"], "name": label}
        if f["widget"] != "text":
            b["widget"] = f["widget"]
        if f["widget"] == "upload" and f.get("hidden"):
            b["chooser"] = True
            notes.append(
                f"{key}: 文件框是隐藏的,通常由一个按钮打开:把定位改成那个按钮(role: button, name: …)"
            )
        if f.get("multiple"):
            b["multiple"] = True
        if frame:
            b["frame"] = frame
        target = guess_field(label or f.get("placeholder", ""))
        if target and target != key:
            b["field"] = target
        if not target:
            notes.append(f"{key}: 猜不出要填哪个值,请写 field: 或 value:")
        if f.get("options"):
            notes.append(f"{key}: 选项 {'、'.join(f['options'][:8])} —— 与计划值不同时用 options: 映射")
        fields[key] = b
        order.append(key)
    buttons = [b["name"] for b in scan["buttons"]]
    submits = [b["name"] for b in scan["buttons"] if re.search(r"提交|确认|保存|发送|申请", b["name"])]
    submit = (submits or buttons or ["提交"])[-1]
    profile = {
        "name": name,
        "title": f"{host}(草稿)",
        "base_url": f"{parts.scheme}://{parts.netloc}/",
        "fields": fields,
        "steps": [{"goto": parts.path + (f"?{parts.query}" if parts.query else "")}, {"fill": order}],
        "submit": {"role": "button", "name": submit},
        "receipt": {"pattern": "TODO-把投诉编号的正则写在这里", "where": "page"},
        "errors": {"css": ".error"},
    }
    head = [
        "# 站点配置草稿:由 kameng adapter record 从一个页面生成,请逐项核对(格式见 docs/adapters.md)。",
        "# 只看到了打开时的这一页;多步向导请补上 click / wait 步骤,再用 kameng adapter try 试填。",
        f"# 页面上的按钮:{'、'.join(buttons) or '(无)'}",
        *[f"# 待办:{n}" for n in notes],
    ]
    return "\n".join(head) + "\n" + yaml.safe_dump(profile, allow_unicode=True, sort_keys=False, width=110)


async def record(url: str, *, headed: bool = False, wait_ms: int = 1500) -> str:
    """Open ``url`` and return a draft profile for the page."""
    pool = BrowserPool(headed=headed)
    try:
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
        return draft(page.url, scan, frames)
    except KamengError:
        raise
    except Exception as exc:
        raise translate(exc, "record") from exc
    finally:
        await pool.close()
