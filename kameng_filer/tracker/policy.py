"""SLA policies as data: the per-channel clock files under ``schedules/``, their loader and ``evaluate``.

A policy file (YAML) names each clock of a channel — what starts it, how long it runs, what fulfils
it, what pauses it, what to do when it lapses — with the source of the figure and a confidence.
Layers, later wins (mappings deep-merged; ``duration``-like values and lists replaced; ``null``
deletes a key)::

    schedules/_common.yaml → <data>/schedules/_common.yaml → schedules/<channel>.yaml
    → <data>/schedules/<channel>.yaml → the chosen variant → site-profile overrides → case overrides
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kameng_filer import paths
from kameng_filer.case.loader import LineIndex, dotted
from kameng_filer.errors import ConfigError
from kameng_filer.timeutil import SHANGHAI, as_shanghai
from kameng_filer.workdays import Due, WorkCalendar, default_calendar

Confidence = Literal["H", "M", "L"]
OnLapse = Literal["follow_up", "escalate", "remind", "warn"]
ClockStateName = Literal["due", "lapsed", "fulfilled", "paused"]

EVENTS: dict[str, str] = {
    "paid": "付款",
    "discovered": "知道权益受损及责任方",
    "filed": "投诉已提交",
    "accepted": "已受理 / 审核通过",
    "not_accepted": "审核未通过 / 不予受理",
    "supplement_requested": "要求补充材料（等本人补充）",
    "supplement_sent": "已补充材料",
    "waiting_for_person": "等待本人回复",
    "replied": "对方已回复",
    "follow_up_sent": "已催办",
    "escalated": "已升级投诉 / 已申请平台介入",
    "escalation_answered": "升级已答复",
    "platform_intervened": "平台已介入",
    "result": "已给出处理结果",
    "review_requested": "已申请复核",
    "resolved": "已解决",
    "closed": "已关闭 / 已办结",
    "mediation_ended": "调解终止",
    "termination_notified": "已告知终止调解",
    "refund_received": "退款已到账",
    "withdrawn": "已撤诉",
}
"""The channel-independent events/states a clock can start, end or pause on (tracker vocabulary)."""

REPLACE_KEYS = frozenset({"duration", "spacing", "remind_before"})
"""Keys whose value replaces the lower layer's wholesale instead of being deep-merged."""

MAX_POLICY_BYTES = 256 * 1024
_CHANNEL_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")


# -- models ----------------------------------------------------------------------------------------


class Duration(BaseModel):
    """How long a clock runs: exactly one of the units; ``roll_to_workday`` only for days/months/years."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    working_days: int | None = Field(default=None, ge=1, le=2500)
    days: int | None = Field(default=None, ge=0, le=3660)
    hours: float | None = Field(default=None, gt=0, le=87840)
    end_of_day_after: int | None = Field(default=None, ge=0, le=366)
    months: int | None = Field(default=None, ge=1, le=120)
    years: int | None = Field(default=None, ge=1, le=10)
    roll_to_workday: bool | None = None
    """Move a last day that is not a working day to the next one (default yes, 12315 办法 art. 45)."""

    @model_validator(mode="after")
    def _one_unit(self) -> Duration:
        units = [
            k
            for k in ("working_days", "days", "hours", "end_of_day_after", "months", "years")
            if getattr(self, k) is not None
        ]
        if len(units) != 1:
            raise ValueError(
                "时长必须且只能写一种单位：working_days / days / hours / end_of_day_after / months / years"
                + (f"（现在写了 {', '.join(units)}）" if units else "")
            )
        if self.roll_to_workday is not None and units[0] not in ("days", "months", "years"):
            raise ValueError("roll_to_workday 只适用于 days / months / years")
        return self

    @property
    def unit(self) -> str:
        """The unit in use."""
        for k in ("working_days", "days", "hours", "end_of_day_after", "months", "years"):
            if getattr(self, k) is not None:
                return k
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def is_calendar(self) -> bool:
        """Hours or plain calendar days without rolling: does not depend on the holiday calendar."""
        return self.unit in ("hours", "end_of_day_after") or self.roll_to_workday is False

    def apply(self, start: datetime, calendar: WorkCalendar | None = None) -> Due:
        """The deadline this duration gives from ``start``."""
        cal = calendar or default_calendar()
        roll = self.roll_to_workday is not False
        if self.working_days is not None:
            return cal.add_working_days(start, self.working_days)
        if self.days is not None:
            return cal.add_days(start, self.days, roll)
        if self.hours is not None:
            return cal.add_hours(start, self.hours)
        if self.end_of_day_after is not None:
            return cal.end_of_day_after(start, self.end_of_day_after)
        if self.months is not None:
            return cal.add_months(start, self.months, roll)
        return cal.add_years(start, self.years or 0, roll)

    def describe(self) -> str:
        """Chinese description, e.g. ``7 个工作日``, ``次日 24:00 前``."""
        if self.working_days is not None:
            return f"{self.working_days} 个工作日"
        if self.hours is not None:
            h = int(self.hours) if float(self.hours).is_integer() else self.hours
            return f"{h} 小时"
        if self.end_of_day_after is not None:
            n = self.end_of_day_after
            return "当日 24:00 前" if n == 0 else ("次日 24:00 前" if n == 1 else f"第 {n} 日 24:00 前")
        roll = "" if self.roll_to_workday is False else "（遇节假日顺延）"
        if self.days is not None:
            return f"{self.days} 天{roll}"
        if self.months is not None:
            return f"{self.months} 个月{roll}"
        return f"{self.years} 年{roll}"


def _check_events(values: Iterable[str], what: str) -> None:
    for v in values:
        if v not in EVENTS:
            raise ValueError(f"{what}「{v}」不是已知事件；可用：{', '.join(EVENTS)}")


class Clock(BaseModel):
    """One deadline of a channel (e.g. 12315 受理 7 个工作日)."""

    model_config = ConfigDict(extra="forbid")

    id: str = ""
    title: str = Field(min_length=1)
    starts_on: str
    duration: Duration
    ends_on: list[str] = Field(min_length=1)
    pauses_on: list[str] = Field(default_factory=list)
    on_lapse: OnLapse
    source: str = Field(min_length=1)
    confidence: Confidence
    enabled: bool = True
    remind_before: Duration | None = None
    """Remind this long before the deadline (hours / days only)."""
    note: str = ""

    @field_validator("starts_on")
    @classmethod
    def _start_event(cls, v: str) -> str:
        _check_events([v], "starts_on")
        return v

    @field_validator("ends_on", "pauses_on")
    @classmethod
    def _events(cls, v: list[str]) -> list[str]:
        _check_events(v, "事件")
        return v

    @field_validator("remind_before")
    @classmethod
    def _calendar_only(cls, v: Duration | None) -> Duration | None:
        if v is not None and v.unit not in ("hours", "days"):
            raise ValueError("remind_before 只能用 hours 或 days")
        return v

    def due(self, start: datetime, calendar: WorkCalendar | None = None) -> Due:
        """The deadline of this clock when it starts at ``start`` (no pauses)."""
        return self.duration.apply(start, calendar)


class FollowUp(BaseModel):
    """How often and how far apart polite follow-ups may be sent on a channel."""

    model_config = ConfigDict(extra="forbid")

    max: int = Field(ge=0, le=10)
    spacing: Duration
    source: str = Field(min_length=1)
    confidence: Confidence


class Escalation(BaseModel):
    """How many escalation attempts inside the channel before going outside."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(ge=0, le=10)
    source: str = Field(min_length=1)
    confidence: Confidence


class QuietHours(BaseModel):
    """When automatic actions may go out (default: working days 09:00–18:00 Asia/Shanghai)."""

    model_config = ConfigDict(extra="forbid")

    workdays_only: bool = True
    start: time = time(9, 0)
    end: time = time(18, 0)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _hhmm(cls, v: Any) -> Any:
        if isinstance(v, time):
            return v
        if not isinstance(v, str) or not re.fullmatch(r"\d{1,2}:\d{2}", v.strip()):
            raise ValueError(f'时间应写成带引号的 "09:00" 形式，不是 {v!r}')
        h, m = (int(p) for p in v.strip().split(":"))
        if h > 23 or m > 59:
            raise ValueError(f"{v} 不是有效时间")
        return time(h, m)

    @model_validator(mode="after")
    def _order(self) -> QuietHours:
        if self.start >= self.end:
            raise ValueError("quiet_hours 的 start 必须早于 end")
        return self

    def allows(self, when: datetime, calendar: WorkCalendar | None = None) -> bool:
        """Whether an automatic action may go out at ``when``."""
        w = as_shanghai(when)
        if self.workdays_only and not (calendar or default_calendar()).is_workday(w.date()):
            return False
        return self.start <= w.time().replace(tzinfo=None) < self.end

    def next_allowed(self, when: datetime, calendar: WorkCalendar | None = None) -> datetime:
        """``when`` itself if allowed, else the start of the next allowed window."""
        cal = calendar or default_calendar()
        w = as_shanghai(when)
        if self.allows(w, cal):
            return w
        day = w.date()
        if w.time().replace(tzinfo=None) < self.start and (not self.workdays_only or cal.is_workday(day)):
            nxt = day
        else:
            nxt = cal.next_workday(day) if self.workdays_only else day + timedelta(days=1)
        return datetime.combine(nxt, self.start, SHANGHAI)


class Polling(BaseModel):
    """How politely the tracker reads a channel's status (defaults are the tool's own, confidence L)."""

    model_config = ConfigDict(extra="forbid")

    every_hours: float = Field(default=6.0, gt=0, le=720)
    """Read each open complaint's status at most this often."""
    min_gap_seconds: float = Field(default=2.0, ge=0, le=600)
    """Wait at least this long between two requests to the same channel within a pass."""
    max_per_pass: int = Field(default=20, ge=1, le=10000)
    """At most this many status reads / follow-ups per channel in one pass (the rest wait)."""


class Variant(BaseModel):
    """A named alternative profile of a policy (e.g. WeChat mini-program shops: 48 h)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    note: str = ""
    patch: dict[str, Any] = Field(default_factory=dict)


class Policy(BaseModel):
    """Every clock of one channel plus follow-up, escalation and quiet-hour rules."""

    model_config = ConfigDict(extra="forbid")

    channel: str
    title: str = Field(min_length=1)
    notes: str = ""
    clocks: dict[str, Clock] = Field(min_length=1)
    follow_up: FollowUp
    escalation: Escalation | None = None
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    polling: Polling = Field(default_factory=Polling)
    escalate_to: list[str] = Field(default_factory=list)
    variants: dict[str, Variant] = Field(default_factory=dict)
    variant: str | None = None
    layers: list[str] = Field(default_factory=list)
    """Which files / overrides built this policy (filled by the loader)."""

    @field_validator("escalate_to")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for name in v:
            if not _CHANNEL_RE.match(name):
                raise ValueError(f"escalate_to 里的「{name}」不是有效的渠道名")
        return v

    @model_validator(mode="after")
    def _ids(self) -> Policy:
        for key, clock in self.clocks.items():
            if clock.id and clock.id != key:
                raise ValueError(f"时钟 {key} 的 id 写成了 {clock.id}，应与键名一致")
            clock.id = key
        return self

    def clock(self, clock_id: str) -> Clock:
        """The clock called ``clock_id`` (KeyError when absent)."""
        return self.clocks[clock_id]

    def active_clocks(self) -> list[Clock]:
        """Enabled clocks, in file order."""
        return [c for c in self.clocks.values() if c.enabled]

    def clocks_starting_on(self, event: str) -> list[Clock]:
        """Enabled clocks that start when ``event`` happens."""
        return [c for c in self.clocks.values() if c.enabled and c.starts_on == event]


# -- loading ----------------------------------------------------------------------------------------


class _TextLoader(yaml.SafeLoader):
    """Safe loader that keeps timestamps as text (no date objects in policy data)."""


_TextLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


@dataclass
class _Layer:
    label: str
    data: dict[str, Any]
    lines: LineIndex | None = None

    def has(self, path: tuple[Any, ...]) -> bool:
        node: Any = self.data
        for part in path:
            if (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            ):
                node = node[part]
            else:
                return False
        return True


def _declared_schedules() -> dict[str, str]:
    """Channel name → its declared policy file (``ChannelSpec.schedule_file``) for registered channels."""
    from kameng_filer import registry

    return {spec.name: spec.schedule_file for spec in registry.all_specs()}


def policy_filename(channel: str) -> str:
    """The policy file of a channel as its declaration names it (``ChannelSpec.schedule``), else ``<name>.yaml``."""
    if not _CHANNEL_RE.match(channel or "") or channel.startswith("_"):
        raise ConfigError(f"「{channel}」不是有效的渠道名", hint=f"可用渠道：{', '.join(builtin_channels())}")
    return _declared_schedules().get(channel, f"{channel}.yaml")


def builtin_channels() -> list[str]:
    """Channels with a built-in policy file (named by the file a declaration points at, else its stem)."""
    by_file = {file: name for name, file in _declared_schedules().items()}
    out = []
    for entry in resources.files("kameng_filer.schedules").iterdir():
        name = entry.name
        if name.endswith(".yaml") and not name.startswith("_"):
            out.append(by_file.get(name, name[: -len(".yaml")]))
    return sorted(out)


def _parse(text: str, label: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_TextLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" 第 {mark.line + 1} 行" if mark else ""
        raise ConfigError(
            f"期限策略 {label}{line}：不是有效的 YAML", detail=str(exc), hint="检查缩进和冒号"
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise ConfigError(f"期限策略 {label}：不是有效的 YAML", detail=str(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"期限策略 {label}：顶层应当是映射（键：值）", hint="参考 docs/deadlines.md 的示例")
    return data


def _read_layer(text_or_bytes: bytes, label: str) -> _Layer:
    if len(text_or_bytes) > MAX_POLICY_BYTES:
        raise ConfigError(f"期限策略 {label} 太大（{len(text_or_bytes)} 字节）")
    try:
        text = text_or_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"期限策略 {label} 不是 UTF-8 文本", hint="用 UTF-8 编码保存") from None
    return _Layer(label, _parse(text, label), LineIndex(text))


def _builtin_layer(filename: str) -> _Layer | None:
    res = resources.files("kameng_filer.schedules").joinpath(filename)
    if not res.is_file():
        return None
    return _read_layer(res.read_bytes(), f"内置 schedules/{filename}")


def _plugin_layer(filename: str) -> _Layer | None:
    """The policy file shipped by a plugin (entry-point group ``kameng_filer.schedules`` → a package)."""
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="kameng_filer.schedules"), key=lambda e: e.name):
        try:
            res = resources.files(ep.value).joinpath(filename)
        except (ImportError, TypeError):
            continue
        if res.is_file():
            return _read_layer(res.read_bytes(), f"插件 {ep.name} schedules/{filename}")
    return None


def _user_layer(filename: str) -> _Layer | None:
    path: Path = paths.user_schedules_dir() / filename
    try:
        if not path.exists():
            return None
        if path.is_dir():
            raise ConfigError(f"期限策略 {path} 是文件夹", hint="应当是 YAML 文件")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"无法读取期限策略 {path}", detail=str(exc)) from None
    return _read_layer(raw, str(path))


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` over ``base`` (new dict): mappings merge, ``REPLACE_KEYS`` and lists replace, None deletes."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif key in REPLACE_KEYS or not (isinstance(value, dict) and isinstance(out.get(key), dict)):
            out[key] = copy.deepcopy(value)
        else:
            out[key] = deep_merge(out[key], value)
    return out


_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "是未知的键（拼写错误？）",
    "literal_error": "取值不在可选范围内",
    "int_parsing": "应当是整数",
    "int_type": "应当是整数",
    "int_from_float": "应当是整数",
    "float_parsing": "应当是数字",
    "bool_parsing": "应当是 true 或 false",
    "bool_type": "应当是 true 或 false",
    "string_type": "应当是文字",
    "string_too_short": "不能为空",
    "too_short": "不能为空",
    "dict_type": "应当是映射（键：值）",
    "model_type": "应当是映射（键：值）",
    "list_type": "应当是列表（每项以 - 开头）",
    "greater_than_equal": "太小",
    "greater_than": "太小",
    "less_than_equal": "太大",
}


def _explain(exc: ValidationError, channel: str, layers: list[_Layer]) -> ConfigError:
    problems = []
    for err in exc.errors()[:5]:
        loc = tuple(err.get("loc", ()))
        path = dotted(loc) or "（顶层）"
        etype = err.get("type", "")
        if etype == "value_error":
            text = str(err.get("msg", "")).removeprefix("Value error, ")
        else:
            text = _MESSAGES.get(etype, str(err.get("msg", "")))
            ctx = err.get("ctx") or {}
            if etype == "literal_error":
                text += f":{err.get('input')!r}，可选 {ctx.get('expected', '')}"
            elif etype in ("greater_than_equal", "greater_than", "less_than_equal"):
                bound = ctx.get("ge", ctx.get("gt", ctx.get("le")))
                text += f":{err.get('input')!r}（界限 {bound}）"
        where = ""
        probe = loc
        while probe:
            layer = next((ly for ly in reversed(layers) if ly.has(probe)), None)
            if layer is not None:
                line = layer.lines.line(dotted(probe)) if layer.lines else None
                where = f"(来自 {layer.label}" + (f" 第 {line} 行)" if line else ")")
                break
            probe = probe[:-1]
        problems.append(f"{path} {text}{where}")
    more = len(exc.errors()) - len(problems)
    tail = f"；另有 {more} 处问题" if more > 0 else ""
    return ConfigError(
        f"渠道「{channel}」的期限策略有误：" + ";".join(problems) + tail,
        hint="格式见 docs/deadlines.md「策略文件」一节",
    )


def _as_patch(value: dict[str, Any] | None, label: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{label}的期限覆盖应当是映射（键：值），不是 {type(value).__name__}")
    return value


def load_policy(
    channel: str,
    *,
    case_overrides: dict[str, Any] | None = None,
    profile_overrides: dict[str, Any] | None = None,
    variant: str | None = None,
) -> Policy:
    """The effective policy of ``channel``: built-in file, user file, variant, site profile, case.

    ``variant`` (or a ``variant:`` key in the case / profile overrides / files) picks a named
    alternative from the file's ``variants``. Any bad layer raises ``ConfigError`` naming it.
    """
    filename = policy_filename(channel)
    layers: list[_Layer] = []
    for layer in (_builtin_layer("_common.yaml"), _user_layer("_common.yaml")):
        if layer is not None:
            layers.append(layer)
    own = [
        ly
        for ly in (_builtin_layer(filename) or _plugin_layer(filename), _user_layer(filename))
        if ly is not None
    ]
    if not own:
        raise ConfigError(
            f"没有渠道「{channel}」的期限策略（schedules/{filename}）",
            hint=f"内置渠道：{', '.join(builtin_channels())}；也可以在 {paths.user_schedules_dir()} 放一个 {filename}",
        )
    layers.extend(own)
    profile = _as_patch(profile_overrides, "站点配置")
    case = _as_patch(case_overrides, "案件")

    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
    chosen = variant or case.get("variant") or profile.get("variant") or merged.get("variant")
    if chosen is not None:
        variants = merged.get("variants") or {}
        if not isinstance(variants, dict) or chosen not in variants:
            names = ", ".join(variants) if isinstance(variants, dict) and variants else "（无）"
            raise ConfigError(f"渠道「{channel}」没有名为「{chosen}」的期限方案", hint=f"可用方案：{names}")
        patch = variants[chosen].get("patch") if isinstance(variants[chosen], dict) else None
        layers.append(_Layer(f"方案 {chosen}", _as_patch(patch, f"方案 {chosen} ")))
    if profile:
        layers.append(_Layer("站点配置的期限覆盖", profile))
    if case:
        layers.append(_Layer("案件的期限覆盖", case))

    merged = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
    merged.setdefault("channel", channel)
    merged["variant"] = chosen
    merged["layers"] = [ly.label for ly in layers]
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:
        raise _explain(exc, channel, layers) from None


def load_all_policies() -> dict[str, Policy]:
    """Every built-in channel's effective policy (with the person's files), by channel name."""
    return {name: load_policy(name) for name in builtin_channels()}


# -- evaluation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockState:
    """Where a clock stands at ``now``."""

    state: ClockStateName
    due: Due
    late: bool = False
    """Fulfilled, but after the deadline."""
    paused_for: timedelta = field(default=timedelta())
    """Pause time that extended the deadline."""
    remind_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "state": self.state,
            **self.due.to_dict(),
            "late": self.late,
            "paused_seconds": int(self.paused_for.total_seconds()),
            "remind_at": self.remind_at.isoformat() if self.remind_at else None,
        }


def _merge_intervals(
    intervals: Iterable[tuple[datetime, datetime | None]], start: datetime, horizon: datetime
) -> tuple[list[tuple[datetime, datetime]], bool]:
    """Clip pauses to ``[start, horizon]`` and merge overlaps; also whether one is still open at horizon."""
    clipped: list[tuple[datetime, datetime]] = []
    open_now = False
    for a, b in intervals:
        a = max(as_shanghai(a), start)
        b2 = horizon if b is None else min(as_shanghai(b), horizon)
        if a > horizon:
            continue
        if b is None or as_shanghai(b) > horizon:
            open_now = True
        if b2 > a or (b2 == a == horizon and open_now):
            clipped.append((a, b2))
    clipped.sort()
    merged: list[tuple[datetime, datetime]] = []
    for a, b in clipped:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged, open_now


def evaluate(
    clock: Clock,
    *,
    start: datetime,
    now: datetime,
    paused_intervals: Iterable[tuple[datetime, datetime | None]] = (),
    fulfilled_at: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> ClockState:
    """The clock's state at ``now`` (pure).

    Pauses (``(begin, end)``, ``end=None`` = still paused) move the start later by the paused time,
    so the deadline is re-computed with the same rule (for working-day clocks a pause that eats a
    working day moves the deadline by that day). A pause that begins after the deadline has passed
    does not revive it. Precedence: fulfilled (at or before ``now``) → paused → lapsed → due.
    """
    cal = calendar or default_calendar()
    start = as_shanghai(start)
    now = as_shanghai(now)
    done = as_shanghai(fulfilled_at) if fulfilled_at is not None else None
    if done is not None and done > now:
        done = None
    horizon = done or now
    if horizon < start:
        horizon = start
    pauses, open_now = _merge_intervals(paused_intervals, start, horizon)

    shift = timedelta()
    due = clock.duration.apply(start, cal)
    paused_now = False
    for i, (a, b) in enumerate(pauses):
        if a > due.due:
            break
        shift += b - a
        due = clock.duration.apply(start + shift, cal)
        if i == len(pauses) - 1 and open_now and b == horizon:
            paused_now = True

    remind_at = None
    if clock.remind_before is not None:
        rb = clock.remind_before
        remind_at = due.due - (
            timedelta(hours=rb.hours) if rb.hours is not None else timedelta(days=rb.days or 0)
        )

    if done is not None:
        return ClockState("fulfilled", due, done > due.due, shift, remind_at)
    if paused_now:
        return ClockState("paused", due, False, shift, remind_at)
    if now > due.due:
        return ClockState("lapsed", due, False, shift, remind_at)
    return ClockState("due", due, False, shift, remind_at)
