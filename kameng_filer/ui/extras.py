"""The routes of filing from the page, the assisted-channel guides and the dispute actions, for ``create_app``."""

from __future__ import annotations

from starlette.routing import BaseRoute

from kameng_filer.ui import assisted, filing, summary
from kameng_filer.ui.kit import Kit


def extra_routes(kit: Kit) -> list[BaseRoute]:
    """Every route of these modules, registered by ``create_app`` after its own."""
    return [*filing.routes(kit), *assisted.routes(kit), *summary.routes(kit)]
