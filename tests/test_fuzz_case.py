"""Fuzzed case files never make the loader or the checks raise: they produce findings (or exit 2)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kameng_filer.case.loader import LineIndex, load_case_text, parse_text, validate
from kameng_filer.checks import CODES, check_case
from kameng_filer.errors import CaseUnreadable
from kameng_filer.findings import Finding
from kameng_filer.timeutil import SHANGHAI

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "examples"
EXAMPLE_TEXT = (EXAMPLE_DIR / "case.yaml").read_text("utf-8")
EXAMPLE_RAW = parse_text(EXAMPLE_TEXT)
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


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
