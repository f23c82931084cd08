"""Shared plumbing for check rules: the context a rule sees and safe access to the raw case data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kameng_filer.case.loader import LoadResult
from kameng_filer.case.model import Case
from kameng_filer.checks.codes import CODES
from kameng_filer.checks.lexicon import Lexicon, load_lexicon
from kameng_filer.checks.schema_walk import walk
from kameng_filer.findings import Finding


@dataclass
class Context:
    """What a rule sees: the load result (raw data, case when valid, line numbers) and the clock."""

    result: LoadResult
    now: datetime

    @property
    def raw(self) -> dict[str, Any]:
        """The parsed file as written (any shape: rules must not trust it)."""
        return self.result.raw if isinstance(self.result.raw, dict) else {}

    @property
    def case(self) -> Case | None:
        """The validated case, or None when the schema failed."""
        return self.result.case

    @property
    def base_dir(self) -> Path:
        """Folder evidence paths are relative to."""
        if self.result.base_dir is not None:
            return self.result.base_dir
        if self.result.source is not None:
            return self.result.source.parent
        return Path.cwd()

    @cached_property
    def mappings(self) -> list[tuple[str, type[BaseModel], dict]]:
        """Every mapping of the raw data with the model it should hold (see ``schema_walk.walk``)."""
        return list(walk(self.raw))

    @cached_property
    def strings(self) -> list[tuple[str, str]]:
        """``(dotted path, text)`` for every string in the raw data, keys included (see ``all_strings``)."""
        return all_strings(self.raw)

    @cached_property
    def lexicon(self) -> Lexicon:
        """The word lists (built-in + the user's), read once per check run."""
        return load_lexicon()

    def finding(self, code: str, path: str, message: str, hint: str = "") -> Finding:
        """A finding with the severity registered for ``code`` and the YAML line of ``path``."""
        return Finding(code, CODES[code].severity, path, message, hint, self.result.line(path))


MAX_STRING_DEPTH = 32


def all_strings(raw: Any) -> list[tuple[str, str]]:
    """``(dotted path, text)`` for every string value (and every key) in the raw data, depth-limited."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[str, Any, int]] = [("", raw, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str):
            out.append((path or "(root)", value))
        elif depth > MAX_STRING_DEPTH:
            continue
        elif isinstance(value, dict):
            for key, sub in value.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str):
                    out.append((where, key))
                stack.append((where, sub, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", sub, depth + 1) for i, sub in enumerate(value))
    return out


def get(data: Any, *keys: str | int) -> Any:
    """Walk nested dicts/lists without trusting their shape; None when anything is missing."""
    cur = data
    for key in keys:
        if isinstance(key, int):
            if not isinstance(cur, list) or not -len(cur) <= key < len(cur):
                return None
            cur = cur[key]
        else:
            if not isinstance(cur, dict) or key not in cur:
                return None
            cur = cur[key]
    return cur


def items(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """``(index, item)`` for each mapping in the list ``data[key]`` (other shapes are skipped)."""
    seq = get(data, key)
    if not isinstance(seq, list):
        return []
    return [(i, item) for i, item in enumerate(seq) if isinstance(item, dict)]


def is_blank(value: Any) -> bool:
    """True for None, empty or whitespace-only text, and empty containers."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not value
    return False


def text_of(value: Any) -> str | None:
    """A scalar written as text (YAML keeps numbers as text); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return str(value)
    return None


FREE_TEXT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("title",),
    ("problem", "summary"),
    ("order", "product"),
    ("order", "promise"),
)
FREE_TEXT_LISTS: tuple[tuple[str, str], ...] = (
    ("timeline", "event"),
    ("contacts", "summary"),
    ("contacts", "channel"),
    ("evidence", "description"),
    ("demands", "note"),
)


def free_texts(
    raw: Any, *, lists: tuple[tuple[str, str], ...] = FREE_TEXT_LISTS
) -> Iterator[tuple[str, str]]:
    """``(dotted path, text)`` for every free-text field a person writes (scanned by text rules)."""
    for keys in FREE_TEXT_FIELDS:
        value = get(raw, *keys)
        if isinstance(value, str) and value.strip():
            yield ".".join(keys), value
    for list_key, field in lists:
        for i, item in items(raw, list_key):
            value = item.get(field)
            if isinstance(value, str) and value.strip():
                yield f"{list_key}[{i}].{field}", value


def fmt_time(value: datetime) -> str:
    """A time as people write it in a complaint: 2026-11-02 15:00."""
    return value.strftime("%Y-%m-%d %H:%M")


def fmt_yuan(value: Decimal) -> str:
    """An amount in yuan: 100.00元."""
    return f"{value:.2f}元"
