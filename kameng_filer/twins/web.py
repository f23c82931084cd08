"""Web plumbing shared by the twins: cookie sessions, CSRF tokens, Jinja pages, uploaded images."""

from __future__ import annotations

import hashlib
import io
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import Image, UnidentifiedImageError
from starlette.requests import HTTPConnection, Request

from kameng_filer.twins.clock import TwinClock
from kameng_filer.twins.faults import ASGIApp, Message, Receive, Scope, Send
from kameng_filer.twins.state import FileInfo

TEMPLATES_DIR = Path(__file__).with_name("templates")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_KEY = "twin.session"
FORMS_KEY = "twin_forms"


@dataclass
class Session:
    """A server-side session: the cookie holds only its random id."""

    id: str
    created: datetime
    last_seen: datetime
    data: dict[str, Any] = field(default_factory=dict)


class SessionStore:
    """Sessions of one twin, by cookie ``cookie_name``; idle for longer than ``ttl`` = expired."""

    def __init__(self, cookie_name: str, clock: TwinClock, ttl: timedelta) -> None:
        self.cookie_name = cookie_name
        self.clock = clock
        self.ttl = ttl
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def get(self, sid: str | None) -> Session | None:
        """The live session with id ``sid`` (touching it), or None."""
        if not sid:
            return None
        now = self.clock.now()
        with self._lock:
            sess = self._sessions.get(sid)
            if sess is None:
                return None
            if now - sess.last_seen > self.ttl:
                del self._sessions[sid]
                return None
            sess.last_seen = now
            return sess

    def create(self) -> Session:
        """A new empty session."""
        now = self.clock.now()
        sess = Session(id=secrets.token_urlsafe(24), created=now, last_seen=now)
        with self._lock:
            self._sessions[sess.id] = sess
        return sess

    def discard(self, sid: str) -> None:
        """Forget one session."""
        with self._lock:
            self._sessions.pop(sid, None)

    def expire_all(self) -> int:
        """Drop every session (fault ``expire_sessions``); returns how many there were."""
        with self._lock:
            n = len(self._sessions)
            self._sessions.clear()
            return n

    def all(self) -> list[Session]:
        """Every live session."""
        with self._lock:
            return list(self._sessions.values())


class SessionMiddleware:
    """Loads the session named by the cookie; sets the cookie when a handler created one."""

    def __init__(self, app: ASGIApp, store: SessionStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sid = HTTPConnection(scope).cookies.get(self.store.cookie_name)
        holder: dict[str, Any] = {"store": self.store, "session": self.store.get(sid), "new": False}
        scope[SESSION_KEY] = holder

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and holder["new"]:
                headers = list(message.get("headers", []))
                cookie = f"{self.store.cookie_name}={holder['session'].id}; Path=/; HttpOnly; SameSite=Lax"
                headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class CloseFormsMiddleware:
    """Closes the uploaded files of forms read with ``read_form`` once the response is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            for form in scope.get("state", {}).pop(FORMS_KEY, []):
                await form.close()


async def read_form(request: Request, *, max_files: int = 20, max_fields: int = 60) -> Any:
    """The posted form (urlencoded or multipart); its files are closed after the response."""
    form = await request.form(max_files=max_files, max_fields=max_fields, max_part_size=1024 * 1024)
    state = request.scope.setdefault("state", {})
    forms = state.setdefault(FORMS_KEY, [])
    if form not in forms:
        forms.append(form)
    return form


def session(request: Request, *, create: bool = True) -> Session | None:
    """This request's session; a new one (cookie set on the response) when ``create``."""
    holder = request.scope[SESSION_KEY]
    if holder["session"] is None and create:
        holder["session"] = holder["store"].create()
        holder["new"] = True
    return holder["session"]


def rotate_session(request: Request) -> Session:
    """Replace this request's session by a new id carrying the same data (done at login)."""
    holder = request.scope[SESSION_KEY]
    store: SessionStore = holder["store"]
    old = holder["session"]
    new = store.create()
    if old is not None:
        new.data.update(old.data)
        store.discard(old.id)
    holder["session"] = new
    holder["new"] = True
    return new


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    sess = session(request)
    assert sess is not None
    token = sess.data.get("csrf")
    if not token:
        token = sess.data["csrf"] = secrets.token_hex(16)
    return token


def csrf_ok(request: Request, form: Any) -> bool:
    """True when the form field ``csrf_token`` (or header ``X-CSRF-Token``) matches the session's."""
    sess = session(request, create=False)
    expected = sess.data.get("csrf") if sess else None
    given = form.get(CSRF_FIELD) if form is not None else None
    given = given or request.headers.get(CSRF_HEADER)
    return bool(expected) and isinstance(given, str) and secrets.compare_digest(given, expected)


def template_env() -> Environment:
    """Jinja environment over ``kameng_filer/twins/templates`` (autoescaped)."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


IMAGE_MIMES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
IMAGE_NAMES = {"image/jpeg": "JPG", "image/png": "PNG", "image/webp": "WebP"}


def sniff_mime(data: bytes) -> str:
    """The file type from its first bytes (not from its name or the browser's claim)."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:5] == b"%PDF-":
        return "application/pdf"
    return "application/octet-stream"


@dataclass
class Upload:
    """An uploaded file with what the twin found in it (``problem`` is a Chinese reason or None)."""

    name: str
    data: bytes
    mime: str
    problem: str | None
    width: int = 0
    height: int = 0
    exif: bool = False

    @property
    def sha256(self) -> str:
        """Hex digest of the content."""
        return hashlib.sha256(self.data).hexdigest()


def inspect_image(name: str, data: bytes, *, allowed: tuple[str, ...], max_bytes: int, label: str) -> Upload:
    """Check an upload by content: type in ``allowed``, size ≤ ``max_bytes``, decodable image."""
    mime = sniff_mime(data)
    kinds = "/".join(IMAGE_NAMES.get(m, m) for m in allowed)
    if mime not in allowed:
        return Upload(name, data, mime, f"{label}仅支持 {kinds} 图片:{name}")
    if len(data) > max_bytes:
        return Upload(name, data, mime, f"{label}单张不能超过 {max_bytes // (1024 * 1024)}MB:{name}")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            exif = len(img.getexif()) > 0
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return Upload(name, data, mime, f"{label}图片已损坏,无法识别:{name}")
    return Upload(name, data, mime, None, width, height, exif)


def store_upload(upload: Upload, folder: Path) -> FileInfo:
    """Save an accepted upload under ``folder`` by its hash and describe it."""
    folder.mkdir(parents=True, exist_ok=True)
    ext = IMAGE_MIMES.get(upload.mime, "bin")
    target = folder / f"{upload.sha256}.{ext}"
    if not target.exists():
        target.write_bytes(upload.data)
    return FileInfo(
        name=upload.name,
        size=len(upload.data),
        sha256=upload.sha256,
        mime=upload.mime,
        exif=upload.exif,
        width=upload.width,
        height=upload.height,
        stored_as=f"{folder.name}/{target.name}",
    )


async def read_files(form: Any, name: str) -> list[tuple[str, bytes]]:
    """Non-empty files posted under ``name`` as (filename, content)."""
    out = []
    for item in form.getlist(name):
        if isinstance(item, str):
            continue
        data = await item.read()
        filename = item.filename or ""
        if not filename and not data:
            continue
        out.append((filename or "upload", data))
    return out


def safe_next(value: str | None, default: str) -> str:
    """A local redirect target (never another host)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def mask_phone(phone: str) -> str:
    """138****8000."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else phone
