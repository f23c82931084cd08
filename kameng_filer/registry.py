"""Adapter registry: entry-point group ``kameng_filer.adapters`` (built-ins are registered the same way)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from kameng_filer.errors import AdapterNotFound, ConfigError

if TYPE_CHECKING:
    from kameng_filer.adapter import Adapter
    from kameng_filer.channels import ChannelSpec

GROUP = "kameng_filer.adapters"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def names() -> list[str]:
    """Every registered channel name, sorted."""
    return sorted(_entry_points())


@cache
def adapter_class(name: str) -> type[Adapter]:
    """The adapter class registered as ``name``; ``AdapterNotFound`` lists the known ones."""
    from kameng_filer.adapter import Adapter

    eps = _entry_points()
    if name not in eps:
        known = "、".join(names()) or "（无）"
        raise AdapterNotFound(f"未知渠道「{name}」。可用的渠道：{known}", hint="用 kameng adapters list 查看")
    try:
        cls = eps[name].load()
    except Exception as exc:  # a broken third-party plugin must not crash the CLI
        raise ConfigError(f"渠道插件「{name}」无法加载", detail=f"{type(exc).__name__}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ConfigError(f"渠道插件「{name}」不是 Adapter 子类", detail=repr(cls))
    if cls.spec.capabilities is None:
        cls.spec = replace(cls.spec, capabilities=implemented_capabilities(cls))
    return cls


CAPABILITY_METHODS = {"submit": "submit", "reconcile": "find_existing", "poll_status": "status", "follow_up": "follow_up"}
"""The adapter method behind each capability."""


def implemented_capabilities(cls: type[Adapter]) -> frozenset[str]:
    """For a declaration without ``capabilities``: its kind's defaults that the class implements.

    Done once when the adapter is loaded, so everything else reads the descriptor only.
    """
    from kameng_filer.adapter import Adapter
    from kameng_filer.channels import KIND_CAPABILITIES

    defaults = KIND_CAPABILITIES.get(cls.spec.kind, frozenset({"submit"}))
    return frozenset(
        cap
        for cap in defaults
        if cap not in CAPABILITY_METHODS
        or getattr(cls, CAPABILITY_METHODS[cap]) is not getattr(Adapter, CAPABILITY_METHODS[cap])
    )


def spec(name: str) -> ChannelSpec:
    """The declaration of channel ``name``."""
    return adapter_class(name).spec


def all_specs() -> list[ChannelSpec]:
    """Declarations of every registered channel that loads."""
    out = []
    for n in names():
        try:
            out.append(spec(n))
        except ConfigError:
            continue
    return out


def cache_clear() -> None:
    """Forget loaded entry points (after installing a plugin in-process)."""
    _entry_points.cache_clear()
    adapter_class.cache_clear()
