"""Text lengths against the channels' field limits: a text no channel can take fails every render later."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from kameng_filer.channels import ChannelSpec
from kameng_filer.checks.base import Context, free_texts, get, items
from kameng_filer.findings import Finding

CORE_PATHS = ("problem.summary",)
"""Free text every complaint text contains in full (never dropped to fit a limit, see ``render.fit``)."""
CORE_LISTS = (("demands", "note"),)

_SOURCE = re.compile(r"^[a-z_]+(?:\.[a-z_]+)+")

SHORT_FIELDS = (
    "title",
    "respondent.platform",
    "respondent.legal_name",
    "respondent.merchant.name",
    "order.order_no",
    "order.product",
)
"""Names that appear inside the channels' one-line fields (titles, subjects): normally well under ``SHORT_LIMIT``."""
SHORT_LIMIT = 50


@lru_cache(maxsize=1)
def _limits() -> tuple[dict[str, int], dict[str, list[tuple[str, str, int]]]]:
    """(channel → its longest rendered field's limit, case path → [(channel, field label, limit)])."""
    from kameng_filer.registry import all_specs

    body: dict[str, int] = {}
    direct: dict[str, list[tuple[str, str, int]]] = {}
    specs: list[ChannelSpec] = all_specs()
    for spec in specs:
        rendered = [f.max_len for f in spec.rendered_fields if f.max_len]
        if rendered:
            body[spec.name] = max(rendered)
        for f in spec.fields:
            m = _SOURCE.match(f.source or "")
            if f.max_len and m:
                direct.setdefault(m.group(0), []).append((spec.name, f.label, f.max_len))
    return body, direct


def cache_clear() -> None:
    """Forget the limits read from the registered channels."""
    _limits.cache_clear()


def _core_texts(ctx: Context) -> Iterator[tuple[str, str]]:
    for path in CORE_PATHS:
        value = get(ctx.raw, *path.split("."))
        if isinstance(value, str):
            yield path, value.strip()
    for list_key, field in CORE_LISTS:
        for i, item in items(ctx.raw, list_key):
            value = item.get(field)
            if isinstance(value, str):
                yield f"{list_key}[{i}].{field}", value.strip()


def _trial_render(ctx: Context, skip: set[str]) -> Iterator[Finding]:
    """When a name is unusually long, render each channel once; a channel that cannot fit it is a warning."""
    case = ctx.case
    if case is None:
        return
    long = [(len(v.strip()), p) for p in SHORT_FIELDS if isinstance(v := get(ctx.raw, *p.split(".")), str)]
    long = [(n, p) for n, p in long if n > SHORT_LIMIT]
    if not long:
        return
    from kameng_filer.errors import KamengError
    from kameng_filer.registry import all_specs
    from kameng_filer.render import render

    path = max(long)[1]
    for spec in all_specs():
        if spec.name in skip or not spec.rendered_fields:
            continue
        try:
            render(case, spec.name, "complaint")
        except Exception as exc:  # rendering is only tried here; its own errors are reported by render
            if (
                not isinstance(exc, KamengError)
                or getattr(exc, "field", None) is None
                or "最多" not in exc.message
            ):
                continue  # not a length problem (a broken user template is reported by render itself)
            yield ctx.finding(
                "text.cannot_fit",
                path,
                f"有 {max(long)[0]} 个字，{spec.title}（{spec.name}）无法生成投诉文本：{exc.message}",
                "精简这个字段（名称写常用的简称即可）",
            )


def _try_channels(ctx: Context, names: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Render the complaint on ``names``: (channels that fit by shortening, [(channel, why it cannot fit)]).

    A channel that refuses the case for another reason (e.g. a payment channel the order was not paid
    through) is in neither list; without a valid case every channel counts as shortened.
    """
    if ctx.case is None:
        return names, []
    from kameng_filer.errors import KamengError
    from kameng_filer.render import render

    fits: list[str] = []
    fails: list[tuple[str, str]] = []
    for name in names:
        try:
            render(ctx.case, name, "complaint")
        except KamengError as exc:
            if getattr(exc, "field", None) is not None and "最多" in exc.message:
                fails.append((name, exc.message))
            continue
        except Exception:  # a broken user template is reported by render itself
            continue
        fits.append(name)
    return fits, fails


def _channel_label(name: str, limit: int) -> str:
    from kameng_filer.registry import spec

    return f"{spec(name).title}（{name}，上限 {limit} 字）"


def _over_body(ctx: Context, path: str, n: int, over: list[tuple[str, int]]) -> Iterator[Finding]:
    """A core text longer than some channels' body: shortened where it can be, an error where it cannot."""
    limits = dict(over)
    fits, fails = _try_channels(ctx, [name for name, _ in over])
    if fits:
        names = "、".join(_channel_label(name, limits[name]) for name in fits)
        yield ctx.finding(
            "text.long_for_channel",
            path,
            f"有 {n} 个字，超过这些渠道正文的上限，生成文本时只保留前面几句"
            f"（订单号、金额和诉求不会删）：{names}",
            "把最关键的事实写在最前面，或精简到最小的上限以内；问题概述宜在 200 字以内；"
            "kameng render --channel <渠道> 可预览缩写后的文本",
        )
    if fails:
        names = "、".join(_channel_label(name, limits[name]) for name, _ in fails)
        yield ctx.finding(
            "text.cannot_fit",
            path,
            f"有 {n} 个字，缩写后仍放不下，无法在这些渠道生成投诉文本：{names}（{fails[0][1]}）",
            "精简诉求说明和问题概述，只写关键事实（时间、经过、金额），详细过程放进 timeline 和证据",
        )


def check(ctx: Context) -> Iterator[Finding]:
    """Errors for text longer than every channel allows, warnings for text some channels cannot take."""
    body, direct = _limits()
    if not body:
        return
    longest = max(body.values())
    reported: set[str] = set()
    too_small: set[str] = set()
    core_too_long = False
    for path, text in _core_texts(ctx):
        n = len(text)
        if n > longest:
            reported.add(path)
            core_too_long = True
            yield ctx.finding(
                "text.too_long",
                path,
                f"有 {n} 个字，超过所有渠道正文的上限（最多 {longest} 个字），任何渠道都无法生成投诉文本",
                "只写关键事实（时间、经过、金额），详细过程放进 timeline 和证据；问题概述宜在 200 字以内",
            )
            continue
        over = sorted((name, limit) for name, limit in body.items() if n > limit)
        too_small.update(name for name, _ in over)
        if over:
            reported.add(path)
            yield from _over_body(ctx, path, n, over)
    for case_path, limits in sorted(direct.items()):
        value = get(ctx.raw, *case_path.split("."))
        if not isinstance(value, str):
            continue
        n = len(value.strip())
        over = sorted({(name, label, limit) for name, label, limit in limits if n > limit})
        if over:
            reported.add(case_path)
            names = "、".join(f"{name} 的「{label}」(上限 {limit} 字)" for name, label, limit in over)
            yield ctx.finding(
                "text.long_for_channel",
                case_path,
                f"有 {n} 个字，超过这些渠道表单字段的上限：{names}",
                "按订单页面原样填写；过长时精简到上限以内",
            )
    seen = {path for path, _ in free_texts(ctx.raw)}
    huge = [(path, text) for path, text in ctx.strings if len(text) > longest and path not in reported]
    for path, text in huge:
        yield ctx.finding(
            "text.too_long",
            path,
            f"有 {len(text)} 个字，超过任何渠道能提交的长度（最多 {longest} 个字）",
            "精简该字段；长篇材料请作为证据文件附上" if path in seen else "精简该字段",
        )
    if not huge and not core_too_long:
        yield from _trial_render(ctx, too_small)
