"""A stand-in case when one field breaks the schema, so the checks that do not need it still run.

The broken fields are dropped (optional ones) or replaced by a neutral placeholder (required ones); the
case rules then run on that stand-in and every finding about a broken field is discarded, so the person
sees the schema error and every other problem at once.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any

from kameng_filer.case.loader import LoadResult, validate

PLACEHOLDERS: dict[str, Any] = {
    "problem.type": "other",
    "problem.summary": "-",
    "order.order_no": "-",
    "order.product": "-",
    "title": "-",
    "complainant.name": "-",
    "complainant.phone": "-",
    "respondent.platform": "-",
}
"""Neutral values for required text fields (the findings about them are dropped anyway). A broken amount
has no neutral value (every amount check would compare against it): then no stand-in is built."""
MAX_ROUNDS = 3


def _set_or_drop(raw: dict[str, Any], path: str) -> bool:
    """Replace the field at a dotted path with its placeholder, or drop it; False for list items."""
    if "[" in path or path in ("", "(root)"):
        return False
    *parents, leaf = path.split(".")
    node: Any = raw
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return False
    if path in PLACEHOLDERS:
        node[leaf] = PLACEHOLDERS[path]
    else:
        node.pop(leaf, None)
    return True


def partial(result: LoadResult) -> tuple[LoadResult, tuple[str, ...]] | None:
    """(a load result holding a stand-in case, the broken paths), or None when no stand-in validates."""
    if result.case is not None or not isinstance(result.raw, dict):
        return None
    raw = copy.deepcopy(result.raw)
    broken: list[str] = []
    todo = [f.path for f in result.findings if f.code.startswith("schema.") and f.severity == "error"]
    base = result.base_dir or (result.source.parent if result.source else Path.cwd())
    for _ in range(MAX_ROUNDS):
        if not todo or not all(_set_or_drop(raw, p) for p in todo):
            return None
        broken += todo
        stand_in = validate(raw, source=result.source, base_dir=base, lines=None)
        if stand_in.case is not None:
            return dataclasses.replace(result, case=stand_in.case), tuple(broken)
        todo = [f.path for f in stand_in.findings if f.code.startswith("schema.") and f.path not in broken]
    return None


def about_broken(path: str, broken: tuple[str, ...]) -> bool:
    """True when a finding's path is (inside) one of the broken fields."""
    return any(path == b or re.match(re.escape(b) + r"[.\[]", path) for b in broken)


