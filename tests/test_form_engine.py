"""The form engine's shape: the widget registry mirrors the profile's widget names, probe reporting is an
observer, control flags stay out of the field values, broad ``suppress(Exception)`` is justified, and
the browser / HTTP choice is made once (``ProfileAdapter.driver``)."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from kameng_filer.filing.form.reports import FILING, FieldReport, ProbeReport
from kameng_filer.filing.form.widgets import WIDGETS
from kameng_filer.filing.profile import Widget

ROOT = Path(__file__).resolve().parent.parent
FORM = [*sorted((ROOT / "kameng_filer/filing/form").glob("*.py")), ROOT / "kameng_filer/filing/formfill.py"]


def test_every_profile_widget_has_a_filler_and_no_filler_is_unreachable() -> None:
    assert set(WIDGETS) == set(typing.get_args(Widget))


def test_a_filing_observer_keeps_nothing_and_a_probe_report_keeps_every_entry() -> None:
    entry = FieldReport(key="title", label="标题", kind="field", ok=True)
    FILING.record(entry)
    assert not FILING.reporting
    entries: list[FieldReport] = []
    report = ProbeReport(entries)
    report.record(entry)
    assert report.reporting and entries == [entry]


def test_no_control_flag_is_written_into_the_field_values() -> None:
    for path in FORM:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"values\[\s*['\"]_", text), path.name
        assert not re.search(r"values\.(get|pop)\(\s*['\"]_", text), path.name


def test_every_broad_suppress_says_why() -> None:
    for path in FORM:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "suppress(Exception)" in line:
                said = "#" in line or lines[i - 1].strip().startswith("#")
                assert said, f"{path.name}:{i + 1}: narrow it or say why every exception is shrugged off"


def test_the_engine_is_split_into_small_modules() -> None:
    for path in FORM:
        assert len(path.read_text(encoding="utf-8").splitlines()) < 300, path.name


def test_web_chooses_browser_or_http_in_one_place() -> None:
    web = (ROOT / "kameng_filer/filing/web.py").read_text(encoding="utf-8")
    assert web.count('mode == "http"') == 1


@pytest.mark.parametrize("mode", ["browser", "http"])
def test_the_driver_follows_the_profile_mode(mode: str) -> None:
    from kameng_filer import registry
    from kameng_filer.filing.browser_site import BrowserDriver
    from kameng_filer.filing.http_api import HttpDriver

    adapter = registry.adapter_class("card_platform")({"profile": "card-a-twin", "mode": mode})
    driver = adapter.driver()
    assert isinstance(driver, HttpDriver if mode == "http" else BrowserDriver)
    assert driver.adapter is adapter and driver.prof.mode == mode
    assert adapter.can_reconcile() == driver.can_search() or not adapter.spec.can("reconcile")
