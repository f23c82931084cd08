"""Unknown fields (kept by the model as extras): usually a typo, so suggest the closest known name."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache

from pydantic import BaseModel

from kameng_filer.checks.base import Context
from kameng_filer.checks.schema_walk import known_keys
from kameng_filer.findings import Finding


@cache
def _public(model: type[BaseModel]) -> list[str]:
    """Field spellings to suggest (``with``, not the Python name ``with_``)."""
    known = known_keys(model)
    return sorted({k for k in known if not k.endswith("_") or k[:-1] not in known})


def check(ctx: Context) -> Iterator[Finding]:
    """One warning per key the case model does not know, with a "did you mean" when one is close."""
    for path, model, data in ctx.mappings:
        known = known_keys(model)
        public = _public(model)
        for key in data:
            key_s = str(key)
            if key_s in known:
                continue
            key_s = key_s or '""'
            sub = f"{path}.{key_s}" if path else key_s
            close = difflib.get_close_matches(key_s.lower(), public, n=1, cutoff=0.6)
            if close:
                hint = f"是不是想写 {close[0]}?（已知字段：{', '.join(public)}）"
                message = f"未知字段「{key_s}」，会被忽略；可能是 {close[0]} 的拼写错误"
            else:
                hint = f"已知字段：{', '.join(public)}；不需要的话可以删除"
                message = f"未知字段「{key_s}」，会被忽略"
            yield ctx.finding("field.unknown", sub, message, hint)
