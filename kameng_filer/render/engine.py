"""Rendering a case's texts for one channel and purpose: template blocks → tidy → mask → fit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import jinja2

from kameng_filer import registry
from kameng_filer.case.model import Case
from kameng_filer.channels import ChannelSpec, FieldSpec
from kameng_filer.errors import RenderError
from kameng_filer.render.context import PURPOSE_LABELS, PURPOSES, RenderContext, RenderedText
from kameng_filer.render.env import environment
from kameng_filer.render.facts import Facts, build_facts
from kameng_filer.render.fit import FieldTooLong, Switches, drop_order, fit_field
from kameng_filer.render.mask import Masker
from kameng_filer.render.memo import memo_module
from kameng_filer.render.punct import fullwidth_prose
from kameng_filer.render.purposes import payment_mismatch, refusal
from kameng_filer.render.shorten import shorten_inputs

MACROS = "_common/macros.j2"
"""Shared macros, available in every template as ``m``."""
_BLANK_RUN = re.compile(r"\n{3,}")
_NO_PRIOR = RenderContext()
"""The context when nothing is known about an earlier filing (frozen, so one instance serves all)."""
_TEMPLATE_BUGS = (TypeError, ValueError, ArithmeticError, LookupError, AttributeError)


def template_name(spec: ChannelSpec, purpose: str) -> str:
    """The template file for a channel and purpose, e.g. ``gov12315/review.j2``."""
    return f"{spec.template_dir}/{purpose}.j2"


def tidy(text: str, single_line: bool) -> str:
    """Strip trailing spaces and extra blank lines, write Chinese punctuation full-width; single-line fields become one line."""
    lines = [ln.rstrip() for ln in fullwidth_prose(text).strip().splitlines()]
    if single_line:
        return "".join(ln.strip() for ln in lines)
    return _BLANK_RUN.sub("\n\n", "\n".join(lines))


def _load(env: jinja2.Environment, name: str, spec: ChannelSpec, purpose: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            f"找不到模板 {exc.name}（渠道「{spec.title}」的{PURPOSE_LABELS[purpose]}文本）",
            hint="自定义模板放在数据目录的 templates/ 下，与内置模板同名；见 docs/templates.md",
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"模板 {exc.filename or exc.name or name} 第 {exc.lineno} 行有语法错误：{exc.message}",
            hint="修正自定义模板，或删除它以恢复内置模板",
        ) from None


def _template_file(exc: BaseException) -> str | None:
    """The template file (compiled code carries its path) where ``exc`` was raised, if any."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".jinja", ".jinja2", ".txt", ".html")):
            found = filename
        tb = tb.tb_next
    return found


def _template_failure(name: str, exc: Exception, field: str | None) -> RenderError:
    where = f"字段「{field}」" if field else "模板"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return RenderError(
            f"模板 {_template_file(exc) or name} 使用了安全沙箱不允许的操作（访问 Python 内部对象、调用不安全的方法或生成过大的内容），已被拦截",
            field=field,
            hint="模板只能使用案件数据、过滤器和文档列出的变量（docs/templates.md）；修正或删除这个自定义模板",
            detail=f"{type(exc).__name__}: {exc}",
        )
    if isinstance(exc, jinja2.UndefinedError):
        msg = f"模板 {name} 渲染{where}时用到了不存在的变量：{exc.message}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        msg = f"模板 {name} 引用的模板 {exc.name} 不存在"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        msg = f"模板 {exc.filename or exc.name or name} 第 {exc.lineno} 行有语法错误：{exc.message}"
    else:
        msg = f"模板 {name} 渲染{where}时出错"
    return RenderError(
        msg,
        field=field,
        hint="可用变量与各部分名称见 docs/templates.md",
        detail=f"{type(exc).__name__}: {exc}",
    )


class _NeedsRootRun(Exception):
    """A block used a name set at the template's top level: run the whole template once first."""


def _block_renderer(tctx: jinja2.runtime.Context, name: str, field: str, rooted: bool) -> Callable[[], str]:
    chain = tctx.blocks.get(field)
    if not chain:
        raise RenderError(
            f"模板 {name} 缺少字段「{field}」的 {{% block {field} %}}",
            field=field,
            hint="每个需要渲染的字段在模板里各有一个同名 block",
        )
    block = chain[0]

    def render_block() -> str:
        try:
            return "".join(block(tctx))
        except jinja2.UndefinedError:
            if not rooted:
                raise _NeedsRootRun from None
            raise
        except (jinja2.TemplateError, *_TEMPLATE_BUGS) as exc:
            raise _template_failure(name, exc, field) from None

    return render_block


def _field_renderer(block: Callable[[], str], fs: FieldSpec, masker: Masker | None) -> Callable[[], str]:
    single_line = fs.kind != "textarea"

    def render_once() -> str:
        text = tidy(block(), single_line)
        return masker.text(text) if masker else text

    return render_once


def _render_fields(
    tmpl: jinja2.Template,
    name: str,
    spec: ChannelSpec,
    variables: dict[str, Any],
    masker: Masker | None,
    fit: bool,
    rooted: bool,
) -> tuple[dict[str, str], dict[str, list[str]]]:
    show = Switches()
    tctx = tmpl.new_context({**variables, "show": show})
    if rooted:
        try:
            for _ in tmpl.root_render_func(tctx):  # runs top-level imports/sets and {% extends %}
                pass
        except (jinja2.TemplateError, *_TEMPLATE_BUGS) as exc:
            raise _template_failure(name, exc, None) from None
    order = drop_order(spec.name)
    fields: dict[str, str] = {}
    dropped: dict[str, list[str]] = {}
    for fs in spec.rendered_fields:
        render_once = _field_renderer(_block_renderer(tctx, name, fs.name, rooted), fs, masker)
        try:
            if fit:
                text, gone = fit_field(render_once, show, fs, order)
            else:
                show.reset()
                text, gone = render_once(), []
        except jinja2.UndefinedError as exc:
            raise _template_failure(name, exc, fs.name) from None
        fields[fs.name] = text
        if gone:
            dropped[fs.name] = gone
    return fields, dropped


def _render_spec(
    case: Case, spec: ChannelSpec, purpose: str, context: RenderContext, facts: Facts, fit: bool
) -> RenderedText:
    if purpose not in PURPOSES:
        raise RenderError(f"未知的文本用途「{purpose}」。可用：{'、'.join(PURPOSES)}")
    refused = refusal(spec.name, purpose) or payment_mismatch(spec.name, case)
    if refused is not None:
        raise refused
    env = environment()
    name = template_name(spec, purpose)
    tmpl = _load(env, name, spec, purpose)
    try:
        macros = memo_module(_load(env, MACROS, spec, purpose))
    except (jinja2.TemplateError, *_TEMPLATE_BUGS) as exc:
        raise _template_failure(MACROS, exc, None) from None
    variables: dict[str, Any] = {
        "case": case,
        "f": facts,
        "ctx": context,
        "m": macros,
        "spec": spec,
        "channel": spec.name,
        "purpose": purpose,
        "public": spec.public,
    }
    masker = Masker(case, protect=[context.complaint_no]) if spec.public else None
    # Fast path: render the field blocks directly. A template that extends another one or sets
    # names at its top level gets one full run first so its blocks see them.
    rooted = not all(fs.name in tmpl.blocks for fs in spec.rendered_fields)
    shortened: set[str] = set()
    for attempt in range(12):
        try:
            try:
                fields, dropped = _render_fields(tmpl, name, spec, variables, masker, fit, rooted)
            except _NeedsRootRun:
                rooted = True
                fields, dropped = _render_fields(tmpl, name, spec, variables, masker, fit, rooted)
            break
        except FieldTooLong as exc:
            shorter = shorten_inputs(variables["f"], variables["ctx"], exc.over + 1)
            if shorter is None or attempt == 11:
                raise
            variables["f"], variables["ctx"] = shorter
            shortened.add(exc.field or "")
    for field_name in shortened & fields.keys():
        dropped.setdefault(field_name, []).append("summary")
    own = case.texts.get(spec.name, {}).get(purpose, {})
    for field_name, text in own.items():
        if field_name in fields:  # the person's own text replaces the generated one (checked by own_texts)
            fields[field_name] = masker.text(text) if masker is not None else text
            dropped.pop(field_name, None)
    return RenderedText(channel=spec.name, purpose=purpose, fields=fields, dropped=dropped)


def render(
    case: Case,
    channel: str,
    purpose: str = "complaint",
    context: RenderContext | None = None,
    *,
    fit: bool = True,
) -> RenderedText:
    """Render every rendered field of ``channel`` for ``case`` and ``purpose``.

    Texts for public channels are masked. With ``fit`` (the default) each field is fitted to its
    limit by dropping parts (see ``kameng_filer.render.fit``); ``fit=False`` renders everything and
    checks nothing (a preview of the full text). Raises ``AdapterNotFound`` for an unknown channel and
    ``RenderError`` for a missing/broken template or a field that cannot fit.
    """
    spec = registry.spec(channel)
    return _render_spec(case, spec, purpose, context or _NO_PRIOR, build_facts(case), fit)


def render_all(
    case: Case,
    purpose: str = "complaint",
    channels: Iterable[str] | None = None,
    context: RenderContext | None = None,
) -> dict[str, RenderedText]:
    """Render ``purpose`` for several channels, sharing the case facts.

    By default every registered channel that takes this purpose for this case (a payment channel the
    order was not paid through is left out); channels named explicitly raise their refusal instead.
    """
    facts = build_facts(case)
    ctx = context or _NO_PRIOR
    if channels is not None:
        names = list(channels)
    else:
        names = [n for n in registry.names() if refusal(n, purpose) is None and payment_mismatch(n, case) is None]
    return {n: _render_spec(case, registry.spec(n), purpose, ctx, facts, True) for n in names}
