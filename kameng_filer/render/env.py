"""The Jinja2 environment: the user's template folder first, then the built-in templates (cached).

Lookup order for a name such as ``card_platform/complaint.j2``:

1. ``<user_templates_dir()>/card_platform/complaint.j2`` (``$KAMENG_HOME/templates/…``) — a file with
   the same relative name overrides the built-in one;
2. the built-in ``kameng_filer.templates`` package;
3. ``builtin/<name>`` always reaches the built-in file, so an override may
   ``{% extends "builtin/card_platform/complaint.j2" %}`` and replace a single block.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from kameng_filer import paths
from kameng_filer.render.filters import FILTERS

BUILTIN_PACKAGE = "kameng_filer.templates"
BUILTIN_PREFIX = "builtin"


def _finalize(value: object) -> object:
    return "" if value is None else value


@lru_cache(maxsize=8)
def _environment(user_dir: str) -> jinja2.Environment:
    builtin = jinja2.PackageLoader(BUILTIN_PACKAGE, ".")
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(user_dir, encoding="utf-8"),
            builtin,
            jinja2.PrefixLoader({BUILTIN_PREFIX: builtin}),
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
    return env


def environment() -> jinja2.Environment:
    """The shared environment for the current user template folder (one per folder, cached)."""
    return _environment(str(paths.user_templates_dir()))


def cache_clear() -> None:
    """Forget every cached environment and compiled template."""
    _environment.cache_clear()
