"""The Jinja2 environment: the user's template folder first, then the built-in templates (cached).

Lookup order for a name such as ``card_platform/complaint.j2``:

1. ``<user_templates_dir()>/card_platform/complaint.j2`` (``$KAMENG_HOME/templates/…``) — a file with
   the same relative name overrides the built-in one;
2. the built-in ``kameng_filer.templates`` package;
3. ``builtin/<name>`` always reaches the built-in file, so an override may
   ``{% extends "builtin/card_platform/complaint.j2" %}`` and replace a single block;
4. packages named by plugins in the entry-point group ``kameng_filer.templates`` (a plugin ships
   ``<package>/<channel>/complaint.j2`` and registers ``<channel> = "<package>"``).

Every template runs in Jinja's sandbox (``jinja2.sandbox.SandboxedEnvironment``): a user template can
read the case data and call the filters, but not reach Python internals (``__globals__``, ``os``…);
trying raises ``jinja2.exceptions.SecurityError``, which rendering reports in Chinese with the file.
"""

from __future__ import annotations

import os
import time
import types
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.runtime import Macro
from jinja2.sandbox import SandboxedEnvironment

from kameng_filer import home, paths
from kameng_filer.render.facts import chronology
from kameng_filer.render.filters import FILTERS
from kameng_filer.render.memo import Remembering

BUILTIN_PACKAGE = "kameng_filer.templates"
BUILTIN_PREFIX = "builtin"
PLUGIN_GROUP = "kameng_filer.templates"


def _plugin_loaders() -> list[jinja2.BaseLoader]:
    """One loader per template package registered by a plugin (broken ones are skipped)."""
    from importlib.metadata import entry_points

    out: list[jinja2.BaseLoader] = []
    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            out.append(jinja2.PackageLoader(ep.value, "."))
        except (ImportError, ValueError):
            continue
    return out


BUILTIN_RECHECK_SECONDS = 1.0
"""How often a built-in template file is checked for changes (user templates: at every use)."""


class _BuiltinLoader(jinja2.PackageLoader):
    """The built-in templates; a changed file is noticed within ``BUILTIN_RECHECK_SECONDS``.

    Jinja checks a template's file for changes at every ``get_template`` (two ``stat`` calls); the
    built-in files only change when the package is edited or upgraded, so they are checked at most
    once a second. Templates in the user folder keep Jinja's check at every use.
    """

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        """``PackageLoader.get_source`` with a rate-limited up-to-date check."""
        source, filename, uptodate = super().get_source(environment, template)
        if uptodate is None:
            return source, filename, None
        last = [time.monotonic(), True]

        def up_to_date() -> bool:
            now = time.monotonic()
            if last[1] and now - last[0] < BUILTIN_RECHECK_SECONDS:
                return True
            last[0], last[1] = now, bool(uptodate())
            return last[1]

        return source, filename, up_to_date


_STOP_ITERATION = "value was undefined because a callable raised a StopIteration exception"


class _Context(jinja2.runtime.Context):
    """Jinja's context with a shorter way to call macros and built-in methods (same results).

    ``Context.call`` asks every callable whether it wants the context, the eval context or the
    environment passed first. A macro always takes the eval context and a built-in method (``list.append``)
    never takes anything, so those two are called directly; everything else goes the usual way.
    """

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """``Context.call`` (see the class docstring)."""
        kind = type(__obj)
        if kind is Macro:
            args = (__self.eval_ctx, *args)
        elif kind is _remembering_type:
            return __obj.call(__self, args, kwargs)
        elif kind is not _BUILTIN:
            return jinja2.runtime.Context.call(__self, __obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(_STOP_ITERATION)


_BUILTIN = type(len)
_remembering_type = Remembering


def _finalize(value: object) -> object:
    return "" if value is None else value


_SUBDIRS: dict[str, tuple[int, tuple[str, ...]]] = {}
"""User folder → (its modification time, its sub-folder names then): re-listed only when it changes."""


def _signature(user_dir: str) -> tuple[tuple[str, int], ...]:
    """Modification times of the user folder and its sub-folders: they change when a file is added.

    The folder is listed again only when its own modification time changed (adding or removing a
    sub-folder changes it); otherwise the sub-folders known from the last listing are stat'ed.
    """
    try:
        top = os.stat(user_dir).st_mtime_ns
        known = _SUBDIRS.get(user_dir)
        if known is None or known[0] != top:
            with os.scandir(user_dir) as entries:
                names = tuple(sorted(e.name for e in entries if e.is_dir()))
            _SUBDIRS[user_dir] = known = (top, names)
        sig = [("", top)] + [(name, os.stat(os.path.join(user_dir, name)).st_mtime_ns) for name in known[1]]
    except OSError:
        _SUBDIRS.pop(user_dir, None)
        return ()
    return tuple(sorted(sig))


_USER_DIRS: dict[tuple[str, bool], str] = {}
"""The workspace (``Home.key``) → ``str(paths.user_templates_dir())``, so the folder is not made on every call."""


MAX_REPEAT = 100_000
"""Longest text or list a template may build with ``*``; exponents of ``**`` are bounded as well."""


_INTERNAL_KINDS = (
    types.FunctionType,
    types.MethodType,
    type,
    types.CodeType,
    types.TracebackType,
    types.FrameType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    str,  # str.format / format_map are wrapped by the sandbox
)
_PLAIN: dict[type, bool] = {}
"""Type → True when the sandbox allows every public attribute of its objects (see ``_Sandbox.getattr``)."""


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, also refusing ``*`` and ``**`` that would build huge values (memory/CPU bombs).

    Attribute lookups are the hot path of rendering: for objects of plain data types (not functions,
    methods, classes, code, frames, generators or strings) and public names, the sandbox's checks can
    only say yes, so those lookups skip them. Everything else goes through ``SandboxedEnvironment``.
    """

    intercepted_binops = frozenset(["*", "**"])

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``SandboxedEnvironment.getattr`` with the shortcut described in the class docstring."""
        kind = type(obj)
        plain = _PLAIN.get(kind)
        if plain is None:
            plain = _PLAIN[kind] = not issubclass(kind, _INTERNAL_KINDS)
        if not plain or attribute[:1] == "_":
            return super().getattr(obj, attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError):
            return self.undefined(obj=obj, name=attribute)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """``SandboxedEnvironment.call``; macros (always safe to call) skip the checks."""
        kind = type(__obj)
        if kind is Macro or kind is _remembering_type:
            return __context.call(__obj, *args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        """``left * right`` / ``left ** right`` within bounds, else ``SecurityError``."""
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 64 and abs(left) > 1:
                raise jinja2.exceptions.SecurityError("exponent too large")
            return left**right
        for seq, count in ((left, right), (right, left)):
            if (
                isinstance(seq, str | list | tuple)
                and isinstance(count, int)
                and len(seq) * count > MAX_REPEAT
            ):
                raise jinja2.exceptions.SecurityError("repeated value too large")
        return left * right


@lru_cache(maxsize=8)
def _environment(user_dir: str, signature: tuple[tuple[str, int], ...]) -> jinja2.Environment:
    builtin = _BuiltinLoader(BUILTIN_PACKAGE, ".")
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(user_dir, encoding="utf-8"),
            builtin,
            jinja2.PrefixLoader({BUILTIN_PREFIX: builtin}),
            *_plugin_loaders(),
        ]
    )
    env = _Sandbox(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=_finalize,
        cache_size=512,
        auto_reload=True,
    )
    env.context_class = _Context
    env.filters.update(FILTERS)
    env.globals["chronology"] = chronology
    return env


def environment() -> jinja2.Environment:
    """The shared environment for the current user template folder (cached).

    A new environment is built when a file appears in or disappears from the user folder (or one of
    its sub-folders), so an override dropped in while a long-running process works is used at once;
    edits of existing files are picked up by Jinja's own modification-time check.
    """
    place = home.current().key  # the workspace (KAMENG_HOME, else the platform folder) places the folder
    user_dir = _USER_DIRS.get(place)
    signature = _signature(user_dir) if user_dir else ()
    if not signature:  # first call for this data folder, or the folder has gone: paths (re)creates it
        user_dir = _USER_DIRS[place] = str(paths.user_templates_dir())
        signature = _signature(user_dir)
    return _environment(user_dir, signature)


def cache_clear() -> None:
    """Forget every cached environment and compiled template."""
    _environment.cache_clear()
    _SUBDIRS.clear()
    _USER_DIRS.clear()
