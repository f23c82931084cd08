"""The Jinja2 environment: the user's template folder first, then the built-in templates (cached).

Lookup order for a name such as ``card_platform/complaint.j2``:

1. ``<user_templates_dir()>/card_platform/complaint.j2`` (``$KAMENG_HOME/templates/…``) — a file with
   the same relative name overrides the built-in one;
2. the built-in ``kameng_filer.templates`` package;
3. ``builtin/<name>`` always reaches the built-in file, so an override may
   ``{% extends "builtin/card_platform/complaint.j2" %}`` and replace a single block;
4. packages named by plugins in the entry-point group ``kameng_filer.templates`` (a plugin ships
   ``<package>/<channel>/complaint.j2`` and registers ``<channel> = "<package>"``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import jinja2

from kameng_filer import paths
from kameng_filer.render.facts import chronology
from kameng_filer.render.filters import FILTERS

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


def _finalize(value: object) -> object:
    return "" if value is None else value


def _signature(user_dir: Path) -> tuple[tuple[str, int], ...]:
    """Modification times of the user folder and its sub-folders: they change when a file is added."""
    try:
        sig = [("", user_dir.stat().st_mtime_ns)]
        with os.scandir(user_dir) as entries:
            sig += [(e.name, e.stat().st_mtime_ns) for e in entries if e.is_dir()]
    except OSError:
        return ()
    return tuple(sorted(sig))


@lru_cache(maxsize=8)
def _environment(user_dir: str, signature: tuple[tuple[str, int], ...]) -> jinja2.Environment:
    builtin = jinja2.PackageLoader(BUILTIN_PACKAGE, ".")
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(user_dir, encoding="utf-8"),
            builtin,
            jinja2.PrefixLoader({BUILTIN_PREFIX: builtin}),
            *_plugin_loaders(),
        ]
    )
    env = jinja2.Environment(
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
    env.filters.update(FILTERS)
    env.globals["chronology"] = chronology
    return env


def environment() -> jinja2.Environment:
    """The shared environment for the current user template folder (cached).

    A new environment is built when a file appears in or disappears from the user folder (or one of
    its sub-folders), so an override dropped in while a long-running process works is used at once;
    edits of existing files are picked up by Jinja's own modification-time check.
    """
    user_dir = paths.user_templates_dir()
    return _environment(str(user_dir), _signature(user_dir))


def cache_clear() -> None:
    """Forget every cached environment and compiled template."""
    _environment.cache_clear()
