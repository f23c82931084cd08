"""The channel descriptor (``ChannelSpec``) is all the core reads about a channel.

Two plugin channels are registered for real, in-process: a ``*.dist-info`` folder with an
``entry_points.txt`` on ``sys.path`` (what ``pip install`` writes), so ``importlib.metadata`` finds them.
Then the planner, the exclusive check, the status words, the policy file name and the tracker's
capabilities treat them exactly as they treat the built-in channels.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kameng_filer import catalog, registry
from kameng_filer.case.loader import load_case
from kameng_filer.case.model import ProblemType
from kameng_filer.filing.channels import exclusive_conflict
from kameng_filer.filing.status_words import known_words, normalise_status
from kameng_filer.planner import plan_channels
from kameng_filer.timeutil import SHANGHAI
from kameng_filer.tracker.channel_io import can_poll
from kameng_filer.tracker.policy import policy_filename
from tests.conftest import EXAMPLE_DIR

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=SHANGHAI)

PLUGIN = '''
from typing import Any

from kameng_filer.adapter import Adapter, FilingPlan, Receipt, StatusReport
from kameng_filer.channels import ChannelSpec, FieldSpec, PlanRule, Requirement, status_words
from kameng_filer.timeutil import now

SPEC = ChannelSpec(
    name="acme_desc",
    title="Acme 测试渠道",
    kind="http",
    fields=(FieldSpec("content", "内容", "textarea", rendered=True),),
    schedule="acme-policy.yaml",
    exclusive_with=("12315",),
    requires=(Requirement("respondent.legal_name", "被投诉方全称"),),
    status_vocabulary=status_words({"已受理": ("open", "accepted"), "处理中": ("replied", "replied")}),
    plan=PlanRule(
        when="平台工单之后",
        reason="测试渠道:欺诈时使用",
        after="card_platform",
        rank=85,
        only_if=("fraud",),
    ),
)


class AcmeAdapter(Adapter):
    spec = SPEC

    async def status(self, receipt: dict[str, Any], ctx: Any) -> StatusReport:
        return StatusReport(raw="处理中", state="open", checked_at=now())


class BareAdapter(Adapter):
    """Declares no capabilities and implements only submit: the tracker must not poll it."""

    spec = ChannelSpec(name="bare_desc", title="只提交的渠道", kind="browser", fields=())

    async def submit(self, plan: FilingPlan, ctx: Any) -> Receipt:
        raise NotImplementedError
'''


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two plugin channels installed the way pip installs them (module + dist-info entry points)."""
    (tmp_path / "acme_desc_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = tmp_path / "acme_desc_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-desc-plugin\nVersion: 1.0\n", "utf-8")
    (info / "entry_points.txt").write_text(
        "[kameng_filer.adapters]\n"
        "acme_desc = acme_desc_plugin:AcmeAdapter\n"
        "bare_desc = acme_desc_plugin:BareAdapter\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        registry.cache_clear()


def _case(*, fraud: bool):
    case = load_case(EXAMPLE_DIR / "case.yaml").case
    assert case is not None
    case.problem.type = ProblemType.false_promise if fraud else ProblemType.not_delivered
    return case


def test_a_plugin_with_a_plan_rule_is_planned_like_a_builtin(plugins: None) -> None:
    assert {"acme_desc", "bare_desc"} <= set(registry.names())
    steps = {s.channel: s for s in plan_channels(_case(fraud=True), now=NOW).steps}
    # 12315 is planned (the example case meets its requirements): the plugin declared itself exclusive with it
    if "12315" in steps:
        excluded = {e.channel: e.reason for e in plan_channels(_case(fraud=True), now=NOW).excluded}
        assert "互斥" in excluded["acme_desc"] and "全国12315平台" in excluded["acme_desc"]
    plan = plan_channels(_case(fraud=True), now=NOW, available={"card_platform", "acme_desc"})
    mine = [s for s in plan.steps if s.channel == "acme_desc"]
    assert len(mine) == 1 and mine[0].after == "card_platform" and mine[0].reason == "测试渠道:欺诈时使用"
    assert "acme_desc" in plan.channels()
    # ordered by rank: after the platform's escalation (40), before the legal route (90)
    order = [s.key for s in plan.steps]
    assert order.index("card_platform:escalation") < order.index("acme_desc") < order.index("legal")
    # a channel that declares no plan rule is left out of plans, as before
    assert "bare_desc" not in {s.channel for s in plan.steps}


def test_a_plugin_rule_reports_why_it_is_not_used(plugins: None) -> None:
    plan = plan_channels(_case(fraud=False), now=NOW, available={"card_platform", "acme_desc"})
    reasons = {e.channel: e.reason for e in plan.excluded}
    assert "使用条件" in reasons["acme_desc"] and "fraud" in reasons["acme_desc"]
    case = _case(fraud=True)
    case.respondent.legal_name = None
    plan = plan_channels(case, now=NOW, available={"card_platform", "acme_desc"})
    step = next(s for s in plan.steps if s.channel == "acme_desc")
    assert [(m.field, m.label) for m in step.missing] == [("respondent.legal_name", "被投诉方全称")]


def test_exclusive_with_is_read_from_either_side(plugins: None) -> None:
    assert exclusive_conflict(["acme_desc", "12315"])
    assert exclusive_conflict(["12315", "consumer_association@x"])
    assert not exclusive_conflict(["acme_desc", "consumer_association"])
    # filed on the plugin: 12315 (which does not name it) is ruled out all the same
    plan = plan_channels(_case(fraud=True), now=NOW, filed={"acme_desc"})
    reasons = {e.channel: e.reason for e in plan.excluded}
    assert "Acme 测试渠道" in reasons["12315"]
    assert "12315" not in {s.channel for s in plan.steps}


def test_status_words_schedule_and_capabilities_come_from_the_descriptor(plugins: None) -> None:
    word = normalise_status("acme_desc@site", "处理中")
    assert word is not None and (word.state, word.event) == ("replied", "replied")
    assert known_words("acme_desc")[:2] == ["已受理", "处理中"]
    assert normalise_status("alipay", "处理中").state == "open"  # type: ignore[union-attr]
    assert normalise_status("wechat_pay", "处理中").state == "replied"  # type: ignore[union-attr]
    assert policy_filename("acme_desc") == "acme-policy.yaml"
    assert policy_filename("12315") == "gov12315.yaml"
    acme = registry.adapter_class("acme_desc")({})
    bare = registry.adapter_class("bare_desc")({})
    # nothing declared: the kind's defaults that the class implements (status only; submit only)
    assert acme.spec.caps == frozenset({"poll_status"})
    assert can_poll(acme) and not acme.can_reconcile()
    assert bare.spec.caps == frozenset({"submit"})
    assert not can_poll(bare) and not bare.can_reconcile()


def test_builtin_capabilities_are_declared() -> None:
    caps = {s.name: s.caps for s in registry.all_specs()}
    assert "poll_status" not in caps["email"] and "reconcile" not in caps["email"]
    assert {"assisted", "reconcile"} <= caps["alipay"] and "poll_status" not in caps["alipay"]
    assert "poll_status" in caps["12315"] and "poll_status" in caps["card_platform"]
    listed = {a["name"]: a for a in catalog.adapters()}  # kameng adapters list --json
    assert listed["email"]["capabilities"] == ["follow_up", "submit"] and listed["heimao"]["planned"]
    assert listed["12315"]["role"] == "official" and listed["12315"]["exclusive_with"] == ["consumer_association"]
    specs = {s.name: s for s in registry.all_specs()}
    assert specs["12315"].exclusive_with == ("consumer_association",)
    assert [r.path for r in specs["12315"].requires] == [
        "complainant.address",
        "respondent.legal_name",
        "respondent.address",
    ]
