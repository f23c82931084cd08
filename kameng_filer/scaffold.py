"""``kameng adapter new NAME``: scaffold a plugin package that adds a channel without touching the core.

The package registers itself through entry points — ``kameng_filer.adapters`` (the adapter class),
``kameng_filer.templates`` (its complaint texts), ``kameng_filer.schedules`` (its deadline policy),
``kameng_filer.twins`` (its local twin, so ``kameng twins --only NAME`` runs it) and, with
``--profiles``, ``kameng_filer.profiles`` (site profiles it ships). It installs with ``pip install -e``
and passes its own tests out of the box: plan is pure, texts render for every purpose, the schedule
loads, and a case is filed against the twin through the toolkit's own filing pipeline.

The files are ``string.Template`` sources (``${name}``; a literal dollar is ``$$``) in the package-data folder
``kameng_filer/scaffold_templates``; ``LAYOUT`` says where each one goes. ``tests/test_scaffold.py`` scaffolds a
plugin, runs ruff over it and imports its modules, so the templates are linted and tested like code.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template

from kameng_filer.errors import KamengError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

TEMPLATE_PACKAGE = "kameng_filer.scaffold_templates"

LAYOUT: tuple[tuple[str, str], ...] = (
    ("pyproject.toml.tmpl", "pyproject.toml"),
    ("README.md.tmpl", "README.md"),
    ("package_init.py.tmpl", "${pkg}/__init__.py"),
    ("adapter.py.tmpl", "${pkg}/adapter.py"),
    ("twin.py.tmpl", "${pkg}/twin.py"),
    ("templates_init.py.tmpl", "${pkg}/templates/__init__.py"),
    ("complaint.j2.tmpl", "${pkg}/templates/${name}/complaint.j2"),
    ("follow_up.j2.tmpl", "${pkg}/templates/${name}/follow_up.j2"),
    ("escalation.j2.tmpl", "${pkg}/templates/${name}/escalation.j2"),
    ("review.j2.tmpl", "${pkg}/templates/${name}/review.j2"),
    ("schedules_init.py.tmpl", "${pkg}/schedules/__init__.py"),
    ("schedule.yaml.tmpl", "${pkg}/schedules/${name}.yaml"),
    ("conftest.py.tmpl", "tests/conftest.py"),
    ("test_channel.py.tmpl", "tests/test_${name}.py"),
)
"""Template file -> where it goes in the plugin (both ``string.Template`` patterns)."""

PROFILES_LAYOUT = (("profiles_init.py.tmpl", "${pkg}/profiles/__init__.py"),)
"""Written only with ``--profiles``."""


def template_text(name: str) -> str:
    """The source of one scaffold template (package data)."""
    return resources.files(TEMPLATE_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def scaffold(name: str, folder: Path, *, title: str | None = None, with_profiles: bool = False) -> Path:
    """Write the plugin package for channel ``name`` under ``folder``; returns the package root."""
    if not NAME_RE.match(name):
        raise KamengError(
            f"渠道名「{name}」不合适",
            hint="用小写字母开头，只含小写字母、数字和下划线，2–40 个字符，如 acme_shop",
        )
    from kameng_filer import registry

    if name in registry.names():
        raise KamengError(f"已经有名为「{name}」的渠道", hint="换一个名字（kameng adapters list 查看已有的）")
    dist = "kameng-plugin-" + name.replace("_", "-")
    pkg = f"kameng_{name}"
    root = folder / dist
    if root.exists():
        raise KamengError(f"目录已存在：{root}", hint="换一个 --dir，或先删除它")
    values = {
        "name": name,
        "title": title or f"{name} 客服投诉",
        "dist": dist,
        "pkg": pkg,
        "cls": f"{_camel(name)}Adapter",
        "twin_cls": f"{_camel(name)}Twin",
        "prefix": re.sub(r"[^A-Z]", "", name.upper())[:2] or "PL",
        "profiles_ep": f'\n[project.entry-points."kameng_filer.profiles"]\n{name} = "{pkg}.profiles"\n'
        if with_profiles
        else "",
        "profiles_pkg": f', "{pkg}.profiles"' if with_profiles else "",
        "profiles_data": f'\n"{pkg}.profiles" = ["*.yaml"]' if with_profiles else "",
    }

    for source, target in LAYOUT + (PROFILES_LAYOUT if with_profiles else ()):
        path = root / Template(target).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template_text(source)).substitute(values), encoding="utf-8")
    return root


def files_of(root: Path) -> list[str]:
    """The scaffold's files, relative, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
