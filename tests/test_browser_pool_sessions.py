"""The browser pool's session files: saved at close, but not a second time for a run that already saved
its final state (after its receipt was recorded)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from kameng_filer.filing.browser_pool import BrowserPool

pytestmark = pytest.mark.browser

COOKIE = {"name": "later", "value": "1", "domain": "127.0.0.1", "path": "/"}


def _cookies(path: Path) -> set[str]:
    return {c["name"] for c in json.loads(path.read_text(encoding="utf-8"))["cookies"]}


def test_close_saves_open_sessions_but_not_one_already_saved_as_final(tmp_path: Path) -> None:
    async def main() -> tuple[set[str], set[str]]:
        pool = BrowserPool()
        try:
            done, going = tmp_path / "done.json", tmp_path / "going.json"
            finished = await pool.context(done)
            working = await pool.context(going)
            pool.save_session_soon(finished, done, final=True)  # this run recorded its receipt
            pool.save_session_soon(working, going)  # saved after login, still in use
            while not (done.exists() and going.exists()):  # both written before the state changes
                await asyncio.sleep(0.01)
            for ctx in (finished, working):  # the pages change the state afterwards
                await ctx.add_cookies([COOKIE])
        finally:
            await pool.close()
        return _cookies(done), _cookies(going)

    done, going = asyncio.run(main())
    assert "later" not in done  # the final save stands: close did not read the context again
    assert "later" in going  # a session still in use is saved again at close
