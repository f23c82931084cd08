"""Shared fixtures: every test gets its own data folder and no real keyring."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "examples"
EXAMPLE_CASE = EXAMPLE_DIR / "case.yaml"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("kameng-home")
    monkeypatch.setenv("KAMENG_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return home


@pytest.fixture
def kameng_home(_isolated_home: Path) -> Path:
    """This test's data folder (``KAMENG_HOME``)."""
    return _isolated_home


@pytest.fixture
def example_case(tmp_path: Path) -> Path:
    """A private copy of the bundled example case folder; returns the case.yaml path."""
    dest = tmp_path / "case"
    shutil.copytree(EXAMPLE_DIR, dest)
    return dest / "case.yaml"


# ---- twins (local replicas of the channels); each test gets its own running twin and data folder ----


@pytest.fixture
def card_a_twin(tmp_path: Path):
    """A running 卡盟 family-A twin (member 工单 + JSON API) on 127.0.0.1."""
    from kameng_filer.twins.card_a import CardATwin

    with CardATwin(tmp_path / "twins") as twin:
        yield twin


@pytest.fixture
def card_b_twin(tmp_path: Path):
    """A running 卡盟 family-B twin (guest complaint by order + SMS code) on 127.0.0.1."""
    from kameng_filer.twins.card_b import CardBTwin

    with CardBTwin(tmp_path / "twins") as twin:
        yield twin


@pytest.fixture
def email_twin(tmp_path: Path):
    """A running SMTP twin (aiosmtpd, no AUTH) on 127.0.0.1; ``.messages()`` lists what it accepted."""
    from kameng_filer.twins.email_twin import EmailTwin

    with EmailTwin(tmp_path / "twins") as twin:
        yield twin
