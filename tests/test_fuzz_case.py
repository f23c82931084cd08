"""Fuzzed case files never make the loader, the checks or ``kameng check`` crash: findings, or exit 2.

Examples per test come from the hypothesis profile conftest loads (``ci`` by default, ``long`` with
``--long``: 10k per test); only the tests that run the real CLI in a subprocess set their own, small
number. Structure and content are fuzzed: random and YAML-ish text, edits of the example, mutations at
every path with junk, Chinese, control characters and surrogates, huge values (long strings, 10^400,
deep nesting, many items), wrong types at every path, invalid UTF-8 bytes.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kameng_filer.case.loader import LineIndex, load_case, load_case_text, parse_text, validate
from kameng_filer.checks import CODES, check_case
from kameng_filer.errors import CaseInvalid, CaseUnreadable
from kameng_filer.findings import Finding
from kameng_filer.timeutil import SHANGHAI
from tests import modes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "examples"
EXAMPLE_TEXT = (EXAMPLE_DIR / "case.yaml").read_text("utf-8")
EXAMPLE_RAW = parse_text(EXAMPLE_TEXT)
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
FUZZ = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
"""Examples per test: the loaded profile's (conftest: ``ci`` / ``long``)."""
CLI_FUZZ = settings(FUZZ, max_examples=modes.runs(6, 200))
"""The real CLI in a subprocess is slow: a handful of examples (more in long mode)."""
KAMENG = str(Path(sys.executable).parent / "kameng")


def assert_sane(findings: list[Finding]) -> None:
    for f in findings:
        assert f.code in CODES, f.code
        assert f.code != "check.internal", f  # a rule crashed on this input
        assert f.severity == CODES[f.code].severity
        assert isinstance(f.path, str) and f.path
        assert isinstance(f.message, str) and f.message
        assert f.line is None or f.line >= 1
        json.dumps(f.to_dict(), ensure_ascii=False)


def run_text(text: str, *, is_json: bool = False, now: datetime = NOW) -> None:
    try:
        result = load_case_text(text, base_dir=EXAMPLE_DIR, is_json=is_json)
    except CaseUnreadable as exc:
        assert exc.message and exc.exit_code == 2
        return
    assert_sane(check_case(result, now=now))


def run_raw(raw: Any, now: datetime = NOW) -> None:
    try:
        text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, RecursionError):
        text = ""
    result = validate(raw, source=None, base_dir=EXAMPLE_DIR, lines=LineIndex(text))
    assert_sane(check_case(result, now=now))


# ------------------------------------------------------------------ strategies

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**20, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "2026-02-30",
            "2026-11-02T15:00:30+14:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59",
            "P999999999D",
            "-P1D",
            "PT0S",
            "1e999999",
            "NaN",
            "¥-1",
            "~nobody/x.png",
            "evidence/../../../../etc/passwd",
            "/dev/null",
            "evidence",
            "\x00",
            "K7QP-38ZD-M2WX-91FA",
            "11010519491231002X",
            "密码:123456",
            "骗子!!!给我个说法",
            "other",
            "refund",
            "merchant",
            "promise",
        ]
    ),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=4),
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


EXAMPLE_PATHS = [p for p in _paths(EXAMPLE_RAW) if p]
mutation = st.tuples(st.sampled_from(EXAMPLE_PATHS), st.sampled_from(["set", "delete", "wrap", "dup"]), junk)


def apply(raw: dict, path: tuple, op: str, value: Any) -> None:
    cur: Any = raw
    for key in path[:-1]:
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    try:
        if op == "delete":
            del cur[last]
        elif op == "set":
            cur[last] = value
        elif op == "wrap":
            cur[last] = [cur[last], value]
        elif op == "dup" and isinstance(cur, list):
            cur.append(copy.deepcopy(cur[last]))
        else:
            cur[last] = {"value": cur[last], str(value)[:10]: value}
    except (KeyError, IndexError, TypeError):
        return


aware_now = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([SHANGHAI, UTC, timezone(timedelta(hours=-12))]),
)


# ------------------------------------------------------------------ tests


@FUZZ
@given(st.text(max_size=400))
def test_random_text(text: str) -> None:
    run_text(text)


yaml_line = st.tuples(
    st.sampled_from(["", "  ", "    ", "- ", "  - ", "\t"]),
    st.one_of(
        st.sampled_from(sorted({str(p[-1]) for p in EXAMPLE_PATHS if isinstance(p[-1], str)})),
        st.text(max_size=6),
    ),
    st.sampled_from([": ", ":", " : ", ": |", ": >", ": &a ", ": *a ", ": !!binary ", ": [", ": {"]),
    st.one_of(
        st.text(max_size=20), st.sampled_from(["100.00", "2026-11-02T15:00:30", "null", "~", "'", '"', "#"])
    ),
).map("".join)


@FUZZ
@given(st.lists(yaml_line, max_size=25))
def test_yaml_ish_text(lines: list[str]) -> None:
    run_text("\n".join(lines) + "\n")


@FUZZ
@given(st.integers(min_value=0, max_value=len(EXAMPLE_TEXT)), st.text(max_size=30), st.integers(0, 40))
def test_example_text_with_an_edit(pos: int, insert: str, cut: int) -> None:
    run_text(EXAMPLE_TEXT[:pos] + insert + EXAMPLE_TEXT[pos + cut :])


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=5), aware_now)
def test_mutated_example_dict(mutations: list, now: datetime) -> None:
    raw = copy.deepcopy(EXAMPLE_RAW)
    for path, op, value in mutations:
        apply(raw, path, op, value)
    run_raw(raw, now)


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=3))
def test_mutated_example_as_json(mutations: list) -> None:
    raw = copy.deepcopy(EXAMPLE_RAW)
    for path, op, value in mutations:
        apply(raw, path, op, value)
    try:
        text = json.dumps(raw, ensure_ascii=False)
    except (ValueError, TypeError):
        return
    run_text(text, is_json=True)


@FUZZ
@given(junk)
def test_any_top_level_value(value: Any) -> None:
    try:
        text = yaml.safe_dump(value, allow_unicode=True)
    except yaml.YAMLError:
        return
    run_text(text)


# ------------------------------------------------------------------ content: Chinese, junk, surrogates

chinese = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=30)
junk_chars = st.lists(
    st.one_of(
        st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Mn", "So"]),
        st.sampled_from(["\u200b", "\u202e", "\ufeff", "\ufffd", "\u3000", "\x00", "\x1b[31m", "\r\n", "\t"]),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    ),
    max_size=40,
).map("".join)
surrogate_text = st.text(alphabet=st.characters(categories=["Cs", "Lo"]), min_size=1, max_size=10)
content = st.one_of(chinese, junk_chars, surrogate_text, st.text(max_size=60))


def _get(raw: Any, path: tuple) -> Any:
    cur = raw
    for key in path:
        cur = cur[key]
    return cur


STRING_PATHS = [p for p in EXAMPLE_PATHS if isinstance(_get(EXAMPLE_RAW, p), str)]
LEAF_PATHS = [p for p in EXAMPLE_PATHS if not isinstance(_get(EXAMPLE_RAW, p), dict | list)]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(STRING_PATHS), content), min_size=1, max_size=6))
def test_chinese_junk_and_surrogates_in_string_values(edits: list[tuple[tuple, str]]) -> None:
    raw = copy.deepcopy(EXAMPLE_RAW)
    for path, value in edits:
        apply(raw, path, "set", value)
    run_raw(raw)
    # the same through JSON text: ``\\ud800`` escapes put lone surrogates into the loaded values
    run_text(json.dumps(raw, ensure_ascii=True, default=str), is_json=True)


YAML_ESCAPES = ["\\ud800", "\\udfff", "\\x00", "\\u200b", "\\u202e", "\\N", "\\_", "\\L", "\\P", "\\e", "\\0"]


@FUZZ
@given(
    st.sampled_from(sorted({p[-1] for p in STRING_PATHS if isinstance(p[-1], str)})),
    st.lists(st.one_of(st.sampled_from(YAML_ESCAPES), chinese), min_size=1, max_size=8),
)
def test_yaml_escapes_in_double_quoted_values(key: str, parts: list[str]) -> None:
    """Double-quoted YAML escapes (surrogates, NUL, bidi controls, line separators) in one key's value."""
    lines = EXAMPLE_TEXT.splitlines()
    for i, line in enumerate(lines):
        stripped = line.lstrip(" -")
        if stripped.startswith(f"{key}:"):
            lines[i] = line[: len(line) - len(stripped)] + f'{key}: "{"".join(parts)}"'
            break
    run_text("\n".join(lines) + "\n")


@FUZZ
@given(
    st.integers(min_value=0, max_value=len(EXAMPLE_TEXT.encode())),
    st.one_of(
        st.binary(max_size=12),
        st.sampled_from(
            [b"\xed\xa0\x80", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc0\xaf", b"\x00\x00", b"\xe4\xb8"]
        ),
    ),
)
def test_invalid_utf8_bytes_in_the_file(tmp_path: Path, pos: int, blob: bytes) -> None:
    data = EXAMPLE_TEXT.encode()
    path = tmp_path / "case.yaml"  # one file, rewritten for each example
    path.write_bytes(data[:pos] + blob + data[pos:])
    try:
        result = load_case(path)
    except CaseUnreadable as exc:
        assert exc.message and exc.exit_code == 2
        return
    assert_sane(check_case(result, now=NOW))


# ------------------------------------------------------------------ huge values


def _deep(depth: int, leaf: Any = "底") -> Any:
    value: Any = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


HUGE = st.sampled_from(
    [
        "长" * 100_000,
        "A" * 300_000,
        10**400,
        -(10**400),
        1e308,
        -1e-320,
        "1" + "0" * 5000,
        _deep(60),
        _deep(600),
        ["x"] * 10_000,
        [{"at": "2026-11-02T15:00:30", "event": f"事件{i}"} for i in range(2_000)],
        {f"k{i}": i for i in range(2_000)},
    ]
)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(EXAMPLE_PATHS), HUGE), min_size=1, max_size=2))
def test_huge_values_at_any_path(edits: list) -> None:
    raw = copy.deepcopy(EXAMPLE_RAW)
    for path, value in edits:
        apply(raw, path, "set", value)
    run_raw(raw)


HUGE_TEXTS = {
    "deep flow sequence": "[" * 10_000,
    "deep flow mapping": "a: " + "{b: " * 3_000 + "}" * 3_000,
    "deep block lists": "".join("  " * i + "- \n" for i in range(400)),
    "10^5000 amount": EXAMPLE_TEXT.replace("amount: 100.00", "amount: " + "9" * 5_000),
    "1 MB title": EXAMPLE_TEXT.replace("title: 王者荣耀点券充值未到账", "title: " + "长" * 1_000_000),
    "20k timeline entries": EXAMPLE_TEXT.replace(
        "timeline:",
        "timeline:\n"
        + "".join(f"  - at: 2026-11-02T15:00:30\n    event: 事件{i}\n" for i in range(20_000))
        + "old_timeline:",
        1,
    ),
    "alias bomb": "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
    + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ),
    "only a NUL": "\x00",
    "BOM and tabs": "\ufeff\tid:\t1\n",
}


@pytest.mark.parametrize("name", list(HUGE_TEXTS))
def test_huge_and_nasty_texts(name: str) -> None:
    run_text(HUGE_TEXTS[name])


# ------------------------------------------------------------------ wrong types at every path

WRONG_TYPES: list[Any] = [
    None,
    True,
    0,
    -1,
    3.5,
    float("nan"),
    "",
    "文本",
    [],
    ["列表"],
    {},
    {"键": "值"},
    date(2026, 11, 2),
    datetime(2026, 11, 2, 15, 0),
    10**400,
]


def test_wrong_type_at_every_path() -> None:
    """Every path of the example (leaf or not) replaced by every kind of wrong value: findings, no crash."""
    for path in EXAMPLE_PATHS:
        for value in WRONG_TYPES:
            raw = copy.deepcopy(EXAMPLE_RAW)
            apply(raw, path, "set", copy.deepcopy(value))
            run_raw(raw)
    for path in LEAF_PATHS:  # and the leaves deleted
        raw = copy.deepcopy(EXAMPLE_RAW)
        apply(raw, path, "delete", None)
        run_raw(raw)


# ------------------------------------------------------------------ the real CLI


def kameng_check(path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1")
    return subprocess.run(
        [KAMENG, "check", str(path), "--now", "2026-11-03T10:00:00"],
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        timeout=120,
    )


def assert_cli_ok(res: subprocess.CompletedProcess[str]) -> None:
    out = res.stdout + res.stderr
    assert "Traceback" not in out and "内部错误" not in out, out[-2000:]
    assert res.returncode in (0, 1, 2), (res.returncode, out[-2000:])
    if res.returncode:
        assert res.stdout.strip() or res.stderr.strip(), "a failure says why"


@CLI_FUZZ
@given(
    st.lists(mutation, min_size=1, max_size=4),
    st.lists(st.tuples(st.sampled_from(STRING_PATHS), content), max_size=3),
)
def test_cli_check_never_shows_a_traceback(tmp_path: Path, mutations: list, edits: list) -> None:
    raw = copy.deepcopy(EXAMPLE_RAW)
    for path, op, value in mutations:
        apply(raw, path, op, value)
    for path, value in edits:
        apply(raw, path, "set", value)
    folder = tmp_path  # one folder, its case file rewritten for each example
    if not (folder / "evidence").exists():
        (folder / "evidence").symlink_to(EXAMPLE_DIR / "evidence", target_is_directory=True)
    try:
        text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
        path = folder / "case.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    except (yaml.YAMLError, RecursionError, ValueError):
        path = folder / "case.json"
        path.write_text(json.dumps(raw, ensure_ascii=True, default=str), encoding="utf-8")
    assert_cli_ok(kameng_check(path))


CLI_NASTY: dict[str, bytes] = {
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "invalid utf-8": EXAMPLE_TEXT.encode()[:200] + b"\xed\xa0\x80\xff" + EXAMPLE_TEXT.encode()[200:],
    "deep nesting": b"[" * 10_000,
    "huge int": EXAMPLE_TEXT.replace("amount: 100.00", "amount: " + "9" * 5_000).encode(),
    "json surrogates": json.dumps({**EXAMPLE_RAW, "title": "\ud800王\udfff"}, default=str).encode(),
}


@pytest.mark.parametrize("name", list(CLI_NASTY))
def test_cli_check_on_nasty_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / ("case.json" if name.startswith("json") else "case.yaml")
    path.write_bytes(CLI_NASTY[name])
    res = kameng_check(path)
    assert_cli_ok(res)
    assert res.returncode in (1, 2), "none of these is a valid case"


# ------------------------------------------------------------------ hostile evidence paths and messages

path_part = st.sampled_from(
    ["..", ".", "evidence", "out", "in", "order.png", "x", "~", "", "etc", "passwd", "//"]
)


def _evidence_tree(root: Path) -> Path:
    """``root/case`` with evidence, a link leading out of it and one staying in; ``root/outside`` beside it."""
    case_dir = root / "case"
    if not case_dir.exists():
        (root / "outside").mkdir()
        (root / "outside" / "order.png").write_bytes((EXAMPLE_DIR / "evidence" / "order.png").read_bytes())
        (case_dir / "evidence").mkdir(parents=True)
        (case_dir / "evidence" / "order.png").write_bytes(
            (EXAMPLE_DIR / "evidence" / "order.png").read_bytes()
        )
        (case_dir / "evidence" / "out").symlink_to(root / "outside", target_is_directory=True)
        (case_dir / "evidence" / "in").symlink_to(case_dir / "evidence", target_is_directory=True)
        (case_dir / "evidence" / "passwd").symlink_to("/etc/passwd")
    return case_dir


@FUZZ
@given(st.booleans(), st.lists(path_part, min_size=1, max_size=8))
def test_fuzzed_evidence_paths_never_leave_the_case_folder(
    tmp_path: Path, absolute: bool, parts: list[str]
) -> None:
    case_dir = _evidence_tree(tmp_path)
    file = ("/" if absolute else "") + "/".join(parts)
    raw = copy.deepcopy(EXAMPLE_RAW)
    raw["evidence"][0]["file"] = file
    result = validate(raw, source=None, base_dir=case_dir, lines=None)
    findings = check_case(result, now=NOW)
    assert_sane(findings)
    refused = "evidence.outside_case" in {f.code for f in findings if f.path == "evidence[0].file"}
    if result.case is None or not file.strip():
        return
    ev = result.case.evidence[0]
    real = Path(os.path.realpath(ev.path if not refused else case_dir / "x"))
    if refused:
        with pytest.raises(CaseInvalid):
            ev.path.read_bytes()
        assert not {f.code for f in findings if f.path == "evidence[0].file"} - {"evidence.outside_case"}
    else:
        assert real == case_dir.resolve() or case_dir.resolve() in real.parents, (file, real)


_ENGLISH = re.compile(r"\b(?:Input should|valid|Value error|Field required|must|out of range|expected)\b")


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_schema_messages_are_chinese_for_any_mutation(mutations: list) -> None:
    raw = copy.deepcopy(EXAMPLE_RAW)
    for path, op, value in mutations:
        apply(raw, path, op, value)
    result = validate(raw, source=None, base_dir=EXAMPLE_DIR, lines=None)
    for f in result.findings:
        shown = re.sub(r"'[^']*'|\"[^\"]*\"|「[^」]*」", "", f.message)  # values and field names as written
        assert not _ENGLISH.search(shown), f.message
        assert re.search(r"[\u4e00-\u9fff]", f.message), f.message
