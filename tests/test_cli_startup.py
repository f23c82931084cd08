"""CLI start-up: ``kameng --help`` imports no command module or heavy library; ``kameng check`` stays light.

Behavioural, not timed (``bench/bench_cli.py`` measures the wall time): each check runs the real entry
point in a fresh interpreter and reads which modules it imported. Also: the generated command index
matches the real commands, the lazy ``--help`` renders exactly like an eager app, and every command's
own ``--help`` works.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from kameng_filer.cli import KamengGroup, app
from kameng_filer.cli.command_index import INDEX
from kameng_filer.cli.gen_index import build_index, eager_app, render_index

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-03T10:00:00"
# libraries that only some commands need
HEAVY = (
    "sqlalchemy",
    "alembic",
    "playwright",
    "apscheduler",
    "jinja2",
    "httpx",
    "apprise",
    "fpdf",
    "keyring",
    "chinese_calendar",
    "starlette",
    "uvicorn",
    "aiosmtpd",
)
# run the console script's code, then report every imported module on stderr as the last line (JSON)
RUNNER = """
import json, sys
sys.argv = ["kameng", *sys.argv[1:]]
from kameng_filer.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""
EAGER = """
import sys
from kameng_filer.cli import app
from kameng_filer.cli.gen_index import eager_app
sys.argv = ["kameng", *sys.argv[1:]]
eager_app(app)()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}


def run_cli(*args: str) -> tuple[int, str, set[str]]:
    """Run ``kameng ARGS`` in a fresh interpreter: exit code, stdout and the set of imported modules."""
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, timeout=120, env=_env()
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], proc.stdout, set(report["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    """The heavy libraries among ``modules`` (by top-level package)."""
    tops = {m.split(".")[0] for m in modules}
    return sorted(t for t in HEAVY if t in tops)


def test_help_imports_no_command_module_and_no_heavy_library() -> None:
    code, out, modules = run_cli("--help")
    assert code == 0
    assert "check" in out and "adapters" in out
    assert heavy_in(modules) == []
    assert {"PIL", "yaml"}.isdisjoint(m.split(".")[0] for m in modules)
    assert sorted(m for m in modules if m.endswith("_cmds")) == []
    for pkg in ("kameng_filer.store", "kameng_filer.case", "kameng_filer.checks", "kameng_filer.render"):
        assert pkg not in modules


def test_no_arguments_shows_help_without_loading_commands() -> None:
    code, out, modules = run_cli()
    assert code == 2  # click's "no args is help" exit code, unchanged
    assert "check" in out
    assert heavy_in(modules) == []


def test_help_matches_an_app_that_imports_every_command() -> None:
    lazy = subprocess.run(
        [sys.executable, "-c", RUNNER, "--help"], capture_output=True, text=True, env=_env()
    )
    eager = subprocess.run(
        [sys.executable, "-c", EAGER, "--help"], capture_output=True, text=True, env=_env()
    )
    assert eager.returncode == 0, eager.stderr
    assert lazy.stdout == eager.stdout
    for name, _module, text in INDEX:
        assert name in lazy.stdout and text and text[:8] in lazy.stdout


def test_check_imports_only_what_checking_needs(example_case: Path) -> None:
    code, out, modules = run_cli("check", str(example_case), "--now", NOW)
    assert code == 0
    assert "没有错误，可以提交" in out
    assert heavy_in(modules) == []
    assert "kameng_filer.store.store" not in modules
    assert "kameng_filer.render.engine" not in modules  # the render package itself loads its parts lazily
    loaded_cmds = sorted(m.rsplit(".", 1)[1] for m in modules if m.endswith("_cmds"))
    assert loaded_cmds == ["case_cmds"]


def test_command_index_is_up_to_date() -> None:
    fresh = build_index(app)
    assert list(INDEX) == fresh, "run: python -m kameng_filer.cli.gen_index --write"
    text = (ROOT / "kameng_filer" / "cli" / "command_index.py").read_text(encoding="utf-8")
    assert text == render_index(fresh), "run: python -m kameng_filer.cli.gen_index --write"
    assert {module for _, module, _ in INDEX} == set(KamengGroup.modules)


def _all_paths(group: TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, cmd in group.commands.items():
        paths.append((*prefix, name))
        if isinstance(cmd, TyperGroup):
            paths.extend(_all_paths(cmd, (*prefix, name)))
    return paths


EAGER_PATHS = _all_paths(typer.main.get_group(eager_app(app)))


def test_eager_paths_cover_the_sub_groups() -> None:
    assert ("check",) in EAGER_PATHS
    assert ("adapter", "try") in EAGER_PATHS and ("notify", "add") in EAGER_PATHS
    assert ("adapters", "list") in EAGER_PATHS


@pytest.mark.parametrize("path", EAGER_PATHS, ids=[" ".join(p) for p in EAGER_PATHS])
def test_every_command_help_works(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert f"用法：kameng {' '.join(path)}" in " ".join(result.output.split())


def test_unknown_command_still_suggests_close_names() -> None:
    result = CliRunner().invoke(app, ["chek"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 2
    assert "没有这个命令：chek" in result.output and "kameng check" in result.output


def test_module_missing_from_the_index_still_lists_and_runs() -> None:
    class Partial(KamengGroup):
        index = tuple(e for e in INDEX if e[1] != "plan_cmds")

    partial = typer.Typer(name="kameng", cls=Partial, **KamengGroup.app_settings)
    partial.callback()(lambda: None)
    runner = CliRunner()
    listing = runner.invoke(partial, ["--help"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert listing.exit_code == 0, listing.output
    assert "plan " in listing.output and "letter " in listing.output and "adapters" in listing.output
    assert runner.invoke(partial, ["letter", "--help"]).exit_code == 0
