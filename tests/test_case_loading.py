"""The case loader: every problem reported with path and line, and never a traceback for bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from kameng_filer.case.loader import MAX_CASE_BYTES, load_case, load_case_text, parse_text
from kameng_filer.errors import CaseUnreadable

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TEXT = (ROOT / "examples" / "case.yaml").read_text("utf-8")


def _write(tmp_path: Path, text: str | bytes, name: str = "case.yaml") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, "utf-8")
    return p


def _codes(result) -> set[tuple[str, str]]:
    return {(f.code, f.path) for f in result.findings}


def test_example_loads_unchanged(example_case: Path) -> None:
    result = load_case(example_case)
    assert result.findings == []
    case = result.case
    assert case is not None
    assert case.order.order_no == "KM20261102150012"
    assert case.complainant.phone == "13800138000"
    assert case.order.payment.transaction_no == "2026110222001400000000001234"
    assert [e.id for e in case.evidence] == ["order", "payment", "chat", "balance"]
    assert case.platform_policy.complaint_window == timedelta(days=7)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    text = 'id: km-1\ntitle: 点券未到账\norder:\n  order_no: "KM1\n  amount: 100\n'
    with pytest.raises(CaseUnreadable) as exc:
        load_case(_write(tmp_path, text))
    assert "YAML 格式错误" in exc.value.message
    assert "第 " in exc.value.message and "行" in exc.value.message
    assert exc.value.exit_code == 2


def test_bad_indentation_line_number(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.replace(
        "  order_no: KM20261102150012", "  order_no: KM20261102150012\n\tproduct: x", 1
    )
    line = text.splitlines().index("\tproduct: x") + 1
    with pytest.raises(CaseUnreadable) as exc:
        load_case(_write(tmp_path, text))
    assert f"第 {line} 行" in exc.value.message


def test_wrong_types_are_findings_with_lines(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.replace("quantity: 1", "quantity: 很多", 1).replace(
        "complainant:                      # 投诉人\n  name: 张三",
        "complainant:                      # 投诉人\n  name: [张, 三]",
        1,
    )
    result = load_case(_write(tmp_path, text))
    assert result.case is None
    found = {f.path: f for f in result.findings}
    assert found["order.quantity"].code == "schema.type"
    assert found["order.quantity"].line == text.splitlines().index("  quantity: 很多") + 1
    assert found["complainant.name"].code == "schema.type"
    assert all(f.severity == "error" and f.hint for f in result.findings)


@pytest.mark.parametrize("value", ["2026-02-30", "2026-02-30T10:00:00", "2026-13-01T00:00:00", "昨天下午"])
def test_impossible_dates(tmp_path: Path, value: str) -> None:
    text = EXAMPLE_TEXT.replace("paid_at: 2026-11-02T15:00:30", f"paid_at: {value}", 1)
    result = load_case(_write(tmp_path, text))
    (f,) = result.findings
    assert (f.code, f.path) == ("schema.datetime", "order.paid_at")
    assert f.line == text.splitlines().index(f"  paid_at: {value}") + 1
    assert "日期" in f.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CaseUnreadable) as exc:
        load_case(tmp_path / "nope.yaml")
    assert "找不到" in exc.value.message


def test_binary_junk(tmp_path: Path) -> None:
    with pytest.raises(CaseUnreadable) as exc:
        load_case(_write(tmp_path, bytes(range(256)) * 10))
    assert "二进制" in exc.value.message


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    data = "id: km-1\ntitle: ok\nsummary: 点券未到账\n".encode("gbk")
    with pytest.raises(CaseUnreadable) as exc:
        load_case(_write(tmp_path, data))
    assert "UTF-8" in exc.value.message and "第 3 行" in exc.value.message


def test_fifty_megabyte_file(tmp_path: Path) -> None:
    p = tmp_path / "case.yaml"
    with p.open("wb") as fh:
        fh.write(b"id: km-1\n")
        fh.truncate(50 * 1024 * 1024)
    assert p.stat().st_size > MAX_CASE_BYTES
    with pytest.raises(CaseUnreadable) as exc:
        load_case(p)
    assert "过大" in exc.value.message


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"# only a comment\n", b"null\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(CaseUnreadable) as exc:
        load_case(_write(tmp_path, content))
    assert "空" in exc.value.message or "没有内容" in exc.value.message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a sentence\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    with pytest.raises(CaseUnreadable) as exc:
        load_case(_write(tmp_path, text))
    assert "最外层" in exc.value.message


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    with pytest.raises(CaseUnreadable):
        load_case(_write(tmp_path, "\n".join(lines) + "\n"))


def test_json_input(example_case: Path) -> None:
    raw = parse_text(example_case.read_text("utf-8"))
    json_file = example_case.with_name("case.json")
    json_file.write_text(json.dumps(raw, ensure_ascii=False, indent=2), "utf-8")
    from_json = load_case(json_file)
    from_yaml = load_case(example_case)
    assert from_json.findings == []
    assert from_json.case.model_dump() == from_yaml.case.model_dump()


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(CaseUnreadable) as exc:
        load_case(_write(tmp_path, '{\n  "id": "km-1",\n  "title": \n}\n', "case.json"))
    assert "JSON" in exc.value.message and "第 4 行" in exc.value.message


def test_naive_times_are_shanghai_and_offsets_are_converted(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.replace(
        "discovered_at: 2026-11-02T15:30:00", "discovered_at: 2026-11-02T07:30:00Z", 1
    )
    case = load_case(_write(tmp_path, text)).case
    assert case.order.paid_at.utcoffset() == timedelta(hours=8)
    assert str(case.order.paid_at.tzinfo) == "Asia/Shanghai"
    assert (case.order.paid_at.hour, case.order.paid_at.minute) == (15, 0)
    assert case.problem.discovered_at.hour == 15 and case.problem.discovered_at.utcoffset() == timedelta(
        hours=8
    )
    assert all(e.at.utcoffset() == timedelta(hours=8) for e in case.timeline)


def test_date_only_means_midnight_shanghai(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.replace("ordered_at: 2026-11-02T15:00:12", "ordered_at: 2026-11-02", 1)
    case = load_case(_write(tmp_path, text)).case
    assert (case.order.ordered_at.hour, case.order.ordered_at.utcoffset()) == (0, timedelta(hours=8))


def test_amounts_are_exact_decimals(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.replace("amount: 100.00", "amount: 0.1", 1).replace(
        "amount: 10.00", "amount: ¥0.20", 1
    )
    case = load_case(_write(tmp_path, text)).case
    assert isinstance(case.order.amount, Decimal) and case.order.amount == Decimal("0.10")
    assert str(case.order.amount) == "0.10"
    assert case.demands[1].amount == Decimal("0.20")
    assert case.total_demand == Decimal("100.20")


@pytest.mark.parametrize("value", ["-5", "1e999999999", "99999999999999999999999999999", ".nan", "true"])
def test_absurd_amounts_are_findings_not_crashes(tmp_path: Path, value: str) -> None:
    result = load_case(_write(tmp_path, EXAMPLE_TEXT.replace("amount: 100.00", f"amount: {value}", 1)))
    assert result.case is None
    assert [(f.code, f.path) for f in result.findings] == [("schema.amount", "order.amount")]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_out_of_range_times_are_findings_not_crashes(tmp_path: Path, value: str) -> None:
    result = load_case(
        _write(tmp_path, EXAMPLE_TEXT.replace("ordered_at: 2026-11-02T15:00:12", f"ordered_at: {value}"))
    )
    assert result.case is None
    assert [f.path for f in result.findings] == ["order.ordered_at"]


def test_numbers_with_leading_zeros_stay_as_written(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.replace("order_no: KM20261102150012", "order_no: 00123", 1).replace(
        'phone: "13800138000"', "phone: 057188880000", 1
    )
    case = load_case(_write(tmp_path, text)).case
    assert case.order.order_no == "00123"
    assert case.complainant.phone == "057188880000"


def test_evidence_paths_are_relative_to_the_case_file(
    example_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    case = load_case(example_case).case
    assert case.evidence[0].path == example_case.parent / "evidence" / "order.png"
    assert all(e.path.is_file() for e in case.evidence)


def test_unknown_home_in_evidence_path_does_not_crash(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.replace("file: evidence/order.png", "file: ~no-such-user-kameng/order.png", 1)
    result = load_case(_write(tmp_path, text))
    assert result.findings == [] and result.case.evidence[0].path.name == "order.png"


def test_folder_holding_a_case_file(example_case: Path) -> None:
    assert load_case(example_case.parent).source == example_case.resolve()
    with pytest.raises(CaseUnreadable) as exc:
        load_case(example_case.parent / "evidence")
    assert "case.yaml" in exc.value.message


def test_all_problems_reported_together(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT
    text = text.replace("  order_no: KM20261102150012\n", "", 1)
    text = text.replace("amount: 100.00", "amount: 一百元", 1)
    text = text.replace("type: not_delivered", "type: service_bad", 1)
    text = text.replace("kind: payment_proof", "kind: receipt", 1)
    text = text.replace("  - at: 2026-11-02T15:33:00", "  - at: 2026-11-31T15:33:00", 1)
    text = text.replace("  - type: compensation\n", "  - amount_type: compensation\n", 1)
    result = load_case(_write(tmp_path, text))
    lines = text.splitlines()
    got = {f.path: f for f in result.findings}
    assert set(got) == {
        "order.order_no",
        "order.amount",
        "problem.type",
        "evidence[1].kind",
        "timeline[1].at",
        "demands[1].type",
    }
    assert got["order.amount"].line == lines.index("  amount: 一百元") + 1
    assert got["problem.type"].line == next(i for i, s in enumerate(lines, 1) if "type: service_bad" in s)
    assert got["evidence[1].kind"].line == next(i for i, s in enumerate(lines, 1) if "kind: receipt" in s)
    assert got["order.order_no"].line == lines.index("order:") + 1  # the parent's line when missing
    assert all(f.message and f.hint for f in result.findings)


def test_load_case_text_without_a_file() -> None:
    result = load_case_text(EXAMPLE_TEXT, base_dir=ROOT / "examples")
    assert result.findings == [] and result.case.evidence[0].path.is_file()
    assert result.base_dir == ROOT / "examples"
