"""The 三明确 checks: for each rule a case with exactly that defect, caught at the right path and code."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from kameng_filer.case.loader import load_case, parse_text
from kameng_filer.checks import CODES, check_case, check_path
from kameng_filer.checks.limitation import add_years
from kameng_filer.checks.secrets_in_text import id_checksum_ok
from kameng_filer.errors import ConfigError
from kameng_filer.findings import Finding, has_errors
from kameng_filer.timeutil import SHANGHAI

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "case.yaml"
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
Mutation = Callable[[dict[str, Any]], None]


def write_case(case_file: Path, mutate: Mutation | None = None) -> Path:
    """Load the bundled example's raw dict, mutate it, write it as YAML to ``case_file`` (next to evidence/)."""
    raw = parse_text(EXAMPLE.read_text("utf-8"))
    if mutate is not None:
        mutate(raw)
    case_file.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    return case_file


def findings_for(case_file: Path, mutate: Mutation | None = None, now: datetime = NOW) -> list[Finding]:
    write_case(case_file, mutate)
    _, findings = check_path(case_file, now=now)
    return findings


def pairs(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.code, f.path) for f in findings}


@pytest.fixture
def baseline(example_case: Path) -> set[tuple[str, str]]:
    """What the unmodified example yields at NOW (written through the same YAML round trip)."""
    probe = example_case.parent.parent / "baseline"
    shutil.copytree(example_case.parent, probe)
    return pairs(findings_for(probe / "case.yaml"))


def new_findings(example_case: Path, baseline: set, mutate: Mutation | None, now: datetime = NOW) -> set:
    return pairs(findings_for(example_case, mutate, now)) - baseline


# ------------------------------------------------------------------ the bundled example


def test_bundled_example_has_no_errors() -> None:
    result = load_case(ROOT / "examples" / "case.yaml")
    findings = check_case(result, now=NOW)
    assert not has_errors(findings), findings
    # The only remark: the merchant's promise is claimed but no screenshot of it is attached.
    assert [(f.code, f.severity) for f in findings] == [("evidence.chain.promise", "warning")]


def test_example_without_claimed_promise_is_clean(example_case: Path) -> None:
    assert findings_for(example_case, lambda r: r["order"].pop("promise")) == []


def test_every_finding_is_complete(example_case: Path) -> None:
    def many_defects(r: dict) -> None:
        r["evidence"][0]["file"] = "evidence/lost.png"
        r["contacts"] = []
        r["problem"]["summary"] = "商家是骗子!!!"

    findings = findings_for(example_case, many_defects)
    assert {"evidence.file_missing", "contacts.none", "language.emotional", "language.punctuation"} <= {
        f.code for f in findings
    }
    for f in findings:
        assert f.code in CODES and CODES[f.code].severity == f.severity
        assert f.message and f.hint and f.path
        assert re.search(r"[\u4e00-\u9fff]", f.message), f.message
        assert f.line is not None and f.line > 0
    order = [f.severity for f in findings]
    assert order == sorted(order, key=["error", "warning", "hint"].index)


# ------------------------------------------------------------------ rule table

R = dict[str, Any]


def _set(path: str, value: Any) -> Mutation:
    """Set a dotted path (``order.amount``, ``demands[1].note``) in the raw dict."""

    def mutate(raw: R) -> None:
        *parents, last = _split(path)
        cur: Any = raw
        for key in parents:
            cur = cur[key]
        cur[last] = value

    return mutate


def _del(path: str) -> Mutation:
    def mutate(raw: R) -> None:
        *parents, last = _split(path)
        cur: Any = raw
        for key in parents:
            cur = cur[key]
        del cur[last]

    return mutate


def _split(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]


def _all(*mutations: Mutation) -> Mutation:
    def mutate(raw: R) -> None:
        for m in mutations:
            m(raw)

    return mutate


def _append(key: str, item: dict) -> Mutation:
    return lambda raw: raw[key].append(item)


RULES: list[tuple[str, Mutation, set[tuple[str, str]]]] = [
    # errors: the case cannot be filed as is
    ("missing order number", _del("order.order_no"), {("required.order_no", "order.order_no")}),
    ("blank amount", _set("order.amount", ""), {("required.amount", "order.amount")}),
    ("missing platform", _del("respondent.platform"), {("required.platform", "respondent.platform")}),
    ("blank name", _set("complainant.name", "  "), {("required.complainant_name", "complainant.name")}),
    ("missing phone", _del("complainant.phone"), {("required.complainant_phone", "complainant.phone")}),
    ("blank title", _set("title", ""), {("required.field", "title")}),
    ("invalid problem type", _set("problem.type", "bad_service"), {("schema.enum", "problem.type")}),
    ("impossible date", _set("order.paid_at", "2026-02-30T10:00:00"), {("schema.datetime", "order.paid_at")}),
    ("demand without type", _del("demands[1].type"), {("schema.missing", "demands[1].type")}),
    ("amount not a number", _set("order.amount", "一百"), {("schema.amount", "order.amount")}),
    (
        "missing evidence file",
        _set("evidence[0].file", "evidence/nope.png"),
        {("evidence.file_missing", "evidence[0].file")},
    ),
    (
        "evidence is a folder",
        _set("evidence[0].file", "evidence"),
        {("evidence.file_unreadable", "evidence[0].file")},
    ),
    ("duplicate evidence id", _set("evidence[1].id", "order"), {("evidence.duplicate_id", "evidence[1].id")}),
    (
        "contact cites unknown evidence",
        _set("contacts[0].evidence", ["chat", "chatlog"]),
        {("contacts.unknown_evidence", "contacts[0].evidence[1]")},
    ),
    # warnings and hints: a weaker complaint
    ("phone format", _set("complainant.phone", "12345"), {("complainant.phone_format", "complainant.phone")}),
    ("typo field", _set("order.amout", "5"), {("field.unknown", "order.amout")}),
    (
        "zero amount",
        _all(_set("order.amount", "0"), _set("demands[0].amount", "0")),
        {("order.amount_zero", "order.amount")},
    ),
    ("no payment", _del("order.payment"), {("order.payment_missing", "order.payment")}),
    (
        "no transaction number",
        _del("order.payment.transaction_no"),
        {("order.transaction_no_missing", "order.payment.transaction_no")},
    ),
    (
        "no payment time",
        _del("order.paid_at"),
        {("order.paid_at_missing", "order.paid_at"), ("window.no_start", "order.paid_at")},
    ),
    (
        "vague other problem",
        _all(_set("problem.type", "other"), _set("problem.summary", "服务太差")),
        {("problem.vague", "problem.type")},
    ),
    (
        "other with a specific summary",
        _set("problem.type", "other"),
        {("problem.other_type", "problem.type")},
    ),
    ("vague title", _set("title", "求助"), {("title.vague", "title")}),
    (
        "no evidence at all",
        _all(_set("evidence", []), _set("contacts[0].evidence", []), _set("contacts[1].evidence", [])),
        {("evidence.empty", "evidence")},
    ),
    ("no payment proof", lambda r: r["evidence"].pop(1), {("evidence.chain.payment_proof", "evidence")}),
    ("no order info", lambda r: r["evidence"].pop(0), {("evidence.chain.order_info", "evidence")}),
    ("no problem proof", lambda r: r["evidence"].pop(3), {("evidence.chain.problem_proof", "evidence")}),
    (
        "no communication evidence",
        _all(_set("evidence[2].kind", "other")),
        {("evidence.chain.communication", "evidence")},
    ),
    ("no contacts", _set("contacts", []), {("contacts.none", "contacts")}),
    (
        "contacts only with payment",
        _all(_set("contacts[0].with", "payment"), _set("contacts[1].with", "other")),
        {("contacts.no_merchant", "contacts")},
    ),
    ("no demands", _set("demands", []), {("demands.none", "demands")}),
    ("compensation without amount", _del("demands[1].amount"), {("demands.no_amount", "demands[1].amount")}),
    ("vague demand", _set("demands[1].note", "给我个说法"), {("demands.vague_phrase", "demands[1].note")}),
    (
        "other demand unexplained",
        _append("demands", {"type": "other"}),
        {("demands.other_unspecified", "demands[2].note")},
    ),
    (
        "redeliver unspecified",
        _append("demands", {"type": "redeliver"}),
        {("demands.redeliver_unspecified", "demands[2].quantity")},
    ),
    ("refund without destination", _del("demands[0].to"), {("demands.refund_destination", "demands[0].to")}),
    (
        "refund above paid",
        _set("demands[0].amount", "150.00"),
        {("demands.refund_exceeds_paid", "demands[0].amount")},
    ),
    (
        "punitive not 3x / 500",
        _append("demands", {"type": "punitive_damages", "amount": "300.00"}),
        {("demands.punitive_amount", "demands[2].amount"), ("demands.punitive_no_fraud", "demands[2]")},
    ),
    (
        "punitive exactly 500 needs evidence of fraud",
        _append("demands", {"type": "punitive_damages", "amount": "500"}),
        {("demands.punitive_no_fraud", "demands[2]")},
    ),
    (
        "punitive exactly 500 against a merchant who vanished after payment is fine",
        _all(
            _append("demands", {"type": "punitive_damages", "amount": "500"}),
            _set("problem.summary", "付款后商家跑路，店铺关闭，联系方式全部失效"),
        ),
        {("route.police", "problem.summary")},  # a vanished merchant: report to the police at once
    ),
    (
        "emotional summary",
        _set("problem.summary", "支付成功后点券未到账,你们这些骗子"),
        {("language.emotional", "problem.summary")},
    ),
    (
        "insult in timeline",
        _set("timeline[1].event", "垃圾商家回复系统延迟"),
        {("language.emotional", "timeline[1].event")},
    ),
    (
        "insult in contact",
        _set("contacts[1].summary", "要求退款,奸商未回复"),
        {("language.emotional", "contacts[1].summary")},
    ),
    ("insult in title", _set("title", "星辰卡盟黑店,点券未到账"), {("language.emotional", "title")}),
    (
        "insult in demand note",
        _set("demands[1].note", "无良商家延迟发货补偿"),
        {("language.emotional", "demands[1].note")},
    ),
    (
        "shouting",
        _set("timeline[2].event", "点券余额仍为12!!!"),
        {("language.punctuation", "timeline[2].event")},
    ),
    ("merchant's own words are quoted, not judged", _set("order.product", "垃圾平台专供点券 1000点"), set()),
    (
        "window: starts field invalid",
        _set("platform_policy.window_starts", "foo"),
        {("window.bad_start", "platform_policy.window_starts")},
    ),
    ("window: unknown", _del("platform_policy"), {("window.unknown", "platform_policy.complaint_window")}),
    (
        "window: from discovery, not recorded",
        _all(_set("platform_policy.window_starts", "discovered_at"), _del("problem.discovered_at")),
        {("window.no_start", "problem.discovered_at")},
    ),
    (
        "timeline out of order",
        _set("timeline[2].at", "2026-11-02T15:10:00"),
        {("time.out_of_order", "timeline[2].at")},
    ),
    (
        "paid before ordered",
        _set("order.paid_at", "2026-11-02T14:59:00"),
        {("time.paid_before_ordered", "order.paid_at")},
    ),
    (
        "time in the future",
        _set("contacts[1].at", "2026-11-04T09:00:00"),
        {("time.future", "contacts[1].at")},
    ),
    (
        "no complainant address",
        _del("complainant.address"),
        {("12315.complainant_address", "complainant.address")},
    ),
    (
        "no legal name",
        _del("respondent.legal_name"),
        {("12315.respondent_legal_name", "respondent.legal_name")},
    ),
    (
        "no respondent address",
        _del("respondent.address"),
        {("12315.respondent_address", "respondent.address")},
    ),
    (
        "brand instead of legal name",
        _set("respondent.legal_name", "星辰"),
        {("12315.legal_name_form", "respondent.legal_name")},
    ),
    (
        "bad credit code",
        _set("respondent.credit_code", "123"),
        {("respondent.credit_code_format", "respondent.credit_code")},
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [(m, e) for _, m, e in RULES], ids=[r[0] for r in RULES])
def test_rule(example_case: Path, baseline: set, mutate: Mutation, expected: set) -> None:
    assert new_findings(example_case, baseline, mutate) == expected


def test_false_promise_demands_promise_evidence(example_case: Path) -> None:
    found = findings_for(example_case, _all(_del("order.promise"), _set("problem.type", "false_promise")))
    found = [f for f in found if f.code != "route.report_12315"]  # false advertising: 12315 举报 too
    assert pairs(found) == {("evidence.chain.promise", "evidence")}
    assert "虚假承诺" in found[0].message


def test_not_as_described_needs_the_description(example_case: Path) -> None:
    found = findings_for(example_case, _all(_del("order.promise"), _set("problem.type", "not_as_described")))
    assert pairs(found) == {("evidence.chain.promise", "evidence")}


def test_no_response_does_not_need_problem_proof(example_case: Path) -> None:
    mutate = _all(_del("order.promise"), _set("problem.type", "no_response"), lambda r: r["evidence"].pop(3))
    assert findings_for(example_case, mutate) == []


def test_account_stolen_does_not_need_order_info(example_case: Path) -> None:
    mutate = _all(
        _del("order.promise"), _set("problem.type", "account_stolen"), lambda r: r["evidence"].pop(0)
    )
    assert findings_for(example_case, mutate) == []


def test_unknown_field_suggests_the_right_name(example_case: Path) -> None:
    found = findings_for(example_case, _set("complainant.phnoe", "13800138000"))
    (f,) = [f for f in found if f.code == "field.unknown"]
    assert f.path == "complainant.phnoe" and "phone" in f.hint and f.severity == "warning"


def test_unknown_field_reported_even_when_schema_fails(example_case: Path) -> None:
    def typo(raw: R) -> None:
        raw["order"]["oder_no"] = raw["order"].pop("order_no")

    found = pairs(findings_for(example_case, typo))
    assert ("required.order_no", "order.order_no") in found
    assert ("field.unknown", "order.oder_no") in found


def test_emotional_hint_is_the_factual_rewrite(example_case: Path) -> None:
    found = findings_for(example_case, _set("problem.summary", "你们就是骗人的,点券未到账"))
    (f,) = [f for f in found if f.code == "language.emotional"]
    assert "订单XX已支付48小时" in f.hint
    assert "你们就是骗人的" in f.message


def test_lexicon_can_be_extended_by_the_user(example_case: Path, kameng_home: Path) -> None:
    mutate = _set("timeline[1].event", "商家回复离谱,称系统延迟")
    assert not [f for f in findings_for(example_case, mutate) if f.code == "language.emotional"]
    (kameng_home / "lexicon.yaml").write_text("emotional:\n  离谱: 写清哪里不符合约定\n", "utf-8")
    found = [f for f in findings_for(example_case, mutate) if f.code == "language.emotional"]
    assert [(f.path, f.hint) for f in found] == [("timeline[1].event", "写清哪里不符合约定")]


def test_broken_user_lexicon_is_a_config_error(example_case: Path, kameng_home: Path) -> None:
    (kameng_home / "lexicon.yaml").write_text("emotional: [unclosed\n", "utf-8")
    with pytest.raises(ConfigError) as exc:
        check_path(example_case, now=NOW)
    assert "词库" in exc.value.message
    (kameng_home / "lexicon.yaml").write_text("emotional: 42\n", "utf-8")
    with pytest.raises(ConfigError):
        check_path(example_case, now=NOW)


def test_punitive_damages_follow_article_55(example_case: Path) -> None:
    def case_of(amount: str, punitive: str) -> Mutation:
        return _all(
            _set("order.amount", amount),
            _set("demands[0].amount", amount),
            _append("demands", {"type": "punitive_damages", "amount": punitive}),
        )

    def codes(mutate: Mutation) -> set[str]:
        return {f.code for f in findings_for(example_case, mutate)}

    assert "demands.punitive_amount" not in codes(case_of("1000", "3000"))
    assert "demands.punitive_amount" in codes(case_of("1000", "2000"))
    assert "demands.punitive_amount" in codes(case_of("1000", "5000"))
    assert "demands.punitive_amount" not in codes(case_of("100", "500"))
    assert "demands.punitive_amount" in codes(case_of("100", "300"))


# ------------------------------------------------------------------ evidence file contents


def _evidence_findings(example_case: Path, baseline: set, name: str, data: bytes) -> set:
    (example_case.parent / "evidence" / name).write_bytes(data)
    return new_findings(example_case, baseline, _set("evidence[3].file", f"evidence/{name}"))


def _image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def test_evidence_junk_bytes_are_not_evidence(example_case: Path, baseline: set) -> None:
    junk = bytes(range(256)) * 40
    assert _evidence_findings(example_case, baseline, "balance2.png", junk) == {
        ("evidence.file_type", "evidence[3].file")
    }


def test_evidence_truncated_png_is_caught(example_case: Path, baseline: set) -> None:
    png = (ROOT / "examples" / "evidence" / "balance.png").read_bytes()
    assert _evidence_findings(example_case, baseline, "cut.png", png[: len(png) // 2]) == {
        ("evidence.file_type", "evidence[3].file")
    }


def test_evidence_truncated_jpeg_is_caught(example_case: Path, baseline: set) -> None:
    buf = io.BytesIO()
    Image.effect_noise((300, 300), 60).convert("RGB").save(buf, format="JPEG", quality=95)
    data = buf.getvalue()
    assert _evidence_findings(example_case, baseline, "cut.jpg", data[: len(data) // 2]) == {
        ("evidence.file_type", "evidence[3].file")
    }


def test_evidence_empty_file(example_case: Path, baseline: set) -> None:
    assert _evidence_findings(example_case, baseline, "empty.png", b"") == {
        ("evidence.file_unreadable", "evidence[3].file")
    }


def test_evidence_extension_is_not_trusted(example_case: Path, baseline: set) -> None:
    assert _evidence_findings(example_case, baseline, "photo.png", _image_bytes("JPEG")) == {
        ("evidence.extension_mismatch", "evidence[3].file")
    }
    assert _evidence_findings(example_case, baseline, "fake.pdf", b"hello " * 10 + bytes(range(256))) == {
        ("evidence.file_type", "evidence[3].file")
    }


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("shot.jpg", lambda: _image_bytes("JPEG")),
        ("shot.gif", lambda: _image_bytes("GIF")),
        ("shot.webp", lambda: _image_bytes("WEBP")),
        ("shot.pdf", lambda: _image_bytes("PDF")),
        ("chat.txt", lambda: "2026-11-02 15:31 我:到账了吗?\n商家:系统延迟\n".encode()),
        ("chat-gbk.txt", lambda: "商家:系统延迟,半小时内到账\n".encode("gb18030")),
        ("long-chat.txt", lambda: ("x" + "商家:系统延迟,半小时内到账\n" * 60000).encode()),  # > 1 MB sample
        ("chat.html", lambda: "<!DOCTYPE html><html><body>商家:系统延迟</body></html>".encode()),
        ("rec.mp4", lambda: b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 500),
        ("rec.webm", lambda: b"\x1a\x45\xdf\xa3" + b"\x00" * 100),
        ("call.mp3", lambda: b"ID3\x04\x00\x00" + b"\x00" * 100),
    ],
)
def test_evidence_real_formats_are_accepted(example_case: Path, baseline: set, name: str, make) -> None:
    assert _evidence_findings(example_case, baseline, name, make()) == set()


def test_evidence_truncated_pdf_is_caught(example_case: Path, baseline: set) -> None:
    pdf = _image_bytes("PDF")
    assert _evidence_findings(example_case, baseline, "cut.pdf", pdf[: len(pdf) // 2]) == {
        ("evidence.file_type", "evidence[3].file")
    }


def test_missing_evidence_reported_when_schema_failed(example_case: Path) -> None:
    mutate = _all(_set("problem.type", "bad_service"), _set("evidence[2].file", "evidence/lost.png"))
    write_case(example_case, mutate)
    result = load_case(example_case)
    assert result.case is None
    found = pairs(check_case(result, now=NOW))
    assert {("schema.enum", "problem.type"), ("evidence.file_missing", "evidence[2].file")} <= found


# ------------------------------------------------------------------ clocks


def test_platform_window_closing_and_closed(example_case: Path, baseline: set) -> None:
    # paid 2026-11-02 15:00:30, window P7D → closes 2026-11-09 15:00:30
    closing = new_findings(example_case, baseline, None, datetime(2026, 11, 9, 0, 0, tzinfo=SHANGHAI))
    assert closing == {("window.closing", "platform_policy.complaint_window")}
    closed = new_findings(example_case, baseline, None, datetime(2026, 11, 9, 15, 1, tzinfo=SHANGHAI))
    assert closed == {("window.closed", "platform_policy.complaint_window")}
    still_open = new_findings(example_case, baseline, None, datetime(2026, 11, 8, 15, 0, tzinfo=SHANGHAI))
    assert still_open == set()


def test_short_platform_window_counts_in_hours(example_case: Path, baseline: set) -> None:
    found = findings_for(example_case, _set("platform_policy.complaint_window", "PT1H"))
    (f,) = [f for f in found if f.code == "window.closed"]
    assert "支付后1小时" in f.message and "2026-11-02 16:00" in f.message


def test_limitation_near_and_expired(example_case: Path, baseline: set) -> None:
    long_window = _set("platform_policy.complaint_window", "P5000D")
    # discovered 2026-11-02 → limitation ends at the end of 2029-11-02
    near = new_findings(example_case, baseline, long_window, datetime(2029, 9, 1, tzinfo=SHANGHAI))
    assert near == {("limitation.near", "problem.discovered_at")}
    expired = new_findings(example_case, baseline, long_window, datetime(2029, 11, 3, 0, 1, tzinfo=SHANGHAI))
    assert expired == {("limitation.expired", "problem.discovered_at")}
    last_day = new_findings(
        example_case, baseline, long_window, datetime(2029, 11, 2, 23, 0, tzinfo=SHANGHAI)
    )
    assert last_day == {("limitation.near", "problem.discovered_at")}
    far = new_findings(example_case, baseline, long_window, datetime(2029, 7, 1, tzinfo=SHANGHAI))
    assert far == set()


def test_limitation_counts_from_payment_without_discovery(example_case: Path, baseline: set) -> None:
    mutate = _all(_set("platform_policy.complaint_window", "P5000D"), _del("problem.discovered_at"))
    found = new_findings(example_case, baseline, mutate, datetime(2030, 1, 1, tzinfo=SHANGHAI))
    assert found == {("limitation.expired", "order.paid_at")}


def test_add_years_on_leap_day() -> None:
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert add_years(date(2026, 11, 2), 3) == date(2029, 11, 2)


# ------------------------------------------------------------------ secrets in free text


def _secret_findings(example_case: Path, baseline: set, text: str, **extra: Any) -> set:
    mutate = _set("timeline[2].event", text)
    if extra:
        mutate = _all(mutate, *(_set(k.replace("__", "."), v) for k, v in extra.items()))
    return new_findings(example_case, baseline, mutate)


def test_grouped_card_key_is_an_error(example_case: Path, baseline: set) -> None:
    key = "K7QP-38ZD-M2WX-91FA"
    found = findings_for(example_case, _set("timeline[2].event", f"兑换卡密 {key} 提示已被使用"))
    (f,) = [f for f in found if f.code == "secret.card_key"]
    assert f.severity == "error" and f.path == "timeline[2].event"
    assert key not in f.message and key not in f.hint


def test_the_case_card_key_in_text_is_an_error(example_case: Path, baseline: set) -> None:
    found = _secret_findings(
        example_case, baseline, "兑换 q8w7e6r5t4y3 提示已被使用", order__card_key="q8w7e6r5t4y3"
    )
    assert found == {("secret.card_key", "timeline[2].event")}


def test_id_number_in_text(example_case: Path, baseline: set) -> None:
    valid = "11010519491231002X"
    assert id_checksum_ok(valid)
    assert _secret_findings(example_case, baseline, f"我的身份证号 {valid}") == {
        ("secret.id_number", "timeline[2].event")
    }
    wrong_check = valid[:-1] + "5"
    assert _secret_findings(example_case, baseline, f"身份证 {wrong_check}") == {
        ("secret.id_like", "timeline[2].event")
    }


def test_password_in_text(example_case: Path, baseline: set) -> None:
    found = findings_for(example_case, _set("contacts[1].summary", "把游戏账号密码:abc12345 发给了客服"))
    (f,) = [f for f in found if f.code == "secret.password"]
    assert f.path == "contacts[1].summary" and "abc12345" not in f.message
    assert _secret_findings(example_case, baseline, "客服说密码错误") == set()


def test_key_like_and_bank_card(example_case: Path, baseline: set) -> None:
    assert _secret_findings(example_case, baseline, "兑换码 A1B2C3D4E5F6G7H8J9") == {
        ("secret.key_like", "timeline[2].event")
    }
    card = _luhn_complete("622202123456789012")
    assert _secret_findings(example_case, baseline, f"退到银行卡 {card}") == {
        ("secret.bank_card", "timeline[2].event")
    }


def test_identifiers_and_placeholders_are_not_secrets(example_case: Path, baseline: set) -> None:
    text = (
        "订单KM20261102150012 交易号2026110222001400000000001234 卡密XXXX-XXXX-XXXX-XXXX "
        "店铺 https://xingchen-km.example.com/shop/88231 2026-11-02 15:00"
    )
    assert _secret_findings(example_case, baseline, text) == set()


def _luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        digits = [int(c) for c in prefix + d][::-1]
        total = sum(n if i % 2 == 0 else (n * 2 - 9 if n > 4 else n * 2) for i, n in enumerate(digits))
        if total % 10 == 0:
            return prefix + d
    raise AssertionError


# ------------------------------------------------------------------ documentation


def test_every_code_is_documented_with_its_severity() -> None:
    doc = (ROOT / "docs" / "checks.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| `([a-z0-9_.]+)` \| \**(error|warning|hint)\** \|", doc, re.MULTILINE))
    assert set(rows) == set(CODES)
    assert {code: sev for code, sev in rows.items()} == {c: i.severity for c, i in CODES.items()}


def test_case_format_documents_every_enum_value() -> None:
    from kameng_filer.case.model import (
        PROBLEM_FAMILY,
        PROBLEM_LABELS,
        DemandType,
        EvidenceKind,
        PaymentMethod,
    )

    doc = (ROOT / "docs" / "case-format.md").read_text("utf-8")
    for ptype, label in PROBLEM_LABELS.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{ptype.value}` |"))
        assert label.split("(")[0] in row and PROBLEM_FAMILY[ptype] in row
    for enum in (DemandType, EvidenceKind, PaymentMethod):
        for member in enum:
            assert f"`{member.value}`" in doc


def test_policy_override_that_does_not_apply_is_an_error(tmp_path: Path) -> None:
    from kameng_filer.checks import check_path
    from tests.conftest import EXAMPLE_DIR

    shutil.copytree(EXAMPLE_DIR, tmp_path / "c")
    path = tmp_path / "c" / "case.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["policies"] = {"card_platform": {"clocks": {"processing": {"duration": {"fortnights": 2}}}}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _, findings = check_path(path, now=NOW)
    hits = [f for f in findings if f.code == "policies.invalid"]
    assert hits and hits[0].path == "policies.card_platform" and hits[0].severity == "error"
