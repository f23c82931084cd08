"""The workspace (``Home``) and the one module that reads the workspace settings from the environment.

A ``Home`` says where one workspace lives: the data folder, where ``config.yaml`` is looked for, the
user's templates, site profiles, schedules, holiday file and word list, and secrets given for this
workspace only (the demo's accounts). The edge (CLI, demo, tests, web app) builds one — from
``KAMENG_HOME`` by default — and may install it for a block with ``using``; everything below asks
``current()``. No other module reads ``KAMENG_HOME``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

APP = "kameng-filer"
CONFIG_NAME = "config.yaml"
ENV_HOME = "KAMENG_HOME"
"""The environment variable naming the data folder (and then also the place of ``config.yaml``)."""


@dataclass(frozen=True)
class Home:
    """Where one workspace lives (nothing is created here; ``kameng_filer.paths`` creates folders)."""

    data: Path
    """The data folder: database, evidence, sessions, artifacts, user files."""
    explicit: bool = True
    """Chosen by the user or the caller (``KAMENG_HOME``): ``config.yaml`` then lives inside ``data``."""
    secrets: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Secret values by environment-variable name (``secrets.env_name``), for this workspace only."""

    @classmethod
    def at(cls, folder: Path | str, *, secrets: Mapping[str, str] | None = None) -> Home:
        """A workspace in ``folder`` (like ``KAMENG_HOME=folder``)."""
        return cls(Path(folder).expanduser(), True, dict(secrets or {}))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Home:
        """The workspace ``KAMENG_HOME`` names, else the platform's user data folder."""
        value = (os.environ if environ is None else environ).get(ENV_HOME)
        if value:
            return cls(Path(value).expanduser(), True)
        return cls(Path(platformdirs.user_data_dir(APP, appauthor=False)), False)

    @property
    def key(self) -> tuple[str, bool]:
        """What caches keyed by workspace compare."""
        return (str(self.data), self.explicit)

    def config_candidates(self) -> list[Path]:
        """Where ``config.yaml`` is looked for, first match wins."""
        if self.explicit:
            return [self.data / CONFIG_NAME]
        return [
            Path(platformdirs.user_config_dir(APP, appauthor=False)) / CONFIG_NAME,
            self.data / CONFIG_NAME,
        ]

    @property
    def templates(self) -> Path:
        """User templates (override the built-in ones with the same relative name)."""
        return self.data / "templates"

    @property
    def profiles(self) -> Path:
        """Site profiles written by the user."""
        return self.data / "profiles"

    @property
    def schedules(self) -> Path:
        """Deadline-policy overrides written by the user."""
        return self.data / "schedules"

    @property
    def holidays(self) -> Path:
        """Extra holidays / make-up working days."""
        return self.data / "holidays.yaml"

    @property
    def lexicon(self) -> Path:
        """The user's additions to the wording checks."""
        return self.data / "lexicon.yaml"


_ACTIVE: ContextVar[Home | None] = ContextVar("kameng_home", default=None)


def current() -> Home:
    """The workspace in use: the one installed with ``using`` in this context, else ``KAMENG_HOME``'s."""
    active = _ACTIVE.get()
    return active if active is not None else Home.from_env()


@contextmanager
def using(home: Home) -> Iterator[Home]:
    """Run the block (and the tasks and ``asyncio.to_thread`` calls it starts) in ``home``."""
    token = _ACTIVE.set(home)
    try:
        yield home
    finally:
        _ACTIVE.reset(token)
