"""CLI conventions: JSON errors on stdout, Chinese Click messages, global options, option names, packaging.

In-process (``CliRunner``) except where the process is the point (the console script's exit code).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from kameng_filer.cli import app, verbosity
from kameng_filer.cli.gen_index import eager_app

ENV = {"COLUMNS": "100", "NO_COLOR": "1"}
BAD = "nosuch-xyz"
# English phrases Click/Typer print by themselves
ENGLISH = re.compile(
    r"Usage:|Options|Arguments|Commands|Show this message|No such (command|option)|Missing (option|argument|"
    r"parameter|command)|Invalid value|Try '|Error|Did you mean|Possible options|Got unexpected|"
    r"requires an argument|\[required\]|\[default:|Aborted|Input should|is not one of|is not a valid|"
    r"Install completion|Show completion|<bool>|<str>|<int>|<path>"
)
ROOT = typer.main.get_group(eager_app(app))


def _walk(group: TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    found = []
    for name, cmd in group.commands.items():
        found.append(((*prefix, name), cmd))
        if isinstance(cmd, TyperGroup):
            found.extend(_walk(cmd, (*prefix, name)))
    return found


COMMANDS = _walk(ROOT)
JSON_COMMANDS = [(p, c) for p, c in COMMANDS if any("--json" in prm.opts for prm in c.params)]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that write to the current folder by default write into the test's folder."""
    monkeypatch.chdir(tmp_path)


def run(*args: str, input: str | None = None):
    """Invoke ``kameng ARGS`` in-process (separate stdout/stderr)."""
    return CliRunner().invoke(app, list(args), env=ENV, input=input)


def error_json(stdout: str) -> dict:
    """The ``error`` object of the single JSON document on stdout."""
    data = json.loads(stdout)
    assert "error" in data, data
    err = data["error"]
    assert {"code", "message", "hint"} <= set(err), err
    assert err["code"] and err["message"]
    assert not ENGLISH.search(err["message"]), err
    return err


def _bad_arguments(cmd) -> list[str]:
    """Required arguments and options of ``cmd``, each filled with a value that names nothing."""
    args: list[str] = []
    for prm in cmd.params:
        if prm.param_type_name == "argument":
            args.append(BAD)
        elif prm.required:
            args.extend([prm.opts[0], BAD])
    return args


# ---------------------------------------------------------------- --json errors


def test_introspection_finds_the_json_commands() -> None:
    names = {" ".join(p) for p, _ in JSON_COMMANDS}
    for expected in ("check", "status", "timeline", "report", "file", "export", "notify list", "evidence"):
        assert expected in names, names


@pytest.mark.parametrize("path", [p for p, _ in JSON_COMMANDS], ids=[" ".join(p) for p, _ in JSON_COMMANDS])
def test_usage_error_with_json_is_a_json_error_on_stdout(path: tuple[str, ...]) -> None:
    res = run(*path, "--json", "--no-such-option-x")
    assert res.exit_code == 2, res.output
    err = error_json(res.stdout)
    assert err["code"] == "usage"
    assert "--no-such-option-x" in err["message"]


SEMANTIC = [
    (p, c)
    for p, c in JSON_COMMANDS
    if any(prm.param_type_name == "argument" for prm in c.params) and p != ("new",)  # new: any name is fine
]


@pytest.mark.parametrize("path", [p for p, _ in SEMANTIC], ids=[" ".join(p) for p, _ in SEMANTIC])
def test_bad_argument_with_json_is_a_json_error_on_stdout(path: tuple[str, ...]) -> None:
    cmd = dict(COMMANDS)[path]
    res = run(*path, *_bad_arguments(cmd), "--json")
    assert res.exit_code != 0, res.output
    assert "Traceback" not in res.output
    err = error_json(res.stdout)
    assert err["code"] != "internal", err


NOW_COMMANDS = [
    (p, c) for p, c in JSON_COMMANDS if any("--now" in prm.opts for prm in c.params) and p != ("status",)
]


@pytest.mark.parametrize("path", [p for p, _ in NOW_COMMANDS], ids=[" ".join(p) for p, _ in NOW_COMMANDS])
def test_bad_now_with_json_is_a_json_error(path: tuple[str, ...], example_case: Path) -> None:
    cmd = dict(COMMANDS)[path]
    args = [str(example_case) if a == BAD else a for a in _bad_arguments(cmd)]
    res = run(*path, *args, "--now", "not-a-time", "--json")
    assert res.exit_code != 0
    error_json(res.stdout)


def test_known_json_error_cases(example_case: Path, tmp_path: Path) -> None:
    broken = tmp_path / "case.yaml"
    broken.write_text("case_id: [unclosed\n", encoding="utf-8")
    for args in (
        ["check", str(broken), "--json"],
        ["status", BAD, "--json"],
        ["timeline", BAD, "--json"],
        ["check", str(example_case), "--now", "bad", "--json"],
        ["evidence", BAD, "--format", "json"],
    ):
        res = run(*args)
        assert res.exit_code != 0, args
        error_json(res.stdout)
        assert res.stderr.strip() == "" or "错误" not in res.stderr


def test_json_errors_keep_text_errors_without_json() -> None:
    res = run("status", BAD)
    assert res.exit_code != 0
    assert res.stdout.strip() == ""
    assert "错误" in res.stderr


# ---------------------------------------------------------------- Chinese Click messages

BAD_INVOCATIONS = [
    (["chek"], "kameng check"),
    (["file", "x"], "--channels"),
    (["file", "x", "-c"], "-c"),
    (["file", "x", "-c", "a", "--retries", "abc"], "--retries"),
    (["file", "x", "-c", "a", "--retries", "99"], "10"),
    (["check"], "CASE"),
    (["check", "x", "--jsn"], "--json"),
    (["check", "a", "b"], "b"),
    (["evidence", "x", "--format", "xml"], "md"),
    (["notify", "ad"], "kameng notify add"),
    (["notify"], "add"),
    (["--nope"], "--nope"),
]


@pytest.mark.parametrize("args,expect", BAD_INVOCATIONS, ids=[" ".join(a) for a, _ in BAD_INVOCATIONS])
def test_usage_errors_are_chinese_with_suggestions(args: list[str], expect: str) -> None:
    res = run(*args)
    assert res.exit_code == 2, res.output
    assert not ENGLISH.search(res.output), res.output
    assert expect in res.output
    assert "Traceback" not in res.output


HELP_PATHS = [(), ("check",), ("file",), ("notify",), ("notify", "add"), ("adapter", "try"), ("export",)]


@pytest.mark.parametrize("path", HELP_PATHS, ids=[" ".join(p) or "kameng" for p in HELP_PATHS])
def test_help_screens_have_no_english_click_phrases(path: tuple[str, ...]) -> None:
    res = run(*path, "--help")
    assert res.exit_code == 0, res.output
    assert "用法：" in res.output and "选项" in res.output
    assert not ENGLISH.search(res.output), res.output


def test_every_command_help_is_chinese() -> None:
    for path, _ in COMMANDS:
        res = run(*path, "--help")
        assert res.exit_code == 0, (path, res.output)
        assert not ENGLISH.search(res.output), (path, res.output)


# ---------------------------------------------------------------- global options


def test_version() -> None:
    from kameng_filer import __version__

    res = run("--version")
    assert res.exit_code == 0
    assert res.stdout.strip() == f"kameng-filer {__version__}"


def test_verbose_and_quiet_set_the_level_and_reset_after(example_case: Path) -> None:
    seen: list[int] = []
    import kameng_filer.cli.case_cmds as case_cmds

    original = case_cmds.check_path

    def spy(*a, **kw):
        seen.append(verbosity.level())
        return original(*a, **kw)

    case_cmds.check_path = spy
    try:
        for flags in (["-q"], [], ["-v"], ["-vv"], ["--verbose"], ["--quiet"]):
            res = run(*flags, "check", str(example_case), "--now", "2026-11-03T10:00:00")
            assert res.exit_code == 0, res.output
    finally:
        case_cmds.check_path = original
    assert seen == [-1, 0, 1, 2, 1, -1]
    assert verbosity.level() == 0


def test_verbose_shows_technical_detail_and_logs_go_to_a_file(kameng_home: Path) -> None:
    quiet = run("status", BAD)
    assert quiet.exit_code != 0
    loud = run("-v", "status", BAD)
    assert "kameng_filer" in loud.stderr  # the log is mirrored on stderr
    log = kameng_home / "logs" / "kameng.log"
    assert log.is_file()
    text = log.read_text(encoding="utf-8")
    assert BAD in text and "退出码" in text
    assert (log.stat().st_mode & 0o777) == 0o600


def test_every_run_leaves_a_line_without_its_arguments(kameng_home: Path, example_case: Path) -> None:
    assert run("check", str(example_case), "--now", NOW).exit_code == 0
    text = (kameng_home / "logs" / "kameng.log").read_text(encoding="utf-8")
    assert "kameng check: 退出码 0" in text and str(example_case) not in text


def test_log_file_rotates(kameng_home: Path) -> None:
    from kameng_filer.cli import logfile

    (kameng_home / "logs").mkdir()
    (kameng_home / "logs" / "kameng.log").write_bytes(b"x" * (logfile.MAX_BYTES + 10))
    run("status", BAD)
    assert (kameng_home / "logs" / "kameng.log.1").is_file()


def test_unwritable_home_means_no_log_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("KAMENG_HOME", str(blocker / "home"))
    res = run("--help")
    assert res.exit_code == 0
    res = run("deadline", "--from", "2026-11-03T10:00:00", "--days", "3")
    assert "Logging error" not in res.output and "Traceback" not in res.output


def test_shell_completion_script() -> None:
    res = run("--show-completion", "bash")
    if res.exit_code != 0:  # older typer: the shell is detected, not given
        res = CliRunner().invoke(app, ["--show-completion"], env={**ENV, "SHELL": "/bin/bash"})
    assert res.exit_code == 0, res.output
    assert "_KAMENG_COMPLETE" in res.output


# ---------------------------------------------------------------- accounts before the confirmation

NOW = "2026-11-03T10:00:00"


def test_missing_accounts_are_reported_before_any_plan_or_prompt(example_case: Path) -> None:
    res = run("file", str(example_case), "-c", "card_platform@card-a-twin,12315", "--now", NOW, input="y\n")
    assert res.exit_code != 0
    out = res.output
    assert "没有配置登录账号" in out and "card_platform@card-a-twin" in out and "12315" in out
    assert "kameng login 12315 --account" in out and "config.yaml" in out
    assert "确认" not in out and "目标" not in out  # nothing shown for confirmation
    assert "账号  的密码" not in out and "KAMENG_SECRET_12315_\n" not in out


def test_missing_password_names_the_account_env_and_login(example_case: Path, kameng_home: Path) -> None:
    (kameng_home / "config.yaml").write_text(
        'channels:\n  "12315":\n    account: demo-user\n', encoding="utf-8"
    )
    res = run("file", str(example_case), "-c", "12315", "--now", NOW, "--json")
    assert res.exit_code != 0
    err = error_json(res.stdout)
    assert "demo-user" in err["message"] and "密码" in err["message"]
    assert "KAMENG_SECRET_12315_DEMO_USER" in err["hint"]
    assert "keyrings.alt" in err["hint"]  # the test keyring is the null backend


def test_password_in_environment_passes_the_check(
    example_case: Path, kameng_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kameng_filer.filing.channels import resolve
    from kameng_filer.filing.preflight import check_channels

    (kameng_home / "config.yaml").write_text(
        'channels:\n  "12315":\n    account: demo-user\n', encoding="utf-8"
    )
    assert [p.channel for p in check_channels([resolve("12315")])] == ["12315"]
    monkeypatch.setenv("KAMENG_SECRET_12315_DEMO_USER", "pw")
    assert check_channels([resolve("12315")]) == []
    assert check_channels([resolve("consumer_association")]) == []  # no login, nothing needed


def test_secret_for_an_empty_account_says_the_account_is_missing() -> None:
    from kameng_filer.errors import SecretMissing
    from kameng_filer.secrets import get_secret

    with pytest.raises(SecretMissing) as err:
        get_secret("12315", "")
    assert "没有配置登录账号" in err.value.message
    assert "kameng login 12315" in (err.value.hint or "") and "config.yaml" in (err.value.hint or "")


def test_login_says_there_is_no_keyring_before_asking_the_password() -> None:
    res = run("login", "12315", "--account", "demo", input="secret-typed\n")
    assert res.exit_code != 0
    assert (
        "密钥环" in res.output and "KAMENG_SECRET_12315_DEMO" in res.output and "keyrings.alt" in res.output
    )
    assert "的密码（输入不显示）" not in res.output
    res = run("login", "12315", "--account", "demo", "--json")
    assert error_json(res.stdout)["code"] == "no_keyring"


# ---------------------------------------------------------------- --json on reporting commands


def test_reporting_commands_have_json() -> None:
    have = {" ".join(p) for p, _ in JSON_COMMANDS}
    for name in (
        "new",
        "twins",
        "login",
        "watch",
        "escalate",
        "letter",
        "notify add",
        "evidence",
        "file",
        "demo",
    ):
        assert name in have, name


def test_new_json(tmp_path: Path) -> None:
    res = run("new", str(tmp_path / "c"), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert Path(data["case_file"]).is_file() and Path(data["evidence_dir"]).is_dir()
    again = run("new", str(tmp_path / "c"), "--json")
    assert again.exit_code != 0 and "已存在" in error_json(again.stdout)["message"]


def test_evidence_json_is_the_same_as_format_json(example_case: Path) -> None:
    added = run("add", str(example_case), "--json")
    assert added.exit_code == 0, added.output
    case_id = json.loads(added.stdout)["case_id"]
    a = run("evidence", case_id, "--json")
    b = run("evidence", case_id, "--format", "json")
    assert a.exit_code == b.exit_code == 0
    assert json.loads(a.stdout)["evidence"] == json.loads(b.stdout)["evidence"]


# ---------------------------------------------------------------- packaging

PROJECT = Path(__file__).resolve().parent.parent


def _setuptools_config() -> dict:
    import tomllib

    return tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))


def _shipped_folders() -> dict[str, Path]:
    """Every folder of the package tree that holds files, by its dotted package name."""
    tool = _setuptools_config()["tool"]["setuptools"]
    roots = {"kameng_filer": PROJECT / "kameng_filer"}
    roots.update({name: PROJECT / folder for name, folder in tool["package-dir"].items()})
    found: dict[str, Path] = {}
    for name, root in roots.items():
        for folder in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
            rel = folder.relative_to(root).parts
            if "__pycache__" in rel or any(part.startswith(".") for part in rel):
                continue
            dotted = ".".join((name, *rel))
            if any(parent != name and dotted.startswith(parent + ".") for parent in roots if parent != name):
                continue
            if any(f.is_file() for f in folder.iterdir()):
                found[dotted] = folder
    return found


def test_every_folder_with_files_is_a_declared_package() -> None:
    """A data folder missing from ``packages`` makes setuptools warn "Package would be ignored"."""
    tool = _setuptools_config()["tool"]["setuptools"]
    declared = set(tool["packages"])
    missing = sorted(set(_shipped_folders()) - declared)
    assert missing == [], f"add to [tool.setuptools] packages and package-data: {missing}"


def test_every_data_file_is_matched_by_package_data() -> None:
    from fnmatch import fnmatch

    tool = _setuptools_config()["tool"]["setuptools"]
    patterns = tool["package-data"]
    unmatched = []
    for dotted, folder in _shipped_folders().items():
        for f in folder.iterdir():
            wanted = f.is_file() and f.suffix not in (".py", ".pyc")
            if wanted and not any(fnmatch(f.name, pat) for pat in patterns.get(dotted, [])):
                unmatched.append(str(f.relative_to(PROJECT)))
    assert unmatched == [], f"not shipped (add a package-data pattern): {unmatched}"


def test_license_is_an_spdx_string_and_version_has_one_source() -> None:
    project = _setuptools_config()["project"]
    assert isinstance(project["license"], str)
    assert "version" in project.get("dynamic", [])


@pytest.mark.slow
def test_wheel_builds_without_warnings_and_carries_the_data(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "src"  # a clean copy: an in-tree build/ folder could hide a missing file
    skip = shutil.ignore_patterns(
        ".*", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench", "docs"
    )
    shutil.copytree(PROJECT, source, ignore=skip)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-v", "-w", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    if proc.returncode != 0 and "No matching distribution" in proc.stdout + proc.stderr:
        pytest.skip("no package index reachable for the isolated build")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert "would be ignored" not in log
    assert "TOML table is deprecated" not in log
    (wheel,) = (tmp_path / "dist").glob("kameng_filer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in _shipped_folders().values():
        for f in folder.iterdir():
            if f.is_file() and f.suffix != ".pyc":
                rel = f.relative_to(PROJECT)
                parts = rel.parts if rel.parts[0] == "kameng_filer" else ("kameng_filer", *rel.parts)
                assert "/".join(parts) in names, rel


# ---------------------------------------------------------------- runner edge cases


def test_time_options_name_themselves_in_errors(example_case: Path) -> None:
    added = run("add", str(example_case), "--json")
    case_id = json.loads(added.stdout)["case_id"]
    res = run("report", case_id, "-c", "alipay", "--status", "已完成", "--at", "yesterday", "--json")
    assert res.exit_code == 2
    assert error_json(res.stdout)["message"].startswith("--at ")


def test_a_closed_pipe_ends_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    from kameng_filer.cli.runner import run as run_line

    def reader_gone() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    assert run_line(reader_gone, ["cases"]) == 1
    captured = capsys.readouterr()
    assert "内部错误" not in captured.err + captured.out and "Traceback" not in captured.err


def test_a_bug_is_a_short_chinese_message_with_a_crash_log(
    kameng_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kameng_filer.cli.runner import run as run_line

    def bug() -> None:
        raise RuntimeError("unexpected english text")

    assert run_line(bug, ["cases", "--json"]) == 70
    err = error_json(capsys.readouterr().out)
    assert err["code"] == "internal" and "crash-" in err["hint"]
    assert "unexpected english text" not in err["message"]
    (log,) = (kameng_home / "logs").glob("crash-*.log")
    assert "unexpected english text" in log.read_text(encoding="utf-8")
    assert verbosity.level() == 0


def test_global_option_after_the_command_says_where_it_goes() -> None:
    res = run("check", "x", "-v")
    assert res.exit_code == 2
    assert "全局选项" in res.output and "kameng -v check" in res.output


def test_channels_that_cannot_be_planned_are_named_before_the_prompt(example_case: Path) -> None:
    res = run("file", str(example_case), "-c", "email,consumer_association", "--now", NOW)
    out = res.output
    assert "以下渠道不会提交" in out and "email" in out
    assert out.index("以下渠道不会提交") < out.index("需要确认")


# ---------------------------------------------------------------- long-running commands as JSON lines

KAMENG = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kameng"


def _first_json_line(args: list[str], home: Path) -> dict:
    """Start ``kameng ARGS``, read its first stdout line as JSON, stop it with SIGTERM."""
    import os
    import signal
    import subprocess
    import sys

    exe = [str(KAMENG)] if KAMENG.exists() else [sys.executable, "-m", "kameng_filer.cli"]
    env = {**os.environ, "KAMENG_HOME": str(home), "NO_COLOR": "1"}
    proc = subprocess.Popen([*exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert line.strip(), err
    for extra in rest.splitlines():  # every further line is JSON too
        json.loads(extra)
    return json.loads(line)


def test_twins_json_is_one_line_then_runs(kameng_home: Path) -> None:
    data = _first_json_line(["twins", "--only", "card_a", "--json"], kameng_home)
    (twin,) = data["twins"]
    assert twin["name"] == "card_a" and twin["url"].startswith("http://127.0.0.1:")
    assert data["data_dir"]


@pytest.mark.slow
def test_watch_json_is_json_lines(kameng_home: Path) -> None:
    data = _first_json_line(["watch", "--interval", "60", "--json"], kameng_home)
    assert set(data) == {"at", "message"} and "kameng watch" in data["message"]


def test_piped_output_has_no_spinner_frames_or_cursor_codes(example_case: Path) -> None:
    assert run("add", str(example_case)).exit_code == 0
    res = run("tick", "--now", NOW)  # a long step with a progress display on a terminal
    assert res.exit_code == 0, res.output
    assert "\x1b[" not in res.output
    assert not re.search(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]", res.output)


@pytest.mark.browser
def test_missing_password_with_yes_stops_before_anything_is_sent(
    example_case: Path, kameng_home: Path
) -> None:
    (kameng_home / "config.yaml").write_text(
        'channels:\n  "12315":\n    account: demo-user\n', encoding="utf-8"
    )
    res = run("file", str(example_case), "-c", "12315", "--now", NOW, "--yes", "--json")
    assert res.exit_code != 0
    err = error_json(res.stdout)
    assert "demo-user" in err["message"] and "KAMENG_SECRET_12315_DEMO_USER" in err["hint"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_script(shell: str) -> None:
    res = run("completion", shell)
    assert res.exit_code == 0, res.output
    assert "_KAMENG_COMPLETE" in res.stdout


def test_completion_script_completes_commands() -> None:
    import os
    import subprocess

    env = {**os.environ, "_KAMENG_COMPLETE": "complete_bash", "COMP_WORDS": "kameng che", "COMP_CWORD": "1"}
    exe = str(KAMENG) if KAMENG.exists() else "kameng"
    proc = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
    assert "check" in proc.stdout.split(), proc.stdout + proc.stderr
