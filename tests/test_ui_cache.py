"""The workspace's page caches never show stale data: every input of a row changes the next view.

Each test changes one input (a status read, a new timeline event, a deadline passing, midnight, the
holiday file, the case file edited by hand, an allowed evidence file outside the case folder) and
reads the page again through the real app on 127.0.0.1. The home page's data is also compared with a
fresh build by the engine (no cache), and a change to one case must leave the other case's rows as
they were (built once, not rebuilt).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker import repo
from kameng_filer.tracker.models import DbDeadline
from kameng_filer.ui import UiServer, create_app, views
from kameng_filer.ui.readstore import open_store
from tests.ui_support import CASE, NOW, logged_in, seed_home

OTHER = "km-2026-0002"
CLOCK = [NOW]
"""The workspace's clock in this file (tests move it)."""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example case (filed on 12315 and heimao) and a second case with the same filings."""
    home = seed_home(tmp_path_factory.mktemp("ui-cache"))
    folder = home.parent / f"{home.name}-other"
    shutil.copytree(home.parent / f"{home.name}-case", folder)
    text = (folder / "case.yaml").read_text(encoding="utf-8")
    (folder / "case.yaml").write_text(text.replace(f"id: {CASE}", f"id: {OTHER}"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(home))
        from kameng_filer.tracker.testing import record_submitted
        from kameng_filer.tracker.tick import run_pass

        filed = parse_iso("2026-11-11T09:00:00")
        with writable() as store:
            store.import_case(folder / "case.yaml")
            record_submitted(store, OTHER, "12315", "3301102026111100000000002", filed)
            run_pass(store, filed)
    return home


@pytest.fixture(autouse=True)
def _home(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KAMENG_HOME", str(seeded))
    CLOCK[0] = NOW
    yield
    CLOCK[0] = NOW


@pytest.fixture(scope="module")
def server(seeded: Path) -> Iterator[UiServer]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(seeded))
        with UiServer(create_app(now=lambda: CLOCK[0])) as srv:
            yield srv


@pytest.fixture
def client(server: UiServer) -> Iterator[httpx.Client]:
    with logged_in(server) as c:
        yield c


@pytest.fixture
def case_file(seeded: Path) -> Iterator[Path]:
    """The example case's file on disk (the source of its stored version), restored afterwards."""
    file = seeded.parent / f"{seeded.name}-case" / "case.yaml"
    before = file.read_text(encoding="utf-8")
    yield file
    file.write_text(before, encoding="utf-8")


@contextmanager
def writable() -> Iterator[Store]:
    """The local store opened for writing (as the CLI and the tracker write), closed afterwards."""
    store = Store.open()
    try:
        yield store
    finally:
        store.close()


def _fresh(now) -> list[dict]:
    """The home page's case rows built by the engine without any cache."""
    with open_store() as store:
        return [
            {
                "id": s["case"],
                "title": s["title"],
                "version": s["version"],
                "filings": [views.filing_row(f, now) for f in s["filings"]],
            }
            for s in views.statuses(store, now)
        ]


def _fresh_page(server: UiServer, now) -> str:
    """The home page as the app renders it, from data built without any cache and with no rendered
    part reused (the oracle the served page must equal)."""
    from kameng_filer.timeutil import as_shanghai
    from kameng_filer.ui import security
    from kameng_filer.ui.app import _env

    at = as_shanghai(now)
    rows = _fresh(at)
    with open_store() as store:
        deadlines = [d for s in views.statuses(store, at) for d in views.open_deadlines(s, at)]
    deadlines.sort(key=lambda d: d["due_iso"])
    env = _env()
    env.globals["once"] = lambda value, macro, *args: macro(value, *args)
    return env.get_template("home.html").render(
        csrf=security.csrf_token(server.app.state.token),
        path="/",
        title="我的纠纷",
        now=f"{at:%Y-%m-%d %H:%M}",
        cases=[views.Row(r) for r in rows],
        deadlines=deadlines,
    )


def _forget() -> None:
    """Drop everything the workspace remembers (pages, rows, rendered parts, checks, texts, .ics)."""
    from kameng_filer.ui import casecheck, casefiles, htmlcache, ics

    for kept in (
        views._HOME,
        views._PAGES,
        views._STORED,
        views._TEXTS,
        casecheck._CACHE,
        casecheck._PARSED,
        casefiles._FOUND,
        htmlcache._KEPT,
    ):
        kept.clear()
    views._CASES.clear()
    ics._event.cache_clear()


def _as_fresh(client: httpx.Client, *paths: str) -> None:
    """Each page as served now equals the same page served after everything remembered was dropped."""
    served = [client.get(p).text for p in paths]
    _forget()
    assert [client.get(p).text for p in paths] == served


PAGES = ("/", f"/cases/{CASE}", f"/cases/{OTHER}", "/deadlines.ics", f"/cases/{CASE}/edit")


def _cached(now) -> dict:
    with open_store() as store:
        return views.home(store, now)


def _filing(case_id: str, channel: str) -> int:
    with writable() as store:
        return next(f.id for f in store.filings(case_id) if f.channel == channel)


def _countdowns(html: str) -> list[str]:
    return re.findall(r"还剩 \d+ 个工作日|已逾期", html)


def test_status_read_on_one_case_rebuilds_only_that_case(client: httpx.Client, server: UiServer) -> None:
    before = _cached(NOW)
    assert client.get("/").status_code == 200
    other_row = next(c for c in before["cases"] if c["id"] == OTHER)
    with writable() as store:
        repo.update_tracking(store, _filing(CASE, "heimao"), last_raw="商家已受理，等待处理结果")
    page = client.get("/").text
    assert "商家已受理，等待处理结果" in page
    assert page == _fresh_page(server, NOW)
    after = _cached(NOW)
    assert after["cases"] == _fresh(NOW)
    assert next(c for c in after["cases"] if c["id"] == OTHER) is other_row  # not rebuilt
    _as_fresh(client, *PAGES)


def test_new_timeline_event_shows_on_dispute_page_and_other_page_stays(client: httpx.Client) -> None:
    with open_store() as store:
        other_page = views.case_page(store, OTHER, NOW)
    assert "备注一：已电话联系商家" not in client.get(f"/cases/{CASE}").text
    with writable() as store:
        store.add_event(CASE, "note", {"text": "备注一：已电话联系商家"})
    assert "备注一：已电话联系商家" in client.get(f"/cases/{CASE}").text
    with open_store() as store:
        assert views.case_page(store, OTHER, NOW) is other_page  # another case's change: same page
    _as_fresh(client, *PAGES)


def test_deadline_passing_the_same_day_turns_the_row_overdue(client: httpx.Client, server: UiServer) -> None:
    due = NOW + timedelta(hours=2)
    fid = _filing(OTHER, "12315")
    with writable() as store:
        with store.transaction() as s:
            s.execute(
                update(DbDeadline)
                .where(DbDeadline.filing_id == fid, DbDeadline.state == "due")
                .values(due_at=due)
            )
        rows = repo.deadlines_of(store, [fid])
    assert any(r.state == "due" for r in rows)
    home = client.get("/").text
    ics = client.get("/deadlines.ics").text
    assert f"DTSTART:{due.astimezone(UTC):%Y%m%dT%H%M%S}Z" in ics.replace("\r\n ", "")
    assert _cached(NOW)["cases"] == _fresh(NOW)
    CLOCK[0] = due + timedelta(seconds=30)  # same day, two hours later: only that deadline passed
    later = client.get("/").text
    assert later.count("已逾期") > home.count("已逾期")
    assert later == _fresh_page(server, CLOCK[0])
    _as_fresh(client, *PAGES)


def test_midnight_moves_every_countdown(client: httpx.Client, server: UiServer) -> None:
    evening = parse_iso("2026-11-12T23:59:00")  # Thursday; Friday is a working day
    CLOCK[0] = evening
    first = _countdowns(client.get("/").text)
    CLOCK[0] = evening + timedelta(minutes=2)
    page = client.get("/").text
    assert first != _countdowns(page)
    assert page == _fresh_page(server, CLOCK[0])
    _as_fresh(client, *PAGES)


def test_holiday_file_changes_the_countdown(client: httpx.Client, server: UiServer) -> None:
    from kameng_filer import paths

    first = _countdowns(client.get("/").text)
    holidays = paths.holidays_override_path()
    holidays.write_text("2026:\n  holidays:\n    - 2026-11-13..2026-11-20\n", encoding="utf-8")
    try:
        page = client.get("/").text
        assert _countdowns(page) != first
        assert page == _fresh_page(server, NOW)
        _as_fresh(client, *PAGES)
    finally:
        holidays.unlink()
    assert _countdowns(client.get("/").text) == first


def test_hand_edit_of_the_case_file_shows_on_the_dispute_page(client: httpx.Client, case_file: Path) -> None:
    assert "证据文件不存在" not in client.get(f"/cases/{CASE}").text
    text = case_file.read_text(encoding="utf-8")
    case_file.write_text(text.replace("file: evidence/chat.png", "file: evidence/gone.png"), encoding="utf-8")
    assert "证据文件不存在" in client.get(f"/cases/{CASE}").text
    _as_fresh(client, *PAGES)


def _outside_chat(case_file: Path, outside: Path, written: str) -> Path:
    """A copy of the chat screenshot in ``outside`` (a folder the case allows), named ``written`` in
    the case file; returns the copy."""
    outside.mkdir(exist_ok=True)
    shot = outside / "chat.png"
    shutil.copyfile(case_file.parent / "evidence" / "chat.png", shot)
    text = case_file.read_text(encoding="utf-8").replace("file: evidence/chat.png", f"file: {written}")
    case_file.write_text(f"{text}\nallow_outside: [{outside}]\n", encoding="utf-8")
    return shot


def test_allowed_evidence_outside_the_case_folder_is_watched(
    client: httpx.Client, case_file: Path, tmp_path: Path
) -> None:
    shot = _outside_chat(case_file, tmp_path / "截图", str(tmp_path / "截图" / "chat.png"))
    page = client.get(f"/cases/{CASE}").text
    edit = client.get(f"/cases/{CASE}/edit").text
    assert "证据文件不存在" not in page and "证据文件不存在" not in edit
    shot.unlink()  # only the allowed folder outside changes: the case folder and file stay as they were
    assert "证据文件不存在" in client.get(f"/cases/{CASE}").text
    assert "证据文件不存在" in client.get(f"/cases/{CASE}/edit").text
    shot.write_bytes(b"\x00\x01 neither an image nor text")
    page = client.get(f"/cases/{CASE}").text
    assert "证据文件不存在" not in page and "证据文件不可用" in page
    _as_fresh(client, *PAGES)


@pytest.mark.parametrize(
    "line", ["a" * 75, "a" * 76, "中" * 25, "中" * 26, "a" * 74 + "中", "x" * 300 + "期" * 90]
)
def test_ics_fold_keeps_lines_within_75_octets(line: str) -> None:
    from kameng_filer.ui.ics import fold

    parts = fold(line).split("\r\n ")
    assert "".join(parts) == line
    assert all(len(p.encode()) <= (75 if i == 0 else 74) for i, p in enumerate(parts))


def test_new_version_with_a_new_title_shows_everywhere(
    client: httpx.Client, server: UiServer, case_file: Path
) -> None:
    text = case_file.read_text(encoding="utf-8")
    case_file.write_text(
        text.replace("title: 王者荣耀点券充值未到账", "title: 点券未到账（第二版）"), encoding="utf-8"
    )
    assert "点券未到账（第二版）" not in client.get("/").text
    with writable() as store:
        store.import_case(case_file)
    page = client.get("/").text
    assert "点券未到账（第二版）" in page and "第 2 版" in page
    assert page == _fresh_page(server, NOW)
    assert "点券未到账（第二版）" in client.get(f"/cases/{CASE}").text
    assert "点券未到账（第二版）" in client.get("/deadlines.ics").text.replace("\r\n ", "")
    _as_fresh(client, *PAGES)


def test_evidence_through_a_linked_folder_is_watched(
    client: httpx.Client, case_file: Path, tmp_path: Path
) -> None:
    link = case_file.parent / "shots"
    link.symlink_to(tmp_path / "手机截图", target_is_directory=True)
    try:
        shot = _outside_chat(case_file, tmp_path / "手机截图", "shots/chat.png")
        assert "证据文件不存在" not in client.get(f"/cases/{CASE}").text
        shot.unlink()  # the folder walk does not follow the link: only the named file's stat sees this
        assert "证据文件不存在" in client.get(f"/cases/{CASE}").text
    finally:
        link.unlink()


def test_receipt_screenshot_removed_on_disk_is_no_longer_shown(client: httpx.Client, seeded: Path) -> None:
    heimao = _filing(CASE, "heimao")
    link = f"/cases/{CASE}/receipts/{heimao}"
    shot = next((seeded / "artifacts" / CASE).rglob("receipt-*.png"))
    assert link in client.get(f"/cases/{CASE}").text
    kept = shot.read_bytes()
    shot.unlink()
    try:
        assert link not in client.get(f"/cases/{CASE}").text
        _as_fresh(client, *PAGES)
    finally:
        shot.write_bytes(kept)
    assert link in client.get(f"/cases/{CASE}").text
