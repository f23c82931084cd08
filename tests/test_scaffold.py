"""``kameng adapter new``'s templates are package data, linted and imported like code.

The scaffolded plugin is written to a temporary folder, checked by ruff with the project's own rules and its
modules imported in-process (``tests/test_plugin_external.py`` installs one and runs its own tests)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest
import yaml
from jinja2 import Environment

from kameng_filer import scaffold
from kameng_filer.errors import KamengError

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).with_name("ruff")


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scaffold.scaffold(
        "acme_lint", tmp_path_factory.mktemp("scaffold"), title="Acme 客服", with_profiles=True
    )


def test_every_template_is_placed_and_every_placement_has_a_template() -> None:
    shipped = {
        p.name for p in resources.files(scaffold.TEMPLATE_PACKAGE).iterdir() if p.name.endswith(".tmpl")
    }
    used = {source for source, _ in scaffold.LAYOUT + scaffold.PROFILES_LAYOUT}
    assert used == shipped


def test_the_templates_are_shipped_as_package_data() -> None:
    import tomllib

    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert scaffold.TEMPLATE_PACKAGE in tool["packages"]
    patterns = tool["package-data"][scaffold.TEMPLATE_PACKAGE]
    for source, _ in scaffold.LAYOUT + scaffold.PROFILES_LAYOUT:
        assert any(fnmatch(source, pat) for pat in patterns), source


def test_the_scaffold_writes_every_file_with_no_placeholder_left(plugin: Path) -> None:
    files = scaffold.files_of(plugin)
    assert "kameng_acme_lint/adapter.py" in files
    assert "kameng_acme_lint/profiles/__init__.py" in files
    assert "tests/test_acme_lint.py" in files
    assert len(files) == len(scaffold.LAYOUT) + len(scaffold.PROFILES_LAYOUT)
    for rel in files:
        text = (plugin / rel).read_text(encoding="utf-8")
        assert "${" not in text, rel
    assert "Acme 客服" in (plugin / "README.md").read_text(encoding="utf-8")


def test_the_scaffolded_python_passes_ruff(plugin: Path) -> None:
    proc = subprocess.run(
        # the project's rules, with the plugin's own folder as first-party code (as its author sees it)
        [
            str(RUFF),
            "check",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--config",
            f"src = [{str(plugin)!r}]",
            str(plugin),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_scaffolded_data_files_parse(plugin: Path) -> None:
    import tomllib

    meta = tomllib.loads((plugin / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["entry-points"]["kameng_filer.adapters"] == {
        "acme_lint": "kameng_acme_lint.adapter:AcmeLintAdapter"
    }
    assert "kameng_filer.profiles" in meta["project"]["entry-points"]
    schedule = yaml.safe_load(
        (plugin / "kameng_acme_lint/schedules/acme_lint.yaml").read_text(encoding="utf-8")
    )
    assert schedule["channel"] == "acme_lint"
    env = Environment()
    for purpose in ("complaint", "follow_up", "escalation", "review"):
        env.parse((plugin / f"kameng_acme_lint/templates/acme_lint/{purpose}.j2").read_text(encoding="utf-8"))


def test_the_scaffolded_modules_import(plugin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(plugin))
    try:
        adapter = importlib.import_module("kameng_acme_lint.adapter")
        twin = importlib.import_module("kameng_acme_lint.twin")
        assert adapter.AcmeLintAdapter.spec.name == "acme_lint"
        assert twin.create_twin is not None
        compile((plugin / "tests/test_acme_lint.py").read_text(encoding="utf-8"), "test_acme_lint.py", "exec")
    finally:
        for name in [m for m in sys.modules if m.startswith("kameng_acme_lint")]:
            del sys.modules[name]


@pytest.mark.parametrize("name", ["Acme", "a", "acme-shop", "1acme", "email"])
def test_a_bad_or_taken_name_is_a_clear_error(name: str, tmp_path: Path) -> None:
    with pytest.raises(KamengError) as err:
        scaffold.scaffold(name, tmp_path)
    assert "渠道" in err.value.message
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "kameng-plugin-acme-two").mkdir()
    with pytest.raises(KamengError, match="目录已存在"):
        scaffold.scaffold("acme_two", tmp_path)
