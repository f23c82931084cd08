"""Complaint texts for every channel: Jinja2 templates, fitting to field limits, masking for public channels.

Public API::

    render(case, channel, purpose="complaint", context=None) -> RenderedText
    render_all(case, purpose="complaint", channels=None, context=None) -> dict[str, RenderedText]
    render_evidence_index(case, hashes=None) -> str
    mask_text(text, case=None) / mask_fields(case, spec, values) / Masker(case)

Templates live in ``templates/<channel>/<purpose>.j2`` (package ``kameng_filer.templates``); a file
with the same relative name in ``kameng_filer.paths.user_templates_dir()`` overrides it. See
docs/templates.md.
"""

from kameng_filer.render.context import PURPOSE_LABELS, PURPOSES, RenderContext, RenderedText
from kameng_filer.render.engine import render, render_all, template_name
from kameng_filer.render.evidence_index import render_evidence_index
from kameng_filer.render.fit import DROP_ORDER, PART_LABELS, drop_order
from kameng_filer.render.mask import Masker, mask_fields, mask_text

__all__ = [
    "DROP_ORDER",
    "PART_LABELS",
    "PURPOSES",
    "PURPOSE_LABELS",
    "Masker",
    "RenderContext",
    "RenderedText",
    "drop_order",
    "mask_fields",
    "mask_text",
    "render",
    "render_all",
    "render_evidence_index",
    "template_name",
]
