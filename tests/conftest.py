"""Shared fixtures: every test gets its own data folder and no real keyring."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kameng_filer.filing.browser_pool import SHARED_ENV
from tests.shared_chromium import SharedChromium

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "examples"
EXAMPLE_CASE = EXAMPLE_DIR / "case.yaml"

# after the session: no canary secret anywhere, nothing personal on public twins (tests/leakscan.py)
pytest_plugins = ["tests.leakscan"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--long``: the reliability suite's long mode (50 crash runs per channel, 10k fuzz examples)."""
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="long reliability mode: 50 crash runs per channel, 10k fuzz examples (local runs, not CI)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Remember the mode for modules that size their loops at import time (``tests.modes``)."""
    from tests import modes

    modes.LONG = bool(config.getoption("--long"))
    _hypothesis_profile(config)


def _hypothesis_profile(config: pytest.Config) -> None:
    """Hypothesis examples per test: ``ci`` (default: 80 each, about a thousand over the fuzz module) or
    ``long`` (10k each, with ``--long``).

    Tests that do not set ``max_examples`` themselves get the profile's; ``--hypothesis-profile``
    still wins when given.
    """
    from hypothesis import HealthCheck, settings

    relaxed = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile("ci", max_examples=80, deadline=None, suppress_health_check=relaxed)
    settings.register_profile("long", max_examples=10_000, deadline=None, suppress_health_check=relaxed)
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("long" if config.getoption("--long") else "ci")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("kameng-home")
    monkeypatch.setenv("KAMENG_HOME", str(home))
    # one OCR cache for the whole session: each screenshot is read once (kameng_filer/ocr/cache.py)
    monkeypatch.setenv("KAMENG_OCR_CACHE", str(tmp_path_factory.getbasetemp() / "ocr-cache"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return home


@pytest.fixture(scope="session")
def _shared_chromium() -> Iterator[SharedChromium]:
    """One Chromium for the whole session (per xdist worker), started on first use."""
    shared = SharedChromium()
    yield shared
    shared.stop()


@pytest.fixture(autouse=True)
def _chromium_for_browser_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests marked ``browser`` or ``slow`` file through the shared Chromium (``KAMENG_CHROMIUM_CDP``,
    inherited by the ``kameng`` processes they start) instead of launching one per run; a test that
    must launch its own deletes the variable (``monkeypatch.delenv``). ``KAMENG_TEST_OWN_CHROMIUM=1``
    turns sharing off for a run (to compare, or to rule it out)."""
    if os.environ.get("KAMENG_TEST_OWN_CHROMIUM"):
        return
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("slow"):
        shared: SharedChromium = request.getfixturevalue("_shared_chromium")
        monkeypatch.setenv(SHARED_ENV, shared.endpoint())


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
