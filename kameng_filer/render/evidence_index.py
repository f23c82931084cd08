"""The 证据清单 (evidence index): number, id, kind, description, file, size and SHA-256 per item."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from kameng_filer.case.model import Case
from kameng_filer.errors import RenderError
from kameng_filer.render.env import environment
from kameng_filer.render.filters import EVIDENCE_KIND_LABELS

TEMPLATE = "_common/evidence_index.j2"


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One line of the evidence index; ``size`` is None when the file is missing."""

    n: int
    id: str
    kind_label: str
    description: str
    file: str
    size: int | None
    sha256: str


def index_rows(case: Case, hashes: dict[str, str] | None = None) -> list[IndexRow]:
    """The rows of the evidence index; ``hashes`` maps evidence id (or its ``file`` value) to SHA-256."""
    hashes = hashes or {}
    rows = []
    for n, ev in enumerate(case.evidence, start=1):
        try:
            size: int | None = ev.path.stat().st_size
        except OSError:
            size = None
        rows.append(
            IndexRow(
                n=n,
                id=ev.id,
                kind_label=EVIDENCE_KIND_LABELS[ev.kind],
                description=ev.description,
                file=ev.path.name,
                size=size,
                sha256=hashes.get(ev.id) or hashes.get(ev.file) or "",
            )
        )
    return rows


def render_evidence_index(case: Case, hashes: dict[str, str] | None = None) -> str:
    """The 证据清单 as Markdown (readable as plain text); the SHA-256 column appears when ``hashes`` is given.

    ``hashes`` maps an evidence id (or the item's ``file`` value) to its SHA-256 hex digest, as the
    content-addressed store computed it. Override the layout with ``_common/evidence_index.j2`` in
    the user template folder.
    """
    rows = index_rows(case, hashes)
    try:
        text = environment().get_template(TEMPLATE).render(case=case, rows=rows, with_hashes=bool(hashes))
    except jinja2.TemplateError as exc:
        raise RenderError(
            f"证据清单模板 {TEMPLATE} 无法渲染", detail=f"{type(exc).__name__}: {exc}"
        ) from None
    return text.strip() + "\n"
