"""Walk the raw case data alongside the pydantic models (works even when validation failed)."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from kameng_filer.case.model import Case

MAX_DEPTH = 8


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """``(inner type, is_list)`` for ``X``, ``X | None``, ``list[X]``, ``Annotated[X, …]``."""
    is_list = False
    for _ in range(6):
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation, is_list
            annotation = args[0]
        elif origin is list:
            is_list = True
            annotation = typing.get_args(annotation)[0]
        else:
            break
    return annotation, is_list


def submodel(info: FieldInfo) -> tuple[type[BaseModel] | None, bool]:
    """The model class a field holds (or holds a list of), and whether it is a list."""
    inner, is_list = _unwrap(info.annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner, is_list
    return None, is_list


def enum_of(info: FieldInfo) -> type[Enum] | None:
    """The enum class of a field, if it is one."""
    inner, _ = _unwrap(info.annotation)
    return inner if isinstance(inner, type) and issubclass(inner, Enum) else None


@cache
def known_keys(model: type[BaseModel]) -> dict[str, str]:
    """Spellings accepted for a model's fields (name and alias) → the field name."""
    keys: dict[str, str] = {}
    for name, info in model.model_fields.items():
        keys[info.alias or name] = name
        keys[name] = name
    return keys


@cache
def plan(model: type[BaseModel]) -> dict[str, tuple[type[BaseModel] | None, bool]]:
    """For each accepted key of ``model``: the submodel it holds (or None) and whether it is a list."""
    out: dict[str, tuple[type[BaseModel] | None, bool]] = {}
    for key, name in known_keys(model).items():
        out[key] = submodel(model.model_fields[name])
    return out


def walk(
    raw: Any, model: type[BaseModel] = Case, path: str = ""
) -> Iterator[tuple[str, type[BaseModel], dict]]:
    """``(path, model class, mapping)`` for every mapping in ``raw`` that should hold that model."""
    stack: list[tuple[str, type[BaseModel], Any, int]] = [(path, model, raw, 0)]
    while stack:
        p, cls, data, depth = stack.pop()
        if not isinstance(data, dict) or depth > MAX_DEPTH:
            continue
        yield p, cls, data
        fields = plan(cls)
        for key, value in data.items():
            sub, is_list = fields.get(str(key), (None, False))
            if sub is None:
                continue
            sub_path = f"{p}.{key}" if p else str(key)
            if is_list and isinstance(value, list):
                for i, item in enumerate(value):
                    stack.append((f"{sub_path}[{i}]", sub, item, depth + 1))
            elif not is_list:
                stack.append((sub_path, sub, value, depth + 1))
