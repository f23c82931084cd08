"""SLA policy files: every channel loads, every clock is sourced, overrides merge, evaluate() states."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
import yaml

from kameng_filer import paths
from kameng_filer.errors import ConfigError
from kameng_filer.registry import names as registry_names
from kameng_filer.timeutil import SHANGHAI
from kameng_filer.tracker.policy import (
    EVENTS,
    Clock,
    Duration,
    QuietHours,
    builtin_channels,
    evaluate,
    load_all_policies,
    load_policy,
    policy_filename,
)
from kameng_filer.workdays import WorkCalendar

CAL = WorkCalendar()
CHANNELS = ["12315", "alipay", "card_platform", "consumer_association", "email", "heimao", "wechat_pay"]


def t(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def eod(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI)


def user_file(name: str, text: str) -> Path:
    path = paths.user_schedules_dir() / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the shipped files ---------------------------------------------------------------------------------


def test_every_channel_has_a_policy_file() -> None:
    assert builtin_channels() == CHANNELS
    assert sorted(registry_names()) == sorted(CHANNELS)
    assert policy_filename("12315") == "gov12315.yaml"
    assert policy_filename("wechat_pay") == "wechat_pay.yaml"


@pytest.mark.parametrize("channel", CHANNELS)
def test_policy_loads_and_every_clock_is_sourced(channel: str) -> None:
    policy = load_policy(channel)
    assert policy.channel == channel
    assert policy.title
    assert policy.follow_up.source and policy.follow_up.confidence in ("H", "M", "L")
    assert policy.quiet_hours.start.hour == 9 and policy.quiet_hours.end.hour == 18
    assert "limitation" in policy.clocks
    for clock_id, clock in policy.clocks.items():
        assert clock.id == clock_id
        assert clock.source.strip(), clock_id
        assert clock.confidence in ("H", "M", "L")
        assert clock.starts_on in EVENTS
        due = clock.due(t(2026, 2, 13, 10, 0), CAL)
        assert due.due > t(2026, 2, 13, 10, 0)
    for target in policy.escalate_to:
        assert target in CHANNELS or target in ("internal", "legal"), target
    for name in policy.variants:
        assert load_policy(channel, variant=name).variant == name


def test_shipped_files_are_plain_yaml_mappings() -> None:
    files = [f for f in resources.files("kameng_filer.schedules").iterdir() if f.name.endswith(".yaml")]
    assert len(files) == 8
    for f in files:
        assert isinstance(yaml.safe_load(f.read_text(encoding="utf-8")), dict), f.name


def test_clocks_from_domain_and_channels() -> None:
    p = load_all_policies()
    card = p["card_platform"]
    assert card.clock("review").duration == Duration(hours=24)
    assert card.clock("processing").duration == Duration(working_days=5)
    assert card.clock("review_window").duration == Duration(working_days=2)
    assert card.clock("escalation_answer").duration == Duration(hours=48)
    assert card.escalation is not None and card.escalation.max_attempts == 3
    assert load_policy("card_platform", variant="slow").clock("processing").duration.working_days == 7
    assert load_policy("card_platform", variant="fast").clock("processing").duration.working_days == 3

    wx = p["wechat_pay"]
    assert wx.clock("merchant_first_reply").duration == Duration(end_of_day_after=1)
    assert wx.clock("merchant_resolution").duration == Duration(end_of_day_after=3)
    assert wx.clock("merchant_resolution").confidence == "M"
    mini = load_policy("wechat_pay", variant="mini_program")
    assert mini.clock("merchant_resolution").duration == Duration(hours=48)
    assert mini.clock("merchant_resolution").confidence == "H"
    assert not mini.clock("merchant_first_reply").enabled

    ali = p["alipay"]
    assert ali.clock("merchant_overdue").confidence == "L"
    assert ali.clock("processing").duration == Duration(days=30) and ali.clock("processing").confidence == "L"

    gov = p["12315"]
    assert gov.clock("acceptance").duration == Duration(working_days=7)
    assert gov.clock("acceptance").confidence == "H"
    assert (
        gov.clock("mediation").duration == Duration(days=60)
        and gov.clock("mediation").starts_on == "accepted"
    )
    assert gov.clock("termination_notice").duration == Duration(working_days=7)
    assert gov.clock("odr_enterprise").duration == Duration(working_days=10)
    assert not gov.clock("odr_enterprise").enabled
    odr = load_policy("12315", variant="enterprise_first")
    assert odr.clock("odr_enterprise").enabled and odr.clock("acceptance").starts_on == "escalated"

    for name in ("heimao", "consumer_association"):
        clock = p[name].clock("response")
        assert clock.duration == Duration(working_days=7) and clock.confidence == "L"
    assert p["heimao"].clock("limitation").duration == Duration(years=3)
    assert "12315" not in p["consumer_association"].escalate_to  # mutually exclusive (办法 art. 16)


# -- layers ------------------------------------------------------------------------------------------


def test_user_folder_overrides_builtin_file() -> None:
    path = user_file(
        "card_platform.yaml",
        "clocks:\n  processing:\n    duration: {working_days: 7}\n    confidence: H\nfollow_up:\n  max: 4\n",
    )
    policy = load_policy("card_platform")
    assert policy.clock("processing").duration == Duration(working_days=7)
    assert policy.clock("processing").confidence == "H"
    assert policy.clock("processing").title == "平台处理(给出结果)"  # untouched keys stay
    assert policy.follow_up.max == 4 and policy.follow_up.spacing == Duration(working_days=2)
    assert str(path) in policy.layers


def test_user_common_file_applies_to_every_channel() -> None:
    user_file("_common.yaml", 'quiet_hours:\n  start: "10:00"\n  end: "17:30"\n')
    for policy in load_all_policies().values():
        assert (policy.quiet_hours.start.hour, policy.quiet_hours.end.minute) == (10, 30)


def test_user_file_can_define_a_new_channel() -> None:
    user_file(
        "my_site.yaml",
        "title: 某卡盟\nclocks:\n  reply:\n    title: 回复\n    starts_on: filed\n"
        "    duration: {hours: 12}\n    ends_on: [replied]\n    on_lapse: follow_up\n"
        "    source: 站点公告\n    confidence: M\n"
        "follow_up: {max: 1, spacing: {hours: 24}, source: 默认, confidence: L}\n",
    )
    policy = load_policy("my_site")
    assert policy.clock("reply").duration == Duration(hours=12)
    assert policy.clock("limitation").duration == Duration(years=3)  # from _common


def test_profile_then_case_overrides_win_in_order() -> None:
    profile = {"clocks": {"processing": {"duration": {"working_days": 7}, "note": "站点承诺 7 个工作日"}}}
    case = {"clocks": {"processing": {"duration": {"working_days": 4}}}}
    assert (
        load_policy("card_platform", profile_overrides=profile).clock("processing").duration.working_days == 7
    )
    both = load_policy("card_platform", profile_overrides=profile, case_overrides=case)
    assert both.clock("processing").duration.working_days == 4
    assert both.clock("processing").note == "站点承诺 7 个工作日"
    assert both.layers[-2:] == ["站点配置的期限覆盖", "案件的期限覆盖"]


def test_profile_selects_variant_and_case_still_wins() -> None:
    policy = load_policy(
        "wechat_pay",
        profile_overrides={"variant": "mini_program"},
        case_overrides={"clocks": {"merchant_resolution": {"duration": {"hours": 36}}}},
    )
    assert policy.variant == "mini_program"
    assert policy.clock("merchant_resolution").duration == Duration(hours=36)
    assert not policy.clock("merchant_first_reply").enabled


def test_case_can_switch_duration_unit_and_delete_with_null() -> None:
    policy = load_policy(
        "alipay",
        case_overrides={"clocks": {"merchant_overdue": {"duration": {"days": 5, "roll_to_workday": False}}}},
    )
    assert policy.clock("merchant_overdue").duration == Duration(days=5, roll_to_workday=False)
    removed = load_policy("alipay", case_overrides={"clocks": {"processing": None}})
    assert "processing" not in removed.clocks


# -- bad files -----------------------------------------------------------------------------------------


def test_yaml_syntax_error_names_file_and_line() -> None:
    path = user_file("heimao.yaml", "clocks:\n  response:\n    duration: {working_days: 7\n")
    with pytest.raises(ConfigError) as info:
        load_policy("heimao")
    assert str(path) in info.value.message and "行" in info.value.message


def test_unknown_key_names_path_file_and_line() -> None:
    path = user_file("heimao.yaml", "clocks:\n  response:\n    durration: {working_days: 9}\n")
    with pytest.raises(ConfigError) as info:
        load_policy("heimao")
    msg = info.value.message
    assert "clocks.response.durration" in msg and str(path) in msg and "第 3 行" in msg


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"clocks": {"response": {"duration": {"working_days": 7, "hours": 3}}}}, "只能写一种单位"),
        ({"clocks": {"response": {"duration": {"hours": 3, "roll_to_workday": True}}}}, "roll_to_workday"),
        ({"clocks": {"response": {"duration": {"working_days": 0}}}}, "working_days"),
        ({"clocks": {"response": {"starts_on": "sent"}}}, "不是已知事件"),
        ({"clocks": {"response": {"confidence": "X"}}}, "confidence"),
        ({"clocks": {"response": {"on_lapse": "panic"}}}, "on_lapse"),
        ({"clocks": {"response": {"source": ""}}}, "source"),
        ({"quiet_hours": {"start": 540}}, "09:00"),
        ({"quiet_hours": {"start": "19:00"}}, "早于"),
        ({"clocks": {"response": {"remind_before": {"working_days": 1}}}}, "remind_before"),
        ({"escalate_to": ["../etc"]}, "escalate_to"),
        ({"follow_up": {"max": 99}}, "follow_up.max"),
    ],
)
def test_bad_case_overrides_are_config_errors(overrides: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_policy("heimao", case_overrides=overrides)
    assert needle in info.value.message
    assert "案件的期限覆盖" in info.value.message or "(" in info.value.message


def test_unquoted_time_in_user_file_is_explained() -> None:
    user_file("_common.yaml", "quiet_hours:\n  start: 9:30\n")  # YAML 1.1 reads this as 570
    with pytest.raises(ConfigError, match="09:00"):
        load_policy("email")


@pytest.mark.parametrize("channel", ["nope", "../card_platform", "", "_common"])
def test_unknown_or_invalid_channel(channel: str) -> None:
    with pytest.raises(ConfigError):
        load_policy(channel)


def test_unknown_variant_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="mini_program"):
        load_policy("wechat_pay", variant="mini")


def test_non_mapping_files_and_overrides() -> None:
    user_file("email.yaml", "- a\n- b\n")
    with pytest.raises(ConfigError, match="顶层"):
        load_policy("email")
    with pytest.raises(ConfigError, match="映射"):
        load_policy("heimao", case_overrides=["x"])  # type: ignore[arg-type]


# -- evaluate ----------------------------------------------------------------------------------------------


def processing() -> Clock:
    return load_policy("card_platform").clock("processing")


START = t(2026, 2, 13, 10, 0)  # Friday before the 2026 Spring Festival


def test_evaluate_due_and_lapsed() -> None:
    clock = processing()  # 5 working days: 2/14 (Sat make-up), 2/24, 2/25, 2/26, 2/27
    state = evaluate(clock, start=START, now=t(2026, 2, 20, 12, 0), calendar=CAL)
    assert state.state == "due" and state.due.due == eod(2026, 2, 27)
    assert evaluate(clock, start=START, now=eod(2026, 2, 27), calendar=CAL).state == "due"
    lapsed = evaluate(clock, start=START, now=t(2026, 2, 28, 0, 0), calendar=CAL)
    assert lapsed.state == "lapsed" and lapsed.to_dict()["due_date"] == "2026-02-27"


def test_evaluate_fulfilled_on_time_and_late() -> None:
    clock = processing()
    ok = evaluate(
        clock, start=START, now=t(2026, 3, 5, 9, 0), fulfilled_at=t(2026, 2, 26, 15, 0), calendar=CAL
    )
    assert ok.state == "fulfilled" and not ok.late
    late = evaluate(
        clock, start=START, now=t(2026, 3, 5, 9, 0), fulfilled_at=t(2026, 3, 2, 9, 0), calendar=CAL
    )
    assert late.state == "fulfilled" and late.late
    future = evaluate(
        clock, start=START, now=t(2026, 2, 25, 9, 0), fulfilled_at=t(2026, 2, 26, 9, 0), calendar=CAL
    )
    assert future.state == "due"  # fulfilment after `now` is not known yet


def test_evaluate_pause_extends_the_deadline() -> None:
    clock = processing()
    pause = [(t(2026, 2, 24, 10, 0), t(2026, 2, 26, 10, 0))]  # 2 days waiting for the person
    state = evaluate(clock, start=START, now=t(2026, 2, 28, 12, 0), paused_intervals=pause, calendar=CAL)
    # start moves to 2/15 10:00 → 2/24, 2/25, 2/26, 2/27, 2/28 (Saturday make-up day)
    assert state.state == "due"
    assert state.due.due == eod(2026, 2, 28)
    assert state.paused_for == timedelta(days=2)
    without = evaluate(clock, start=START, now=t(2026, 2, 28, 12, 0), calendar=CAL)
    assert without.state == "lapsed"


def test_evaluate_open_pause_is_paused_and_keeps_moving() -> None:
    clock = processing()
    pause = [(t(2026, 2, 25, 9, 0), None)]
    state = evaluate(clock, start=START, now=t(2026, 3, 4, 9, 0), paused_intervals=pause, calendar=CAL)
    assert state.state == "paused"
    later = evaluate(clock, start=START, now=t(2026, 3, 9, 9, 0), paused_intervals=pause, calendar=CAL)
    assert later.state == "paused" and later.due.due > state.due.due


def test_evaluate_pause_after_lapse_does_not_revive() -> None:
    clock = processing()
    pause = [(t(2026, 3, 2, 9, 0), None)]
    state = evaluate(clock, start=START, now=t(2026, 3, 3, 9, 0), paused_intervals=pause, calendar=CAL)
    assert state.state == "lapsed" and state.due.due == eod(2026, 2, 27)


def test_evaluate_hours_clock_pause_is_exact_and_overlaps_merge() -> None:
    review = load_policy("card_platform").clock("review")  # 24 h
    pauses = [
        (t(2026, 2, 13, 12, 0), t(2026, 2, 13, 14, 0)),
        (t(2026, 2, 13, 13, 0), t(2026, 2, 13, 15, 0)),  # overlaps: 3 h in total
        (t(2026, 2, 10, 0, 0), t(2026, 2, 13, 9, 0)),  # before the start: ignored
    ]
    state = evaluate(review, start=START, now=t(2026, 2, 14, 12, 0), paused_intervals=pauses, calendar=CAL)
    assert state.due.due == t(2026, 2, 14, 13, 0)
    assert state.state == "due" and state.paused_for == timedelta(hours=3)


def test_evaluate_remind_before() -> None:
    window = load_policy("card_platform").clock("review_window")  # 2 working days, remind 24 h before
    state = evaluate(window, start=t(2026, 2, 12, 16, 0), now=t(2026, 2, 13, 9, 0), calendar=CAL)
    assert state.due.due == eod(2026, 2, 14)
    assert state.remind_at == eod(2026, 2, 14) - timedelta(hours=24)


def test_evaluate_provisional_deadline_in_2027() -> None:
    acceptance = load_policy("12315").clock("acceptance")
    state = evaluate(acceptance, start=t(2027, 2, 1, 10, 0), now=t(2027, 2, 2, 10, 0), calendar=CAL)
    # 2/2, 2/3, 2/4, then 2/5–2/8 computed Spring Festival, 2/9, 2/10, 2/11, 2/12
    assert state.due.due == eod(2027, 2, 12) and state.due.provisional


# -- quiet hours ----------------------------------------------------------------------------------------------


def test_quiet_hours_follow_working_days() -> None:
    q = QuietHours()
    assert q.allows(t(2026, 2, 14, 10, 0), CAL)  # Saturday make-up day
    assert not q.allows(t(2026, 2, 15, 10, 0), CAL)  # holiday
    assert not q.allows(t(2026, 2, 13, 18, 0), CAL)
    assert q.next_allowed(t(2026, 2, 13, 19, 0), CAL) == t(2026, 2, 14, 9, 0)
    assert q.next_allowed(t(2026, 2, 13, 8, 0), CAL) == t(2026, 2, 13, 9, 0)
    assert q.next_allowed(t(2026, 2, 14, 18, 30), CAL) == t(2026, 2, 24, 9, 0)
    assert q.next_allowed(t(2026, 2, 24, 11, 0), CAL) == t(2026, 2, 24, 11, 0)
    anyday = QuietHours(workdays_only=False)
    assert anyday.next_allowed(t(2026, 2, 15, 20, 0), CAL) == t(2026, 2, 16, 9, 0)


def test_duration_descriptions() -> None:
    assert Duration(working_days=7).describe() == "7 个工作日"
    assert Duration(end_of_day_after=1).describe() == "次日 24:00 前"
    assert Duration(days=60).describe() == "60 天（遇节假日顺延）"
    assert Duration(days=7, roll_to_workday=False).describe() == "7 天"
    assert Duration(years=3).apply(t(2026, 1, 5, 9, 0), CAL).due_date == date(2029, 1, 5)
