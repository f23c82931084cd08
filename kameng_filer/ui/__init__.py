"""``kameng ui``: the person's local web workspace (Starlette + Jinja2) on the same engine as the CLI.

Public API::

    create_app(token=None, *, now=None) -> Starlette   # app.state.token holds the session token
    UiServer(app, port=0)                               # uvicorn on 127.0.0.1 in a thread (tests, CLI)

Every request needs the session token (``?token=`` once, then a cookie); the Host header must name
the loopback address; every POST must come from the app's own origin and carry the CSRF token.
See docs/ui.md.
"""

from kameng_filer.ui.app import create_app
from kameng_filer.ui.server import UiServer

__all__ = ["UiServer", "create_app"]
