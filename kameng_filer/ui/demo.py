"""``kameng ui --demo``: the twins running and the bundled example disputes stored, ready to file from the page.

DEMO ONLY: the data folder is a separate ``demo`` folder, every channel points at its local twin, and
the page offers a button (labelled 演示) that lets the demo script read a captcha / SMS code from the
twin's test-only endpoint — the same stand-in ``kameng demo`` uses. Real filings never have it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kameng_filer.demo import (
    DEMO_CHANNELS,
    SECOND_CHANNELS,
    TWIN_OPTIONS,
    DemoAnswerer,
    configure_demo,
    demo_urls,
    example_case,
)


@contextmanager
def demo_workspace(home: Path) -> Iterator[DemoAnswerer]:
    """A fresh ``home`` (KAMENG_HOME while inside) with the twins started, config.yaml written and both
    example disputes stored; yields the demo's scripted answerer. Twins stop and the environment is
    restored afterwards."""
    from kameng_filer.store import Store
    from kameng_filer.twins.registry import start_twins

    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    previous = os.environ.get("KAMENG_HOME")
    os.environ["KAMENG_HOME"] = str(home)
    names: list[str] = []
    twins = None
    try:
        wanted = sorted({dc.twin for dc in DEMO_CHANNELS + SECOND_CHANNELS if dc.twin})
        twins = start_twins(wanted, data_dir=home / "twins", options=TWIN_OPTIONS)
        secrets = configure_demo(twins)
        os.environ.update(secrets)  # the web app's worker threads read the demo passwords from here
        names = list(secrets)
        store = Store.open()
        try:
            for which in ("", "second"):
                with example_case(which) as path:
                    store.import_case(path)
        finally:
            store.close()
        yield DemoAnswerer(demo_urls(twins))
    finally:
        for name in names:
            os.environ.pop(name, None)
        if twins is not None:
            twins.stop()
        if previous is None:
            os.environ.pop("KAMENG_HOME", None)
        else:
            os.environ["KAMENG_HOME"] = previous
