"""Channel declarations: the fields each real channel asks for and their limits (single source of truth).

Like apprise's ``template_tokens``, one declaration drives validation, rendering limits, the plan
shown before filing and ``kameng adapters list``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FieldKind = Literal[
    "text", "textarea", "select", "multiselect", "money", "date", "phone", "email", "file", "secret"
]
ChannelKind = Literal["browser", "http", "email", "assisted"]
Capability = Literal["submit", "reconcile", "poll_status", "follow_up", "assisted"]
"""What a channel can do: file, find a filed complaint again without its number, read its status,
send a follow-up, and "assisted" (the person does the final steps in an app; statuses are reported)."""

KIND_CAPABILITIES: dict[str, frozenset[str]] = {
    "browser": frozenset({"submit", "reconcile", "poll_status", "follow_up"}),
    "http": frozenset({"submit", "reconcile", "poll_status", "follow_up"}),
    "email": frozenset({"submit", "follow_up"}),
    "assisted": frozenset({"submit", "reconcile", "follow_up", "assisted"}),
}
"""Capabilities a channel of each kind has when its declaration does not list them."""

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a channel's form, as the real channel names and limits it."""

    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = True
    min_len: int | None = None
    max_len: int | None = None
    options: tuple[str, ...] = ()
    pattern: str | None = None
    rendered: bool = False
    """The value is text rendered from the channel's templates (subject, body, facts…)."""
    private: bool = False
    """A secret (password, token): never stored, logged or shown."""
    source: str = ""
    """Which part of the case fills it, for people reading the declaration."""
    accept: tuple[str, ...] = ()
    """For files: accepted MIME types."""
    max_bytes: int | None = None
    max_files: int | None = None
    max_pixels: int | None = None
    """For images: the longest side after downscaling."""
    confidence: str = "M"

    def check_text(self, value: str) -> str | None:
        """Return a Chinese problem description when ``value`` breaks this field's limits, else None."""
        n = len(value)
        if self.required and n == 0:
            return f"「{self.label}」不能为空"
        if self.min_len is not None and 0 < n < self.min_len:
            return f"「{self.label}」至少 {self.min_len} 个字，现在 {n} 个"
        if self.max_len is not None and n > self.max_len:
            return f"「{self.label}」最多 {self.max_len} 个字，现在 {n} 个"
        if self.options and self.kind == "select" and value and value not in self.options:
            return f"「{self.label}」只能选 {'/'.join(self.options)}，不能是 {value}"
        return None


@dataclass(frozen=True)
class StatusWord:
    """What one status word means: the normalised state and the tracker event it implies (if any)."""

    state: str
    event: str | None = None


def status_words(table: Mapping[str, str | tuple[str, str]]) -> tuple[tuple[str, StatusWord], ...]:
    """A declaration's status vocabulary from ``{word: state}`` or ``{word: (state, event)}``."""
    out = []
    for word, meaning in table.items():
        state, event = (meaning, None) if isinstance(meaning, str) else meaning
        out.append((word, StatusWord(state, event)))
    return tuple(out)


def read_path(obj: Any, path: str) -> Any:
    """The value at a dotted path (``respondent.legal_name``) of a case or mapping; None when absent."""
    node = obj
    for part in path.split("."):
        if node is None:
            return None
        node = node.get(part) if isinstance(node, Mapping) else getattr(node, part, None)
    return node


@dataclass(frozen=True)
class Requirement:
    """A fact the channel needs before it accepts a complaint: a dotted case path and how to name it.

    Read alike by the planner (what is missing), the case checks (``code``/``problem``/``fix``) and the
    adapter's ``values()``.
    """

    path: str
    label: str
    hint: str = ""
    """What to add to the case (shown when filing stops for lack of it)."""
    code: str = ""
    """The finding code ``kameng check`` reports when the fact is absent (empty: not checked)."""
    problem: str = ""
    fix: str = ""

    def missing(self, case: Any) -> bool:
        """True when the case has no value at ``path``."""
        return not read_path(case, self.path)


@dataclass(frozen=True)
class PlanRule:
    """When ``kameng plan`` proposes the channel (data for channels without their own planning hook).

    ``only_if`` names case facts of which at least one must hold (``fraud``, ``vanished``, ``large``,
    ``small``, ``merchant_contacted``, ``paid``); empty means always. ``after`` is the step key this one
    waits for (``card_platform``, ``card_platform:escalation``…); None means now.
    """

    when: str
    reason: str
    after: str | None = None
    rank: int = 85
    """Position among the steps: 10 merchant, 20 platform, 30 e-mail, 40 escalation, 50–75 official,
    80 public, 90 legal."""
    only_if: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelSpec:
    """What a channel is: its name, title, kind, fields with limits, and its data files."""

    name: str
    title: str
    kind: ChannelKind
    fields: tuple[FieldSpec, ...]
    description: str = ""
    url: str = ""
    public: bool = False
    """Complaints are published: personal data is masked in everything sent there."""
    templates: str = ""
    """Folder under templates/ (defaults to the channel name)."""
    schedule: str = ""
    """Policy file under schedules/ (defaults to ``<name>.yaml``)."""
    steps: tuple[str, ...] = field(default_factory=tuple)
    """The real channel's steps, for the plan and the person."""
    capabilities: frozenset[str] | None = None
    """What the channel can do (see ``Capability``); None: the defaults of its kind."""
    exclusive_with: tuple[str, ...] = ()
    """Channels never used together with this one for the same dispute (12315 ⟂ 消协, 办法 art. 16)."""
    status_vocabulary: tuple[tuple[str, StatusWord], ...] = ()
    """The channel's own status words (on top of the shared ones), built with ``status_words``."""
    requires: tuple[Requirement, ...] = ()
    """Facts the channel needs before it accepts a complaint."""
    payment_method: str = ""
    """The case's ``order.payment.method`` this payment channel belongs to (empty: not a payment channel)."""
    role: str = ""
    """The channel's place in the plan: inside | payment | official | public | "" (plugins). An
    ``official`` channel (an authority) also gets texts that keep the law longest when they must shrink."""
    plan: PlanRule | None = None
    """When the planner proposes the channel (channels whose adapter has no planning hook)."""
    short_title: str = ""
    """The name used inside sentences (``消协``); defaults to ``title``."""

    @property
    def strict_wording(self) -> bool:
        """Regulators and public sites (roles ``official`` / ``public``): emotional or vague texts are errors."""
        return self.role in ("official", "public")

    @property
    def short_name(self) -> str:
        """``short_title`` or ``title``."""
        return self.short_title or self.title

    @property
    def template_dir(self) -> str:
        """Template folder name."""
        return self.templates or self.name

    @property
    def schedule_file(self) -> str:
        """Schedule file name."""
        return self.schedule or f"{self.name}.yaml"

    @property
    def caps(self) -> frozenset[str]:
        """The declared capabilities, or the defaults of the channel's kind."""
        if self.capabilities is not None:
            return frozenset(self.capabilities)
        return KIND_CAPABILITIES.get(self.kind, frozenset({"submit"}))

    def can(self, capability: str) -> bool:
        """Whether the channel declares ``capability``."""
        return capability in self.caps

    @property
    def status_table(self) -> dict[str, StatusWord]:
        """The channel's own status words as a mapping."""
        return dict(self.status_vocabulary)

    def missing(self, case: Any) -> list[Requirement]:
        """The requirements ``case`` does not meet."""
        return [r for r in self.requires if r.missing(case)]

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``; KeyError if the channel has none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def rendered_fields(self) -> tuple[FieldSpec, ...]:
        """Fields whose text comes from the templates."""
        return tuple(f for f in self.fields if f.rendered)
