"""Channel declarations: the fields each real channel asks for and their limits (single source of truth).

Like apprise's ``template_tokens``, one declaration drives validation, rendering limits, the plan
shown before filing and ``kameng adapters list``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal[
    "text", "textarea", "select", "multiselect", "money", "date", "phone", "email", "file", "secret"
]
ChannelKind = Literal["browser", "http", "email", "assisted"]

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
            return f"「{self.label}」至少 {self.min_len} 个字,现在 {n} 个"
        if self.max_len is not None and n > self.max_len:
            return f"「{self.label}」最多 {self.max_len} 个字,现在 {n} 个"
        if self.options and self.kind == "select" and value and value not in self.options:
            return f"「{self.label}」只能选 {'/'.join(self.options)},不能是 {value}"
        return None


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

    @property
    def template_dir(self) -> str:
        """Template folder name."""
        return self.templates or self.name

    @property
    def schedule_file(self) -> str:
        """Schedule file name."""
        return self.schedule or f"{self.name}.yaml"

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
