"""Rendered page parts remembered by the view data they were rendered from.

The views hand out shared, never-changed data (``views.home``: one row object per case, kept while
that case's inputs are unchanged), so a part rendered from one object renders the same again. The
templates call ``once(value, macro, *args)``: the macro's HTML for ``value`` is rendered the first
time and reused while the very same object comes back; a changed case brings a new object and is
rendered afresh. The object is kept with its HTML, so its ``id`` cannot be reused meanwhile.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

SIZE = 16384
_KEPT: OrderedDict[tuple[Any, ...], tuple[Any, Any]] = OrderedDict()
_LOCK = threading.Lock()


def once(value: Any, macro: Any, *args: Any) -> Any:
    """``macro(value, *args)``, rendered once per (object, macro, arguments)."""
    key = (id(value), getattr(macro, "name", id(macro)), args)
    with _LOCK:
        hit = _KEPT.get(key)
    if hit is not None and hit[0] is value:
        return hit[1]
    html = macro(value, *args)
    with _LOCK:
        _KEPT[key] = (value, html)
        while len(_KEPT) > SIZE:
            _KEPT.popitem(last=False)
    return html
