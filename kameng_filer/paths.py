"""Where the toolkit keeps its data: ``$KAMENG_HOME`` or the platformdirs user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The data folder (created on first use)."""
    env = os.environ.get("KAMENG_HOME")
    base = (
        Path(env).expanduser() if env else Path(platformdirs.user_data_dir("kameng-filer", appauthor=False))
    )
    base.mkdir(parents=True, exist_ok=True)
    return base


def sub(name: str) -> Path:
    """A sub-folder of the data folder (created on first use)."""
    p = data_dir() / name
    p.mkdir(parents=True, exist_ok=True)
    return p


def db_path() -> Path:
    """The SQLite database file."""
    return data_dir() / "kameng.sqlite3"


def config_path() -> Path:
    """The user's settings file (channels, SMTP, notification URLs; never secrets)."""
    return data_dir() / "config.yaml"


def blobs_dir() -> Path:
    """Content-addressed evidence store."""
    return sub("blobs")


def sessions_dir() -> Path:
    """Stored browser sessions (storage state files, mode 0600)."""
    p = sub("sessions")
    p.chmod(0o700)
    return p


def artifacts_dir() -> Path:
    """Screenshots, confirmation pages and prepared files per filing."""
    return sub("artifacts")


def user_templates_dir() -> Path:
    """Templates here override the built-in ones with the same relative name."""
    return sub("templates")


def user_profiles_dir() -> Path:
    """Site profiles written by the user."""
    return sub("profiles")


def user_schedules_dir() -> Path:
    """Policy overrides written by the user."""
    return sub("schedules")


def holidays_override_path() -> Path:
    """Optional file of extra holidays / make-up working days."""
    return data_dir() / "holidays.yaml"
