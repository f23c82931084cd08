"""Third parties extend the toolkit without touching its core: a generated plugin, installed into a fresh venv.

``kameng adapter new`` writes the package; a new virtual environment gets kameng-filer (editable, no
dependencies) and the plugin (``--no-deps --no-build-isolation``); the dependencies already installed
for this checkout are reused through a ``.pth`` file so nothing is downloaded. Then the plugin's own
tests run in that venv, and a case is filed through the plugin with that venv's ``kameng`` CLI against
the plugin's twin, started by that venv's ``kameng twins``. The plugin is a first-class channel: its
declared plan rule puts it into ``kameng plan``, ``kameng tick`` polls it (declared ``poll_status``, its
own status words) and follows up when its reply clock lapses, and ``kameng status`` lists it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import httpx
import pytest

from kameng_filer.timeutil import SHANGHAI
from tests.conftest import EXAMPLE_DIR, ROOT

pytestmark = pytest.mark.slow

NAME = "acme_shop"


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    """Run a command; fail the test with its output when it fails."""
    r = subprocess.run(
        cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=kw.pop("timeout", 180), **kw
    )
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout}\n{r.stderr}"
    return r


def _working_morning(days: int) -> str:
    """10:00 Shanghai time ``days`` or more days from now, moved to a Monday–Friday (ISO)."""
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, dtime(10, 0), tzinfo=SHANGHAI).isoformat()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh venv with kameng-filer and the generated plugin installed (module-scoped: built once)."""
    base = tmp_path_factory.mktemp("plugin")
    env = {**os.environ, "KAMENG_HOME": str(base / "home-scaffold")}
    run(
        [
            str(Path(sys.executable).parent / "kameng"),
            "adapter",
            "new",
            NAME,
            "--dir",
            str(base),
            "--title",
            "Acme 商城",
        ],
        env=env,
    )
    plugin = base / "kameng-plugin-acme-shop"
    venv_dir = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv_dir)])
    python = venv_dir / "bin" / "python"
    purelib = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    (purelib / "_kameng_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    run([*pip, "-e", str(ROOT)])
    run([*pip, "-e", str(plugin)])
    return {"python": python, "kameng": venv_dir / "bin" / "kameng", "plugin": plugin, "base": base}


def test_the_plugin_is_registered_only_in_its_venv(venv: dict[str, Path]) -> None:
    env = {**os.environ, "KAMENG_HOME": str(venv["base"] / "home-list")}
    data = json.loads(run([str(venv["kameng"]), "adapters", "list", "--json"], env=env).stdout)
    adapters = {a["name"]: a for a in data["adapters"]}
    assert adapters[NAME]["source"] == "插件 kameng-plugin-acme-shop"
    assert adapters[NAME]["kind"] == "http" and adapters["card_platform"]["source"] == "内置"
    from kameng_filer import registry

    assert NAME not in registry.names(), "the core's own environment is untouched"
    assert not (ROOT / "adapters" / f"{NAME}.py").exists()


def test_the_scaffold_passes_its_own_tests(venv: dict[str, Path]) -> None:
    r = run(
        [str(venv["python"]), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=venv["plugin"],
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert " passed" in r.stdout and "failed" not in r.stdout, r.stdout


def test_a_case_is_filed_through_the_plugin_with_the_toolkits_cli(
    venv: dict[str, Path], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "KAMENG_HOME": str(home)}
    port = free_port()
    twins = subprocess.Popen(
        [
            str(venv["kameng"]),
            "twins",
            "--only",
            NAME,
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "twins"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/_twin/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert twins.poll() is None, twins.communicate()
            assert time.monotonic() < deadline, "the plugin's twin did not start"
            time.sleep(0.2)
        (home / "config.yaml").write_text(f"channels:\n  {NAME}:\n    base_url: {url}\n", encoding="utf-8")
        case_dir = tmp_path / "case"
        shutil.copytree(EXAMPLE_DIR, case_dir)
        # planned like a built-in: the plugin's declared PlanRule puts it after the platform ticket
        plan = json.loads(run([str(venv["kameng"]), "plan", str(case_dir / "case.yaml"), "--json"], env=env).stdout)
        mine = [s for s in plan["steps"] if s["channel"] == NAME]
        assert len(mine) == 1 and mine[0]["after"] == "card_platform", plan
        assert "Acme 商城" in mine[0]["reason"]
        r = subprocess.run(
            [str(venv["kameng"]), "file", str(case_dir / "case.yaml"), "--channels", NAME, "--yes", "--json"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        filing = json.loads(r.stdout)["filings"][0]
        assert filing["channel"] == NAME and filing["state"] == "submitted"
        state = httpx.get(url + "/_twin/state", timeout=5).json()
        assert [s["number"] for s in state["submissions"]] == [filing["receipt"]["complaint_no"]]
        sub = state["submissions"][0]
        assert sub["fields"]["order_no"] == "KM20261102150012"
        assert "KM20261102150012" in sub["fields"]["subject"] and len(sub["files"]) == 4
        # filed once: the same command again is refused by the core's exactly-once record
        again = subprocess.run(
            [str(venv["kameng"]), "file", str(case_dir / "case.yaml"), "--channels", NAME, "--yes", "--json"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=120,
        )
        assert json.loads(again.stdout)["filings"][0]["state"] == "already_filed"
        assert len(httpx.get(url + "/_twin/state", timeout=5).json()["submissions"]) == 1
        number = filing["receipt"]["complaint_no"]
        # polled by kameng tick like a built-in (declared poll_status; its own status words)
        tick = [str(venv["kameng"]), "tick", "--json", "--now"]
        soon = _working_morning(1)
        first = json.loads(run([*tick, soon], env=env).stdout)
        polled = [e for e in first["polled"] if e["channel"] == NAME]
        assert polled and not polled[0].get("error"), first
        # the site's reply clock lapses: the tracker follows up (this site has no reply box: the person sends it)
        late = json.loads(run([*tick, _working_morning(20)], env=env).stdout)
        ups = [a for a in late["actions"] if a["kind"] == "follow_up" and a.get("channel") == NAME]
        assert ups and ups[-1]["status"] == "pending_person", late
        # the staff replies: the next poll reads the plugin's own word 已回复 as "replied"
        httpx.post(url + f"/_twin/operator/{number}", json={"action": "reply", "text": "已退款"}, timeout=5)
        after = json.loads(run([*tick, _working_morning(21)], env=env).stdout)
        seen = [e for e in after["polled"] if e["channel"] == NAME]
        assert seen and seen[0].get("raw") == "已回复", after
        status = json.loads(run([str(venv["kameng"]), "status", "--json"], env=env).stdout)
        assert NAME in json.dumps(status, ensure_ascii=False)
    finally:
        twins.send_signal(signal.SIGTERM)
        try:
            twins.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            twins.kill()
            twins.communicate()
    assert twins.returncode == 0
