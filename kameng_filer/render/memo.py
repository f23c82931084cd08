"""Remembering the texts of the shared macros (``m.facts_section(f, show)`` …) across fits and channels.

Every channel's templates call the same macros from ``_common/macros.j2`` with the same case facts,
and fitting a text renders it again with fewer parts switched on. A macro's text depends only on its
arguments and on the macros template itself (a module sees no render variables), so within one case
each distinct call is computed once:

- the key is the macro, its arguments by value — the facts by ``facts_key``, ``show`` by its whole
  state (``Switches.off``), strings as they are, numbers with their type — and the autoescape mode;
- a remembered text keeps the switches its macro read; they are added to ``show.read`` when the text
  is reused, so fitting decides exactly as if the macro had run;
- a call with any other kind of argument (a list, the case, a ``caller`` block), with a ``show`` whose
  state is not known, or that changed ``show`` or failed, is not remembered.

Memos belong to one loaded macros template: an edited or overriding ``macros.j2`` gets a fresh one.
The texts of the last ``MAX_FACTS`` case contents are kept.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any

import jinja2
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, Macro

from kameng_filer.render.context import RenderContext
from kameng_filer.render.facts import Facts
from kameng_filer.render.fit import Switches

MAX_FACTS = 8
"""Case contents (distinct facts) remembered per macros template; the oldest is forgotten first."""
MAX_CALLS = 4096
"""Remembered texts per case content; beyond it they are forgotten and computed again."""


def _dt(value: datetime | None) -> Any:
    # Equal instants in different zones print differently: the zone and fold are part of the key.
    return None if value is None else (value, value.tzinfo, value.fold)


def facts_key(f: Facts) -> tuple[Any, ...]:
    """A hashable value that is equal for two ``Facts`` exactly when templates cannot tell them apart.

    Every field of ``Facts`` is in it (tests/test_render_stable.py checks that changing any field
    changes the key); decimals and datetimes keep their type, precision and zone.
    """
    return (
        f.order_no,
        f.platform,
        f.legal_name,
        f.merchant,
        f.product,
        (type(f.quantity), f.quantity),
        (type(f.amount), str(f.amount)),
        _dt(f.bought_at),
        f.pay_label,
        f.txn_label,
        f.txn_no,
        f.problem,
        f.summary,
        _dt(f.discovered_at),
        f.claim,
        f.promise,
        f.card_key,
        tuple((_dt(e.at), e.kind, e.text, e.day, e.stamp, e.clock) for e in f.events),
        (type(f.contacts_count), f.contacts_count),
        f.demands,
        f.rules,
        f.laws,
        f.basis,
        f.evidence and tuple((e.n, e.id, e.kind, e.kind_label, e.description, e.file) for e in f.evidence),
        f.attach,
        f.renewals,
    )


_NUMBERS = (bool, int, float, Decimal)
_NO_READS: frozenset[str] = frozenset()


class _Store:
    """One macros template's memo: facts key → {call key → (text, switches read)}.

    The calls of the facts object used last are kept at hand: a render calls several macros with the
    same facts, so the facts key is computed once per facts object, not once per call.
    """

    def __init__(self) -> None:
        self.by_facts: OrderedDict[Any, dict[Any, tuple[str, frozenset[str]]]] = OrderedDict()
        self.lock = threading.Lock()
        self.last_facts: Facts | None = None
        self.last_calls: dict[Any, tuple[str, frozenset[str]]] = {}

    def calls(self, facts: Facts | None) -> dict[Any, tuple[str, frozenset[str]]]:
        """The remembered calls for ``facts`` (None: calls without facts)."""
        fkey = None if facts is None else facts_key(facts)
        with self.lock:
            calls = self.by_facts.get(fkey)
            if calls is None:
                calls = self.by_facts[fkey] = {}
                while len(self.by_facts) > MAX_FACTS:
                    self.by_facts.popitem(last=False)
            else:
                self.by_facts.move_to_end(fkey)
            if facts is not None:
                self.last_calls = calls
                self.last_facts = facts
        return calls


def _remembered(
    store: _Store, macro: Macro, eval_ctx: EvalContext, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The text of ``macro(*args, **kwargs)``: remembered, or computed and remembered when allowed."""
    if kwargs:
        if "caller" in kwargs:
            return macro(eval_ctx, *args, **kwargs)
        values: tuple[Any, ...] = (*args, *kwargs.values())
        key: list[Any] = [macro, eval_ctx.autoescape, tuple(kwargs)]
    else:
        values = args
        key = [macro, eval_ctx.autoescape]
    facts: Facts | None = None
    show: Switches | None = None
    for value in values:
        kind = type(value)
        if kind is str or value is None:
            key.append(value)
        elif kind is Facts:
            if facts is not None and facts is not value:
                return macro(eval_ctx, *args, **kwargs)
            facts = value
            key.append(Facts)
        elif kind is Switches:
            if (show is not None and show is not value) or value.off is None:
                return macro(eval_ctx, *args, **kwargs)
            show = value
            key.append((Switches, value.off))
        elif kind in _NUMBERS:
            key.append((kind, str(value)))
        elif kind is RenderContext:
            key.append((kind, value))
        else:
            return macro(eval_ctx, *args, **kwargs)
    call = tuple(key)
    calls = store.last_calls if facts is store.last_facts and facts is not None else store.calls(facts)
    hit = calls.get(call)
    if hit is not None:
        if hit[1]:
            show.read.update(hit[1])  # type: ignore[union-attr]
        return hit[0]
    if show is None:
        text = macro(eval_ctx, *args, **kwargs)
        reads = _NO_READS
    else:
        before, outer = show.off, show.read
        show.read = set()
        try:
            text = macro(eval_ctx, *args, **kwargs)
        finally:
            inner = show.read
            show.read = outer
            outer.update(inner)
        if show.off is not before:  # the macro changed show: its text is not a function of the key
            return text
        reads = frozenset(inner)
    if type(text) is str:
        if len(calls) >= MAX_CALLS:
            calls.clear()
        calls[call] = (text, reads)
    return text


class Remembering:
    """The stand-in for a macro in ``m``: remembers its texts; any attribute is the macro's own."""

    __slots__ = ("__weakref__", "macro", "store")

    def __init__(self, macro: Macro, store: _Store) -> None:
        self.macro = macro
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.macro, name)

    def __repr__(self) -> str:
        return repr(self.macro)

    @jinja2.pass_eval_context
    def __call__(self, eval_ctx: EvalContext, *args: Any, **kwargs: Any) -> Any:
        return _remembered(self.store, self.macro, eval_ctx, args, kwargs)

    def call(self, context: Context, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """What ``context.call(self, *args, **kwargs)`` does, without asking how to call (see env._Context)."""
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return _remembered(self.store, self.macro, context.eval_ctx, args, kwargs)
        except StopIteration:
            return context.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class MemoModule:
    """A macros module (``m`` in templates) whose macros remember their texts (see the module docstring).

    Every exported name of the module is an attribute, macros replaced by their remembering stand-ins.
    """

    def __init__(self, template: jinja2.Template) -> None:
        module = template.module  # runs the template's top level, as ``{% import %}`` would
        store = _Store()
        for name, value in vars(module).items():
            setattr(self, name, Remembering(value, store) if type(value) is Macro else value)
        self._module = module
        self._store = store

    def __str__(self) -> str:
        return str(self._module)

    def __html__(self) -> Any:
        return self._module.__html__()

    def __repr__(self) -> str:
        return repr(self._module)


_MODULES: weakref.WeakKeyDictionary[jinja2.Template, MemoModule] = weakref.WeakKeyDictionary()
_MODULES_LOCK = threading.Lock()


def memo_module(template: jinja2.Template) -> MemoModule:
    """The macros module of ``template`` whose macros remember their texts (one per loaded template).

    Raises what running the template's top level raises (like ``template.module``).
    """
    found = _MODULES.get(template)
    if found is None:
        with _MODULES_LOCK:
            found = _MODULES.get(template)
            if found is None:
                found = _MODULES[template] = MemoModule(template)
    return found


def clear() -> None:
    """Forget every remembered macro text."""
    with _MODULES_LOCK:
        _MODULES.clear()
