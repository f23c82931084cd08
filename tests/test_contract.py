"""The contract every channel honours: every registered adapter and every discoverable site profile.

- fields well formed (unique names, labels, consistent limits, select options or their source);
- ``plan`` pure and deterministic (the same case twice gives the same plan; no network, no store);
- texts render under ``StrictUndefined`` for every purpose; the planned values keep the limits;
- a schedule file is present and loads (with the profile's overrides);
- every profile validates and lints without errors and is filed by a registered adapter.
"""

from __future__ import annotations

import shutil
import socket
from typing import Any

import jinja2
import pytest
import yaml

from kameng_filer import paths, registry
from kameng_filer.case import load_case
from kameng_filer.case.model import PaymentMethod
from kameng_filer.errors import KamengError, RenderError
from kameng_filer.filing.lint import channel_of, check
from kameng_filer.filing.profile import load_profile, profile_sources
from kameng_filer.filing.web import ProfileAdapter
from kameng_filer.render import PURPOSES, RenderContext, render
from kameng_filer.render.env import environment
from kameng_filer.render.purposes import offered
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker.policy import load_policy
from tests.conftest import EXAMPLE_CASE

ADAPTERS = registry.names()
PROFILES = sorted(profile_sources(user=False))
SETTINGS: dict[str, dict[str, Any]] = {"email": {"to": "kefu@xingchen-km.example.com"}}
"""Settings a channel needs before it can plan at all (the person configures them once)."""


def _profile_pairs() -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for name in ADAPTERS:
        cls = registry.adapter_class(name)
        if issubclass(cls, ProfileAdapter):
            own = [p for p in PROFILES if channel_of(load_profile(p)) == name]
            pairs += [(name, p) for p in own] or [(name, None)]
        else:
            pairs.append((name, None))
    return pairs


PAIRS = _profile_pairs()


def _cases(tmp_path) -> list[Any]:
    """The example case, and the same dispute paid by WeChat Pay (channels that only take their own payments)."""
    data = yaml.safe_load(EXAMPLE_CASE.read_text(encoding="utf-8"))
    data["order"]["payment"]["method"] = "wechat_pay"
    data["order"]["payment"]["transaction_no"] = "4200001234202611020000012345"
    variant = tmp_path / "wechat" / "case.yaml"
    variant.parent.mkdir()
    shutil.copytree(EXAMPLE_CASE.parent / "evidence", variant.parent / "evidence")  # a link would lead outside
    variant.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    cases = [load_case(EXAMPLE_CASE).case, load_case(variant).case]
    assert all(c is not None for c in cases)
    return cases


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any attempt to open a network connection fails the test."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise AssertionError(f"plan opened a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def _adapter(name: str, profile: str | None) -> Any:
    settings = dict(SETTINGS.get(name, {}))
    if profile:
        settings["profile"] = profile
    return registry.adapter_class(name)(settings)


# ---------------------------------------------------------------- declarations


@pytest.mark.parametrize("name", ADAPTERS)
def test_fields_are_well_formed(name: str) -> None:
    spec = registry.spec(name)
    assert spec.name == name and spec.title and spec.kind in ("browser", "http", "email", "assisted")
    names = [f.name for f in spec.fields]
    assert len(names) == len(set(names)), f"duplicate field names in {name}"
    assert spec.fields, f"{name} declares no fields"
    for f in spec.fields:
        assert f.label, f"{name}.{f.name} has no label"
        if f.min_len is not None and f.max_len is not None:
            assert 0 <= f.min_len <= f.max_len, f"{name}.{f.name}: min_len > max_len"
        if f.kind in ("select", "multiselect"):
            assert f.options or f.source, f"{name}.{f.name}: a choice without options or where they come from"
            assert len(set(f.options)) == len(f.options)
        if f.kind == "file":
            assert f.max_files is None or f.max_files >= 1
            assert f.max_bytes is None or f.max_bytes > 0
        if f.rendered:
            assert f.kind in ("text", "textarea"), f"{name}.{f.name}: rendered text in a {f.kind} field"
    assert spec.rendered_fields, f"{name} has no text rendered from templates"


# ---------------------------------------------------------------- plan


@pytest.mark.parametrize(("name", "profile"), PAIRS)
def test_plan_is_pure_and_deterministic(name: str, profile: str | None, tmp_path, no_network) -> None:
    cases = _cases(tmp_path)
    plans = None
    refusals = []
    for case in cases:
        try:
            first = _adapter(name, profile).plan(case)
        except KamengError as exc:  # e.g. a WeChat Pay complaint about an Alipay payment
            refusals.append(exc.message)
            continue
        second = _adapter(name, profile).plan(case)
        plans = (case, first, second)
        break
    assert plans is not None, f"{name} refuses to plan every example: {refusals}"
    case, first, second = plans
    assert first.to_dict() == second.to_dict(), f"{name}: the same case planned twice differs"
    assert first.case_id == case.id and first.fields
    assert no_network == []
    assert not paths.db_path().exists(), f"{name}: plan touched the store"
    spec = registry.spec(name)
    for f in spec.fields:
        value = first.fields.get(f.name)
        if (
            f.kind in ("file", "money", "multiselect")
            or value is None
            or (f.kind == "select" and not f.options)
        ):
            continue
        limits = {}
        if profile:
            limits = load_profile(profile).limits.get(f.name, {})
        max_len = limits.get("max_len", f.max_len)
        assert max_len is None or len(str(value)) <= max_len, f"{name}.{f.name} is longer than {max_len}"
    for planned in first.files:
        assert planned.path.exists() and planned.size == planned.path.stat().st_size


# ---------------------------------------------------------------- texts


def test_the_template_environment_is_strict() -> None:
    assert environment().undefined is jinja2.StrictUndefined


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("name", ADAPTERS)
def test_templates_render_under_strict_undefined_for_every_purpose(name: str, purpose: str) -> None:
    case = load_case(EXAMPLE_CASE).case
    assert case is not None
    if name in ("alipay", "wechat_pay"):  # a payment channel takes only orders paid through it
        paid = case.order.payment.model_copy(update={"method": PaymentMethod(name)})  # type: ignore[union-attr]
        case = case.model_copy(update={"order": case.order.model_copy(update={"payment": paid})})
    spec = registry.spec(name)
    if not offered(name, purpose):  # no 复核 on 12315, 消协, 黑猫, WeChat Pay: refused with the next step
        with pytest.raises(RenderError, match="没有“复核”程序"):
            render(case, name, purpose)
        return
    contexts = [RenderContext()]
    if purpose != "complaint":
        contexts.append(
            RenderContext(
                prior_channel="卡盟平台工单/投诉",
                complaint_no="TK261102153012ED3448BA",
                filed_at=parse_iso("2026-11-03T10:00:00"),
                last_status="处理中",
                result="商家称已发货,不予退款",
                result_at=parse_iso("2026-11-06T10:00:00"),
            )
        )
    for ctx in contexts:
        texts = render(case, name, purpose, ctx).fields
        assert set(texts) == {f.name for f in spec.rendered_fields}
        for f in spec.rendered_fields:
            assert texts[f.name].strip(), f"{name}/{purpose}: empty {f.name}"
            assert f.max_len is None or len(texts[f.name]) <= f.max_len


# ---------------------------------------------------------------- schedules


@pytest.mark.parametrize(("name", "profile"), PAIRS)
def test_schedule_is_present_and_loads(name: str, profile: str | None) -> None:
    overrides = load_profile(profile).schedule if profile else None
    policy = load_policy(name, profile_overrides=overrides)
    assert policy.clocks and policy.active_clocks(), f"{name} has no active deadline clock"
    assert any(layer for layer in policy.layers if registry.spec(name).schedule_file in layer)


# ---------------------------------------------------------------- profiles


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_validates_lints_and_has_an_adapter(profile: str) -> None:
    result = check(profile)
    assert result.ok, result.errors
    prof = result.profile
    assert prof is not None and prof.name == profile
    channel = channel_of(prof)
    assert channel in ADAPTERS and issubclass(registry.adapter_class(channel), ProfileAdapter)
    if prof.list_page is not None:
        assert prof.status_words, f"{profile}: a list page without status words"
    for step in prof.steps:
        keys = [step.fill] if isinstance(step.fill, str) else (step.fill or [])
        assert all(k in prof.fields for k in keys)
