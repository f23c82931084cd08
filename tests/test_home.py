"""``Home``: one workspace object built at the edge; ``KAMENG_HOME`` is read in one module only, and a
``Home`` installed with ``using`` moves every path (data, config, holidays, word list, templates) and
brings its own secrets, without touching the process environment (what the demo relies on)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import kameng_filer
from kameng_filer import home, paths, workdays
from kameng_filer.checks import lexicon
from kameng_filer.errors import SecretMissing
from kameng_filer.home import Home, using
from kameng_filer.secrets import env_name, get_secret

PACKAGE = Path(kameng_filer.__file__).parent
READS_ENV = re.compile(
    r"environ(\.get)?\(\s*[\"']KAMENG_HOME|environ\[\s*[\"']KAMENG_HOME|getenv\(\s*[\"']KAMENG_HOME"
)


def test_kameng_home_is_read_in_one_module() -> None:
    """Only ``home.py`` reads ``KAMENG_HOME`` (the twins and the web demo, which start servers in other
    threads, are the edge and may set it)."""
    allowed = {PACKAGE / "home.py", PACKAGE / "ui" / "demo.py"}
    readers = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p not in allowed and "twins" not in p.parts and READS_ENV.search(p.read_text(encoding="utf-8"))
    ]
    assert readers == []


def test_the_demo_leaves_the_environment_alone() -> None:
    """``kameng demo`` runs in its own ``Home``; it no longer sets ``KAMENG_HOME`` or passwords."""
    source = (PACKAGE / "demo.py").read_text(encoding="utf-8")
    assert "os.environ" not in source


def test_from_env_follows_kameng_home(tmp_path: Path) -> None:
    """``KAMENG_HOME`` places the data folder and config.yaml; without it the platform folders."""
    given = Home.from_env({"KAMENG_HOME": str(tmp_path)})
    assert given == Home.at(tmp_path) and given.config_candidates() == [tmp_path / "config.yaml"]
    platform = Home.from_env({})
    assert not platform.explicit and platform.data.name == "kameng-filer"
    assert len(platform.config_candidates()) == 2


def test_using_moves_every_path_and_back(kameng_home: Path, tmp_path: Path) -> None:
    """Inside ``using`` the toolkit works in the given folder; afterwards in ``KAMENG_HOME`` again."""
    other = tmp_path / "other"
    with using(Home.at(other)):
        assert paths.data_dir() == other and other.is_dir()
        assert paths.config_path() == other / "config.yaml"
        assert workdays.override_path() == other / "holidays.yaml"
        assert lexicon._user_path() == other / "lexicon.yaml"
        assert paths.user_templates_dir() == other / "templates"
        assert home.current().data == other
    assert paths.home_path() == kameng_home == Path(os.environ["KAMENG_HOME"])
    assert workdays.override_path() == kameng_home / "holidays.yaml"


def test_a_workspace_brings_its_own_secrets(tmp_path: Path) -> None:
    """Secrets given to a ``Home`` are found there only, not in the environment."""
    name = env_name("demo_channel", "alice")
    with using(Home.at(tmp_path, secrets={name: "s3cret"})):
        assert get_secret("demo_channel", "alice") == "s3cret"
    assert name not in os.environ
    with pytest.raises(SecretMissing):
        get_secret("demo_channel", "alice")
