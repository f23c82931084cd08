"""How a profile site is reached, chosen once per adapter call: ``SiteDriver`` (browser or JSON API) and
what a driver needs of its adapter (``SiteAdapter``).

``ProfileAdapter.driver()`` (``kameng_filer.filing.web``) returns ``browser_site.BrowserDriver`` or
``http_api.HttpDriver``; neither driver imports ``web``, so the adapter and its drivers form no import
circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kameng_filer.adapter import FilingContext, FilingPlan, FollowUpResult, Receipt, StatusReport
    from kameng_filer.channels import ChannelSpec
    from kameng_filer.filing.profile import Profile


class SiteAdapter(Protocol):
    """What a driver uses of the ``ProfileAdapter`` it works for."""

    name: str
    spec: ChannelSpec
    settings: dict[str, Any]

    def account(self) -> str:
        """The login account for this channel."""
        ...

    def normalise(self, raw: str) -> str:
        """The toolkit's state for the site's status words."""
        ...


class SiteDriver(Protocol):
    """One way of reaching a profile's site: submit, find a lost submission again, read a status, follow up."""

    adapter: SiteAdapter
    prof: Profile

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """File the plan; in a dry run stop before the final step (``DryRunComplete``)."""
        ...

    async def find_existing(self, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
        """A complaint on this order proven ours that is not recorded yet, or None."""
        ...

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        """The complaint's status on the site."""
        ...

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """Post a follow-up, or say the person has to."""
        ...

    def can_search(self) -> bool:
        """True when the site's list can be searched without knowing the complaint number."""
        ...


def needs_secret(prof: Profile) -> bool:
    """True when the login steps type the account's password (QR / SMS logins need none)."""
    login = prof.login
    if login is None:
        return False
    for step in login.steps:
        keys = [step.fill] if isinstance(step.fill, str) else (step.fill or [])
        for key in keys:
            binding = prof.fields.get(key)
            if key == login.secret_field or (binding is not None and binding.field == login.secret_field):
                return True
    return False


def case_vars_from_plan(plan: FilingPlan) -> dict[str, Any]:
    """Vars carried in the plan target (set by subclasses via ``plan.target['vars']``)."""
    return dict(plan.target.get("vars", {}))
