"""Rendered texts stay byte-identical to the golden file: every channel × purpose × context × case variant.

The golden file ``tests/data/render_golden.json`` was written by ``.venv/bin/python -m tests.render_golden``
(see tests/render_golden.py); regenerate it only when a text is meant to change, and read the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kameng_filer import paths
from kameng_filer.case import Case
from kameng_filer.render import mask, render
from kameng_filer.render.facts import Facts, build_facts
from kameng_filer.render.memo import facts_key
from tests import render_golden


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Today's texts, rendered once for the module with an empty data folder (built-in templates only)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(tmp_path_factory.mktemp("kameng-golden")))
        return render_golden.dump()


@pytest.fixture(scope="module")
def stored() -> dict:
    return json.loads(render_golden.GOLDEN.read_text(encoding="utf-8"))


def test_example_case_texts_are_unchanged(outcomes: dict, stored: dict) -> None:
    assert stored["texts"], "the golden file holds the example cases' texts"
    for key, expected in stored["texts"].items():
        assert outcomes[key] == expected, key


def test_every_variant_is_unchanged(outcomes: dict, stored: dict) -> None:
    assert set(outcomes) == set(stored["digests"])
    changed = [k for k, v in outcomes.items() if render_golden.digest(v) != stored["digests"][k]]
    assert not changed, f"{len(changed)} texts changed, e.g. {changed[:5]}: {outcomes[changed[0]]}"


def test_render_all_matches_render_channel_by_channel(outcomes: dict) -> None:
    differ = [k for k, v in outcomes.items() if k.endswith("|all") and v != "same"]
    assert not differ, differ[:5]


def test_variants_exercise_fitting_masking_and_errors(outcomes: dict) -> None:
    """The golden file only guards what it covers: parts dropped, limits exceeded, personal data masked."""
    dropped = {k.split("|")[0] for k, v in outcomes.items() if isinstance(v, dict) and v.get("dropped")}
    assert {"first", "second", "first-long-summary", "first-busy", "first-rules"} <= dropped
    assert any("error" in v for k, v in outcomes.items() if k.startswith("first-huge-summary"))
    heimao = outcomes["first-personal|full|complaint|heimao"]["fields"]["description"]
    assert "110101199003074514" not in heimao and "13800138000" not in heimao
    assert "KM20261102150012" in heimao


# --- the speed-ups keep every text exactly as it was (kameng_filer.render.memo / facts / mask) ----------


def _example() -> Case:
    return render_golden.load_variant("first")


def test_facts_key_covers_every_field() -> None:
    """Two facts that differ in any field get different memo keys (so a remembered text is never reused)."""
    f = build_facts(_example())
    other = {
        int: 7,
        str: "另一个值",
        Decimal: Decimal("100.0"),  # equal to 100.00 but printed differently
    }
    for fd in dataclasses.fields(Facts):
        value = getattr(f, fd.name)
        if isinstance(value, bool | int | str | Decimal):
            changed = other[type(value)] if value != other[type(value)] else type(value)()
        elif isinstance(value, datetime):
            changed = value.astimezone(UTC)  # the same instant in another zone
        elif value is None:
            changed = datetime(2026, 1, 1, tzinfo=UTC)
        elif isinstance(value, tuple) and value:
            changed = value[:-1]
        else:
            changed = (value[0],) if value else ("x",)
        assert facts_key(dataclasses.replace(f, **{fd.name: changed})) != facts_key(f), fd.name


def test_a_changed_case_gets_new_facts_and_texts() -> None:
    case = _example()
    before = render(case, "alipay").fields["content"]
    assert build_facts(case) is build_facts(case)  # the seven channels of one case share the facts
    case.problem.summary = "商家收款后一直不发货"
    after = render(case, "alipay").fields["content"]
    assert "商家收款后一直不发货" in after and after != before
    case.order.amount = Decimal("100.0")
    assert (
        render(case, "card_platform", fit=False).fields["content"]
        == render(_with(case), "card_platform", fit=False).fields["content"]
    )


def _with(case: Case) -> Case:
    """A fresh copy of ``case`` (nothing remembered can apply to it by identity)."""
    return Case.model_validate(case.model_dump())


def test_an_edited_override_is_used_at_once(kameng_home: Path) -> None:
    case = _example()
    folder = paths.user_templates_dir() / "alipay"
    folder.mkdir(parents=True)
    target = folder / "complaint.j2"
    target.write_text(
        "{% block content %}第一版:订单{{ f.order_no }}。{{ m.compact(f, show) }}{% endblock %}", "utf-8"
    )
    assert render(case, "alipay").fields["content"].startswith("第一版")
    target.write_text(
        "{% block content %}第二版:订单{{ f.order_no }}。{{ m.compact(f, show) }}{% endblock %}", "utf-8"
    )
    stamp = target.stat().st_mtime_ns + 2_000_000_000
    os.utime(target, ns=(stamp, stamp))
    assert render(case, "alipay").fields["content"].startswith("第二版")


def test_an_edited_macros_override_is_used_at_once(kameng_home: Path) -> None:
    case = _example()
    common = paths.user_templates_dir() / "_common"
    common.mkdir(parents=True)
    macros = common / "macros.j2"
    builtin = (render_golden.ROOT / "templates" / "_common" / "macros.j2").read_text("utf-8")
    macros.write_text(builtin.replace("【{{ title }}】", "[{{ title }}]"), "utf-8")
    first = render(case, "email").fields["body"]
    assert "[基本情况]" in first
    macros.write_text(builtin.replace("【{{ title }}】", "<{{ title }}>"), "utf-8")
    stamp = macros.stat().st_mtime_ns + 2_000_000_000
    os.utime(macros, ns=(stamp, stamp))
    second = render(case, "email").fields["body"]
    assert "<基本情况>" in second and "[基本情况]" not in second


@pytest.mark.parametrize(
    "body",
    [
        "{{ m.compact(f, show) }}",
        "[{{ m.on_parts(show) }}]{{ m.compact(f, show) }}",
        "{{ m.compact(f, show) }}{% if show.closing %}{{ m.switch_off_law(show) }}{% endif %}",
        "{{ m.subject(f, show, prefix=f.platform, tail='-处理未果') }}{{ m.compact(f, show, with_order=false) }}",
    ],
)
def test_remembered_macros_give_what_jinja_gives(kameng_home: Path, body: str) -> None:
    """The same template once with the remembering ``m`` and once importing the macros itself (plain Jinja).

    Includes macros that look at ``show`` through ``items()`` (not a tracked read) or change it.
    """
    case = _example()
    common = paths.user_templates_dir() / "_common"
    common.mkdir(parents=True)
    builtin = (render_golden.ROOT / "templates" / "_common" / "macros.j2").read_text("utf-8")
    extra = (
        "\n{% macro on_parts(show) -%}{% for k, v in show.items() %}{% if v %}{{ k }} {% endif %}{% endfor %}"
        "{%- endmacro %}\n"
        "{% macro switch_off_law(show) -%}{% set _ = show.update({'law': false}) %}{{ show.law }}{%- endmacro %}\n"
    )
    (common / "macros.j2").write_text(builtin + extra, "utf-8")
    target = paths.user_templates_dir() / "wechat_pay" / "complaint.j2"
    target.parent.mkdir(parents=True)
    results = []
    remembering = "{% block detail %}" + body + "{% endblock %}"
    plain = (
        '{% import "_common/macros.j2" as plain %}{% block detail %}'
        + body.replace("m.", "plain.")
        + "{% endblock %}"
    )
    for source in (remembering, plain, remembering):  # the remembering m, Jinja's own import, m again
        target.write_text(source, "utf-8")
        stamp = target.stat().st_mtime_ns + 2_000_000_000 * (len(results) + 1)
        os.utime(target, ns=(stamp, stamp))
        out = render(render_golden.paid_through(case, "wechat_pay"), "wechat_pay")
        results.append((out.fields, out.dropped))
    assert results[0] == results[1] == results[2]
    assert results[0][1], "the text had to be fitted (parts dropped)"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "13800138000",
                "+86 138-0013-8000",
                "0571-88886666",
                "010 12345678",
                "zhang@example.com",
                "110101199003074514",
                "11010119900307451X",
                "ABCD-EFGH-IJKL",
                "AB12CD34EF56GH78JK",
                "卡密:abc123456",
                "CDKEY is ZZZZ99999",
                "北京市朝阳区望京街道某小区3号楼502",
                "浙江省杭州市余杭区某路88号",
                "订单",
                "1",
                "-",
                "@",
                " ",
                "\n",
                "市",
                "区",
                "路",
                "号",
                "12",
                "2026年11月2日 15:00",
                "A",
                "x9",
            ]
        )
        | st.text(alphabet="0123456789-@ .abcXYZ市区路号省", max_size=12),
        max_size=12,
    ).map("".join)
)
def test_mask_pre_checks_never_skip_a_match(text: str) -> None:
    """Each regex's cheap pre-check only skips it when it cannot match: same result as running them all."""
    unguarded = text
    for rx, repl, _ in mask._REGEX_STEPS:
        unguarded = rx.sub(repl, unguarded)
    assert mask.mask_patterns(text) == unguarded
