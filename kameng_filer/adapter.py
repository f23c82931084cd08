"""The adapter interface: a pure ``plan`` separate from the I/O steps ``submit``/``status``/``follow_up``.

An adapter class declares ``spec`` (fields and limits, see ``kameng_filer.channels``). ``plan`` turns a
case into the exact value of every field and the evidence files as they will be uploaded, without any
I/O besides reading the case's evidence; the I/O steps receive a ``FilingContext`` from the engine that
gives them the browser, the person, secrets and a place for artifacts.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from kameng_filer.errors import FilingError

if TYPE_CHECKING:
    from kameng_filer.case.model import Case
    from kameng_filer.channels import ChannelSpec
    from kameng_filer.planner import Facts, Planning


@dataclass(frozen=True)
class PlannedFile:
    """One evidence file exactly as it will be uploaded."""

    evidence_id: str
    path: Path
    upload_name: str
    mime: str
    size: int
    sha256: str
    description: str = ""
    source_sha256: str = ""
    source_path: str = ""
    """Where the evidence file really is (symlinks resolved), shown in the plan before filing."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        d = asdict(self)
        d["path"] = str(self.path)
        return d


@dataclass
class FilingPlan:
    """The exact values a filing would send (what a dry run shows)."""

    channel: str
    case_id: str
    purpose: str
    fields: dict[str, Any]
    files: list[PlannedFile] = field(default_factory=list)
    target: dict[str, Any] = field(default_factory=dict)
    """Non-secret facts about where it goes (site profile name, base URL, recipient)."""
    notes: list[str] = field(default_factory=list)
    """Chinese notes for the person (what they will have to do, what was adapted)."""
    lookup_key: str = ""
    """What reconciliation searches the channel's list for (normally the order number)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "channel": self.channel,
            "case_id": self.case_id,
            "purpose": self.purpose,
            "fields": {
                k: (str(v) if not isinstance(v, list | str | int | None) else v)
                for k, v in self.fields.items()
            },
            "files": [f.to_dict() for f in self.files],
            "target": self.target,
            "notes": self.notes,
            "lookup_key": self.lookup_key,
        }


@dataclass
class Receipt:
    """What the channel gave back when the complaint was accepted."""

    complaint_no: str
    filed_at: datetime
    status: str | None = None
    url: str | None = None
    screenshot: Path | None = None
    html: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    reconciled: bool = False
    """True when found on the channel's list after a crash instead of returned by the submit."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "complaint_no": self.complaint_no,
            "filed_at": self.filed_at.isoformat(),
            "status": self.status,
            "url": self.url,
            "screenshot": str(self.screenshot) if self.screenshot else None,
            "html": str(self.html) if self.html else None,
            "extra": self.extra,
            "reconciled": self.reconciled,
        }


@dataclass
class StatusReport:
    """A status read from the channel."""

    raw: str
    """The channel's own status words, e.g. 待客服回复."""
    state: str
    """Normalised: a ``kameng_filer.vocab.ComplaintState`` value (``open``, ``replied``…)."""
    checked_at: datetime
    replies: list[dict[str, Any]] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class FollowUpResult:
    """What sending a follow-up did."""

    sent: bool
    reference: str = ""
    needs_person: bool = False
    instructions: str = ""


class Person(Protocol):
    """The human in the loop (a terminal, a scripted demo person, or nobody)."""

    interactive: bool

    async def ask_code(self, channel: str, prompt: str, *, image: Path | None = None) -> str:
        """Ask for a captcha answer or SMS code; raise ``HumanActionRequired`` when nobody can answer."""
        ...

    async def confirm(self, channel: str, prompt: str) -> bool:
        """Ask the person to do something (scan a QR code, tap in an app) and confirm it is done."""
        ...

    async def ask_text(self, channel: str, prompt: str, *, validate: Any = None) -> str:
        """Ask for a line of text (e.g. the complaint number read from an app)."""
        ...

    def show(self, channel: str, text: str) -> None:
        """Show guidance to the person."""
        ...


class FilingContext(Protocol):
    """What the engine (and the tracker) hand to an adapter's I/O steps (``filing.channel_run.ChannelRun``)."""

    channel: str
    dry_run: bool
    person: Person
    artifacts: Path
    filing_id: int | None
    """The filing record (None in a dry run)."""
    known_numbers: set[str]
    """Complaint numbers already recorded for this case on this channel (never adopted by reconciliation)."""
    submit_started: bool
    """True once ``about_to_submit`` ran in this attempt."""
    submit_mark: datetime | None
    """When the filing was last durably marked ``submitting`` (what reconciliation proves against)."""
    person_says_new: bool
    """The person ruled out the list rows reconciliation cannot prove ours (``--again``)."""

    async def browser_context(self, account: str | None = None) -> Any:
        """A Playwright ``BrowserContext`` for this channel (one per channel, shared browser)."""
        ...

    async def new_page(self, account: str | None = None) -> Any:
        """A new page in this channel's context, restoring ``account``'s stored session."""
        ...

    async def save_session(self) -> None:
        """Persist the login session of the context opened for an account."""
        ...

    def forget_session(self) -> None:
        """Delete the stored session (it expired)."""
        ...

    def not_delivered(self) -> None:
        """The channel definitely refused the final submit: undo the ``submitting`` mark."""
        ...

    async def failure_screenshot(self, stem: str) -> str | None:
        """Screenshot of the last page into the artifacts (None when there is no page)."""
        ...

    def secret(self, key: str) -> str:
        """A secret from keyring or the environment; ``SecretMissing`` when absent."""
        ...

    def session_file(self, account: str) -> Path:
        """Where this channel account's storage state lives (0600)."""
        ...

    async def about_to_submit(self, values: dict[str, Any]) -> None:
        """Must be awaited right before the final click: records ``submitting`` durably."""
        ...

    def progress(self, text: str) -> None:
        """Report progress for the display."""
        ...


class Adapter(ABC):
    """Base of every channel adapter. Subclasses set ``spec`` and implement what their channel can do."""

    spec: ClassVar[ChannelSpec]
    settings_model: ClassVar[type | None] = None
    """A pydantic model of this channel's ``config.yaml`` settings, validated when the settings are read
    (``kameng_filer.settings_check``); None: built-in channels use ``settings_model.BUILTIN``, plugins any
    non-secret keys."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.settings: dict[str, Any] = dict(settings or {})

    @property
    def name(self) -> str:
        """The channel name."""
        return self.spec.name

    def plan(
        self, case: Case, *, purpose: str = "complaint", context: dict[str, Any] | None = None
    ) -> FilingPlan:
        """The exact values for every field (pure and deterministic for the same case and settings)."""
        raise NotImplementedError

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """File the plan on the channel and return its receipt."""
        raise FilingError(f"渠道「{self.spec.title}」不支持自动提交", channel=self.name)

    def can_reconcile(self) -> bool:
        """True when ``find_existing`` can search the channel without the complaint number.

        Declared by ``spec`` (capability ``reconcile``); an adapter may narrow it (a site profile
        without a searchable list)."""
        return self.spec.can("reconcile")

    @classmethod
    def plan_rules(cls, facts: Facts) -> list[tuple[float, Callable[[Planning], None]]]:
        """When and why this channel is a step for a case: ``(rank, rule)`` pairs the planner runs in rank order.

        Empty (the default): the planner reads ``spec.plan`` (a ``PlanRule``) instead, or leaves the
        channel out of plans when it declares none. Channels with richer logic override this.
        """
        return []

    def schedule_overrides(self) -> dict[str, Any] | None:
        """Deadline-policy changes of this channel instance (a site profile's ``schedule``), or None."""
        return None

    def reply_limit(self) -> int | None:
        """The length limit of a follow-up on this channel instance, if the site has one."""
        return None

    def escalation_instructions(self, complaint_no: str, text: str, case_id: str, channel: str) -> str | None:
        """What the person does to escalate inside the channel when the toolkit cannot (None: it can)."""
        return None

    async def find_existing(self, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
        """Look the complaint up on the channel's own list (reconciliation); None when not found."""
        return None

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        """Read the complaint's current status from the channel."""
        raise FilingError(f"渠道「{self.spec.title}」不支持查询状态", channel=self.name)

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """Send a polite follow-up through the channel."""
        return FollowUpResult(sent=False, needs_person=True, instructions=text)


class DryRunComplete(Exception):
    """Raised by an adapter in a dry run after filling everything up to, not including, the final submit."""

    def __init__(self, screenshot: Path | None = None, note: str = "") -> None:
        super().__init__(note or "dry run complete")
        self.screenshot = screenshot
        self.note = note
