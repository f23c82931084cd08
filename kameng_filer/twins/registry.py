"""Twin names → their modules; start several twins at once as a ``TwinSet``.

Each twin module exposes ``create_twin(data_dir, **options)`` returning an object with
``start(port=0)``, ``stop()``, ``name``, ``title``, ``url``, ``host``, ``port`` and ``info()``.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol


class Twin(Protocol):
    """What every twin offers (web twins and the e-mail twin)."""

    name: str
    title: str

    def start(self, port: int = 0) -> Any: ...
    def stop(self) -> None: ...
    def info(self) -> dict[str, Any]: ...

    @property
    def url(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...


TWIN_MODULES: dict[str, str] = {
    "card_a": "kameng_filer.twins.card_a",
    "card_b": "kameng_filer.twins.card_b",
    "card_c": "kameng_filer.twins.card_c",
    "email": "kameng_filer.twins.email_twin",
    "gov12315": "kameng_filer.twins.gov12315",
    "heimao": "kameng_filer.twins.heimao",
    "association": "kameng_filer.twins.association",
}


class UnknownTwin(LookupError):
    """No twin by that name (message lists the known ones)."""


PLUGIN_GROUP = "kameng_filer.twins"
"""Entry-point group for plugins' twins: ``name = "package.module"`` (a module with ``create_twin``)."""


def _modules() -> dict[str, str]:
    from importlib.metadata import entry_points

    mods = dict(TWIN_MODULES)
    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        mods.setdefault(ep.name, ep.value)
    return mods


def available() -> list[str]:
    """Names of the twins whose module is installed, in registry order (then plugins' twins)."""
    out = []
    for name, mod in _modules().items():
        try:
            if importlib.util.find_spec(mod) is not None:
                out.append(name)
        except (ImportError, ValueError):
            continue
    return out


def create_twin(name: str, data_dir: Path | str, **options: Any) -> Twin:
    """A new (not yet started) twin ``name`` keeping its files under ``data_dir/<name>``."""
    known = available()
    if name not in known:
        raise UnknownTwin(f"没有名为 {name!r} 的孪生站点;可用:{', '.join(known)}")
    module = importlib.import_module(_modules()[name])
    return module.create_twin(Path(data_dir), **options)


class TwinSet(Mapping[str, Twin]):
    """Running twins by name (``twins["card_a"].url``); stops them all on exit."""

    def __init__(self, twins: dict[str, Twin]) -> None:
        self._twins = twins

    def __getitem__(self, name: str) -> Twin:
        return self._twins[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._twins)

    def __len__(self) -> int:
        return len(self._twins)

    def urls(self) -> dict[str, str]:
        """Name → URL (``smtp://127.0.0.1:port`` for the e-mail twin)."""
        return {name: twin.url for name, twin in self._twins.items()}

    def stop(self) -> None:
        """Stop every twin (in reverse start order)."""
        for twin in reversed(list(self._twins.values())):
            twin.stop()

    def __enter__(self) -> TwinSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> TwinSet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)


def start_twins(
    names: Iterable[str] | None = None,
    *,
    data_dir: Path | str,
    base_port: int | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> TwinSet:
    """Create and start twins (all available when ``names`` is None).

    Ports are ``base_port``, ``base_port+1``, … in order, or free ports when ``base_port`` is None.
    On any failure the twins already started are stopped again.
    """
    chosen = list(names) if names is not None else available()
    started: dict[str, Twin] = {}
    try:
        for i, name in enumerate(chosen):
            twin = create_twin(name, data_dir, **dict((options or {}).get(name, {})))
            twin.start(0 if base_port is None else base_port + i)
            started[name] = twin
    except BaseException:
        TwinSet(started).stop()
        raise
    return TwinSet(started)


async def astart_twins(
    names: Iterable[str] | None = None,
    *,
    data_dir: Path | str,
    base_port: int | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> TwinSet:
    """``start_twins`` from inside a running event loop."""
    return await asyncio.to_thread(
        start_twins, names, data_dir=data_dir, base_port=base_port, options=options
    )
