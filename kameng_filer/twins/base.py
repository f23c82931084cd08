"""The shared twin: state, SMS outbox, captchas, faults, sessions and the test-only ``/_twin`` endpoints.

A concrete twin (``card_a``, ``card_b``, …) subclasses ``WebTwin`` and supplies its site routes,
its seeded data, how the operator advances a case (``operate``) and a snapshot of its records.

Test/operator endpoints (never used by adapters; a scripted demo person or a test plays the human):

    GET  /_twin/health                  200 "ok"
    GET  /_twin/state                   everything received + current records, faults, clock
    GET  /_twin/outbox[?phone=]         SMS messages sent {channel, phone, code, text, at}
    GET  /_twin/captcha[?session=|?id=] captcha answers, newest first, and "latest"
    GET  /_twin/faults                  current switches + what the twin saw (``stats``);
    POST /_twin/faults {switch: value}
    POST /_twin/operator/{number}       {"action": reply|resolve|reject|close|intervene, "text": …}
    POST /_twin/clock                   {"advance": seconds} shifts the twin's time
    POST /_twin/reset                   forget everything, re-seed
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from abc import ABC, abstractmethod
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.twins.captcha import CaptchaStore, render_captcha
from kameng_filer.twins.challenge import IMAGE_PREFIX, Challenges
from kameng_filer.twins.clock import TwinClock
from kameng_filer.twins.faults import FAULT_HELP, FaultError, FaultMiddleware, Faults, Scope
from kameng_filer.twins.outbox import SmsOutbox
from kameng_filer.twins.server import LOOPBACK, TwinServer
from kameng_filer.twins.state import FileInfo, TwinState
from kameng_filer.twins.web import (
    CloseFormsMiddleware,
    SessionMiddleware,
    SessionStore,
    csrf_token,
    session,
    template_env,
)

__all__ = [
    "FAULT_HELP",
    "CaptchaStore",
    "FaultError",
    "Faults",
    "FieldName",
    "FileInfo",
    "OperatorError",
    "SmsOutbox",
    "TwinClock",
    "TwinState",
    "WebTwin",
    "render_captcha",
]

OPERATOR_ACTIONS = ("reply", "resolve", "reject", "close", "intervene")


class FieldName(NamedTuple):
    """How one form field is shown: its visible label and its id (= its form name)."""

    label: str
    id: str


def field_names(pairs: dict[str, tuple[str, str]]) -> dict[str, FieldName]:
    """Field key → ``FieldName(label, id)`` from a compact ``{key: (label, id)}`` table."""
    return {key: FieldName(label, fid) for key, (label, fid) in pairs.items()}


class OperatorError(Exception):
    """The operator action cannot be applied (``status``: 404 unknown number, 409 wrong state)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class WebTwin(ABC):
    """A local replica of one real channel, served by its own ``TwinServer`` on 127.0.0.1."""

    name: ClassVar[str] = "twin"
    title: ClassVar[str] = "孪生站点"
    session_ttl: ClassVar[timedelta] = timedelta(hours=2)
    fields_normal: ClassVar[dict[str, FieldName]] = {}
    fields_changed: ClassVar[dict[str, FieldName]] = {}
    submit_paths: ClassVar[tuple[str, ...]] = ()
    """Paths whose POST is the site's final submit (``rate_limit`` and ``captcha_midflow`` act on these)."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir) / self.name
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.uploads_dir = self.data_dir / "uploads"
        self.clock = TwinClock()
        self.lock = threading.RLock()
        self.state = TwinState(self.name, self.clock, self.data_dir / "state.json")
        self.outbox = SmsOutbox(self.name, self.clock, self.data_dir / "outbox.jsonl")
        self.captchas = CaptchaStore(self.clock)
        self.challenges = Challenges(self.captchas, self.title)
        self.faults = Faults()
        self.sessions = SessionStore(f"{self.name}_session", self.clock, self.session_ttl)
        self.env = template_env()
        self.seed()
        self.state.save()
        self.app = self._build_app()
        self._server: TwinServer | None = None

    # ---- what a concrete twin supplies -------------------------------------------------------
    @abstractmethod
    def site_routes(self) -> list[BaseRoute]:
        """The real site's pages and API."""

    @abstractmethod
    def seed(self) -> None:
        """(Re)create the seeded accounts/orders and forget every ticket or complaint."""

    @abstractmethod
    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Advance ``number`` like the real operator; returns the record; raises ``OperatorError``."""

    @abstractmethod
    def records(self) -> list[dict[str, Any]]:
        """Current tickets/complaints with status and replies (JSON-friendly)."""

    def info(self) -> dict[str, Any]:
        """Seeded accounts and useful pages, for ``kameng twins`` and tests."""
        return {}

    def is_submit(self, scope: Scope) -> bool:
        """True for a POST to one of ``submit_paths`` (every POST when the twin declares none)."""
        if scope["method"] != "POST":
            return False
        return scope["path"] in self.submit_paths if self.submit_paths else True

    def rate_limited(self, scope: Scope) -> Response:
        """The site's own answer when the ``rate_limit`` switch refuses a submit."""
        return HTMLResponse(self.env.get_template("rate_limited.html").render(twin=self), status_code=429)

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self, port: int = 0, *, host: str = LOOPBACK) -> WebTwin:
        """Serve the twin on ``host:port`` (port 0 = a free port) in a background thread."""
        if self._server is None or not self._server.running:
            self._server = TwinServer(self.app, self.name, host=host, port=port).start()
        return self

    def stop(self) -> None:
        """Stop serving (the data folder is kept)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.state.save()

    async def astart(self, port: int = 0) -> WebTwin:
        """``start`` from inside a running event loop (the twin keeps its own thread and loop)."""
        await asyncio.to_thread(self.start, port)
        return self

    async def astop(self) -> None:
        """``stop`` from inside a running event loop."""
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> WebTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> WebTwin:
        return await self.astart()

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:53211``."""
        if self._server is None:
            raise RuntimeError(f"孪生站点 {self.name} 尚未启动")
        return self._server.url

    @property
    def host(self) -> str:
        """Always 127.0.0.1."""
        return LOOPBACK

    @property
    def port(self) -> int:
        """The bound port."""
        if self._server is None or self._server.port is None:
            raise RuntimeError(f"孪生站点 {self.name} 尚未启动")
        return self._server.port

    # ---- in-process test helpers (same effect as the /_twin endpoints) -----------------------
    def set_faults(self, spec: dict[str, Any] | None = None, **switches: Any) -> dict[str, Any]:
        """Turn fault switches on/off (see ``FAULT_HELP``); raises ``FaultError``."""
        spec = {**(spec or {}), **switches}
        expire = spec.pop("expire_sessions", False)
        if not isinstance(expire, bool):
            raise FaultError("故障开关 expire_sessions 需要 true/false")
        current = self.faults.set(spec)
        if expire:
            self.expire_sessions()
        return current

    def expire_sessions(self) -> int:
        """Make every login/guest session invalid now."""
        return self.sessions.expire_all()

    def operator(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Operator side: ``reply`` / ``resolve`` / ``reject`` / ``close`` / ``intervene``."""
        if action not in OPERATOR_ACTIONS:
            raise OperatorError(f"未知的操作 {action!r};可用:{', '.join(OPERATOR_ACTIONS)}", 400)
        with self.lock:
            return self.operate(number, action, text)

    def captcha_answer(self, *, session: str | None = None, captcha_id: str | None = None) -> str | None:
        """Latest captcha answer for a session cookie value or an API captcha id (test/demo only)."""
        items = [c for c in self.captchas.answers(session=session, captcha_id=captcha_id) if not c["used"]]
        return items[0]["answer"] if items else None

    def snapshot(self) -> dict[str, Any]:
        """``/_twin/state``: everything received, current records, faults and time."""
        data = self.state.to_dict()
        data["records"] = self.records()
        data["faults"] = self.faults.snapshot()
        data["fault_stats"] = {**self.faults.stats(), "held_submits": self.challenges.pending()}
        data["now"] = self.clock.now().isoformat(timespec="seconds")
        data["clock_offset"] = self.clock.offset
        return data

    def reset(self) -> None:
        """Forget everything received; re-seed; faults off; real time."""
        with self.lock:
            self.faults.clear()
            self.clock.reset()
            self.sessions.expire_all()
            self.captchas.clear()
            self.challenges.clear()
            self.outbox.clear()
            self.state.clear()
            shutil.rmtree(self.uploads_dir, ignore_errors=True)
            self.seed()

    # ---- helpers for site handlers -----------------------------------------------------------
    @property
    def f(self) -> dict[str, FieldName]:
        """Field labels and ids as currently shown (changed by the ``labels`` switch)."""
        return (
            self.fields_changed if self.faults.labels_changed and self.fields_changed else self.fields_normal
        )

    def render(self, request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        """Render ``template`` with the twin, field names, CSRF token and flash message."""
        sess = session(request)
        assert sess is not None
        flash = sess.data.pop("flash", None)
        html = self.env.get_template(template).render(
            twin=self,
            f=self.f,
            csrf_token=csrf_token(request),
            flash=flash,
            request=request,
            **ctx,
        )
        return HTMLResponse(html, status_code=status)

    def flash(self, request: Request, message: str, kind: str = "success") -> None:
        """A message shown once on the next page."""
        sess = session(request)
        assert sess is not None
        sess.data["flash"] = {"kind": kind, "text": message}

    def lose_response(self, request: Request) -> bool:
        """After storing a submission: if ``drop_after_submit`` is on, the response will never arrive."""
        flags = request.scope.get("twin")
        if flags is not None and self.faults.take("drop_after_submit"):
            flags["drop"] = True
            return True
        if flags is not None and self.faults.take("hang_after_submit"):
            flags["hang"] = True
            return True
        return False

    def captcha_png(self, request: Request) -> Response:
        """A new captcha for this request's session, as PNG (the page's ``<img>``)."""
        sess = session(request)
        assert sess is not None
        cap = self.captchas.issue(sess.id)
        return Response(self.captchas.png(cap), media_type="image/png", headers={"Cache-Control": "no-store"})

    # ---- the app -----------------------------------------------------------------------------
    def _build_app(self) -> Any:
        routes: list[BaseRoute] = [
            Route("/_twin/health", self._t_health),
            Route("/_twin/state", self._t_state),
            Route("/_twin/info", self._t_info),
            Route("/_twin/outbox", self._t_outbox),
            Route("/_twin/captcha", self._t_captcha),
            Route("/_twin/faults", self._t_faults, methods=["GET", "POST"]),
            Route("/_twin/operator/{number}", self._t_operator, methods=["POST"]),
            Route("/_twin/clock", self._t_clock, methods=["GET", "POST"]),
            Route("/_twin/reset", self._t_reset, methods=["POST"]),
            Route(IMAGE_PREFIX + "{captcha_id}.png", self._challenge_png),
            *self.site_routes(),
        ]
        app = Starlette(routes=routes)
        app = SessionMiddleware(CloseFormsMiddleware(app), self.sessions)
        return FaultMiddleware(
            app, self.faults, self.rate_limited, is_submit=self.is_submit, challenges=self.challenges
        )

    async def _challenge_png(self, request: Request) -> Response:
        name = request.path_params["captcha_id"]
        return self.challenges.image(name[:-4] if name.endswith(".png") else name)

    @staticmethod
    async def _json_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            return {}
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("请求体必须是 JSON 对象")
        return data

    async def _t_health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def _t_state(self, request: Request) -> Response:
        return JSONResponse(self.snapshot())

    async def _t_info(self, request: Request) -> Response:
        return JSONResponse({"name": self.name, "title": self.title, **self.info()})

    async def _t_outbox(self, request: Request) -> Response:
        return JSONResponse({"messages": self.outbox.messages(request.query_params.get("phone"))})

    async def _t_captcha(self, request: Request) -> Response:
        items = self.captchas.answers(
            session=request.query_params.get("session"), captcha_id=request.query_params.get("id")
        )
        live = [c for c in items if not c["used"]]
        return JSONResponse({"captchas": items, "latest": live[0]["answer"] if live else None})

    async def _t_faults(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(
                {"faults": self.faults.snapshot(), "stats": self.faults.stats(), "help": FAULT_HELP}
            )
        try:
            current = self.set_faults(await self._json_body(request))
        except (ValueError, FaultError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"faults": current})

    async def _t_operator(self, request: Request) -> Response:
        try:
            body = await self._json_body(request)
            record = self.operator(
                request.path_params["number"], str(body.get("action", "")), str(body.get("text", ""))
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except OperatorError as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return JSONResponse(record)

    async def _t_clock(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await self._json_body(request)
                self.clock.advance(float(body.get("advance", 0)))
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(
            {"now": self.clock.now().isoformat(timespec="seconds"), "offset": self.clock.offset}
        )

    async def _t_reset(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"ok": True})
