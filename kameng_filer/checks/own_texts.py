"""Texts the person rewrote for a channel (``texts: {渠道: {用途: {字段: 文本}}}``): the channel's field limits,
emotional words and shouting punctuation, as for every other text the person writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kameng_filer.checks.base import Context
from kameng_filer.checks.language import text_findings
from kameng_filer.findings import Finding

PURPOSES = ("complaint", "follow_up", "escalation", "review")


def check(ctx: Context) -> Iterator[Finding]:
    """Each rewritten text against its channel field (known channel, purpose and field; within the limit)."""
    texts = ctx.raw.get("texts")
    if not texts:
        return
    if not isinstance(texts, dict):
        yield ctx.finding(
            "texts.shape",
            "texts",
            "texts 应当是“渠道 → 用途 → 字段 → 文本”的结构",
            "参照 docs/ui.md 的“改写文本”",
        )
        return
    for channel, purposes in texts.items():
        base = f"texts.{channel}"
        spec = _spec(str(channel))
        if spec is None:
            yield ctx.finding(
                "texts.unknown",
                base,
                f"没有渠道「{channel}」，这段文本不会被使用",
                "用 kameng adapters list 查看渠道名",
            )
            continue
        for purpose, fields in (purposes or {}).items() if isinstance(purposes, dict) else ():
            if purpose not in PURPOSES or not isinstance(fields, dict):
                yield ctx.finding(
                    "texts.unknown",
                    f"{base}.{purpose}",
                    f"没有用途「{purpose}」，这段文本不会被使用",
                    f"用途只能是 {'、'.join(PURPOSES)}",
                )
                continue
            yield from _fields(ctx, spec, f"{base}.{purpose}", fields)


def _fields(ctx: Context, spec: Any, base: str, fields: dict[str, Any]) -> Iterator[Finding]:
    by_name = {fs.name: fs for fs in spec.rendered_fields}
    for name, text in fields.items():
        path = f"{base}.{name}"
        fs = by_name.get(str(name))
        if fs is None:
            known = "、".join(f"{f.name}（{f.label}）" for f in spec.rendered_fields)
            yield ctx.finding(
                "texts.unknown",
                path,
                f"{spec.title}没有字段「{name}」，这段文本不会被使用",
                f"可改写的字段：{known}",
            )
            continue
        text = "" if text is None else str(text)
        if fs.max_len is not None and len(text) > fs.max_len:
            yield ctx.finding(
                "texts.too_long",
                path,
                f"{spec.title}的「{fs.label}」最多 {fs.max_len} 字，现在 {len(text)} 字",
                f"删去 {len(text) - fs.max_len} 个字以上；渠道会拒收超长的文本",
            )
        if fs.min_len is not None and len(text.strip()) < fs.min_len:
            yield ctx.finding(
                "texts.too_short",
                path,
                f"{spec.title}的「{fs.label}」至少 {fs.min_len} 字，现在 {len(text.strip())} 字",
                "补充时间、事实和诉求；或清空这一项，改用自动生成的文本",
            )
        yield from text_findings(ctx, path, text)


def _spec(channel: str) -> Any:
    from kameng_filer import registry
    from kameng_filer.errors import KamengError

    try:
        return registry.spec(channel.split("@", 1)[0])
    except KamengError:
        return None
