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

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "PURPOSE_LABELS": "context",
    "PURPOSES": "context",
    "RenderContext": "context",
    "RenderedText": "context",
    "render": "engine",
    "render_all": "engine",
    "template_name": "engine",
    "render_evidence_index": "evidence_index",
    "DROP_ORDER": "fit",
    "PART_LABELS": "fit",
    "drop_order": "fit",
    "Masker": "mask",
    "mask_fields": "mask",
    "mask_text": "mask",
}
"""Public name -> submodule. Loaded on first use, so importing ``render.mask`` alone never loads Jinja2."""


def __getattr__(name: str) -> Any:
    """Load a public name from its submodule on first use (PEP 562)."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


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
