"""Shared plumbing of the outside-channel twins (12315, 黑猫投诉, 消协): own operator verbs, files, JS."""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any, ClassVar

from PIL import ExifTags, Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from kameng_filer.twins.base import FileInfo, OperatorError, WebTwin
from kameng_filer.twins.web import Upload, inspect_image, session, sniff_mime, store_upload

STATIC_DIR = Path(__file__).with_name("static")
PDF = "application/pdf"
DOC_TYPES = ("image/jpeg", "image/png", PDF)
MB = 1024 * 1024


class OutsideTwin(WebTwin):
    """A ``WebTwin`` whose operator speaks the channel's own verbs (``operator_actions``)."""

    operator_actions: ClassVar[tuple[str, ...]] = ()

    def operator(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Operator side with this channel's verbs (see ``operator_actions``); raises ``OperatorError``."""
        if action not in self.operator_actions:
            raise OperatorError(f"未知的操作 {action!r};可用:{', '.join(self.operator_actions)}", 400)
        with self.lock:
            return self.operate(number, action, text)

    def now_text(self) -> str:
        """The twin's current time as shown on pages (``2026-11-02 15:30``)."""
        return self.clock.now().strftime("%Y-%m-%d %H:%M")


def static_route(path: str, filename: str) -> Route:
    """A route serving one file of ``kameng_filer/twins/static`` (no caching)."""
    target = STATIC_DIR / filename
    media = "text/javascript" if filename.endswith(".js") else "application/octet-stream"

    async def endpoint(request: Request) -> Response:
        return Response(
            target.read_bytes(), media_type=f"{media}; charset=utf-8", headers={"Cache-Control": "no-store"}
        )

    return Route(path, endpoint)


def favicon_route() -> Route:
    """``/favicon.ico`` answered with 204 (keeps browser consoles free of 404 noise)."""

    async def endpoint(request: Request) -> Response:
        return Response(status_code=204)

    return Route("/favicon.ico", endpoint)


def new_digits(n: int) -> str:
    """``n`` random decimal digits."""
    return "".join(secrets.choice("0123456789") for _ in range(n))


def gps_in(data: bytes) -> bool:
    """True when an image carries an EXIF GPS block."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return bool(img.getexif().get_ifd(ExifTags.IFD.GPSInfo))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


def inspect_file(
    name: str, data: bytes, *, allowed: tuple[str, ...], max_bytes: int, label: str = "附件"
) -> Upload:
    """Check an upload by content: images (decodable) or PDF, type in ``allowed``, size ≤ ``max_bytes``."""
    mime = sniff_mime(data)
    if mime == PDF and PDF in allowed:
        if len(data) > max_bytes:
            return Upload(name, data, mime, f"单个文件不能超过{max_bytes // MB}MB:{name}")
        if b"%%EOF" not in data[-1024:]:
            return Upload(name, data, mime, f"PDF文件已损坏:{name}")
        return Upload(name, data, mime, None)
    images = tuple(m for m in allowed if m.startswith("image/"))
    if mime not in images:
        kinds = "、".join(
            {"image/jpeg": "JPG", "image/png": "PNG", "image/webp": "WebP", PDF: "PDF"}[m] for m in allowed
        )
        return Upload(name, data, mime, f"仅支持{kinds}格式:{name}")
    if len(data) > max_bytes:
        return Upload(name, data, mime, f"单个文件不能超过{max_bytes // MB}MB:{name}")
    return inspect_image(name, data, allowed=images, max_bytes=max_bytes, label=label)


def keep_file(upload: Upload, folder: Path) -> FileInfo:
    """Store an accepted upload byte for byte (images and PDF) and describe it."""
    if upload.mime != PDF:
        return store_upload(upload, folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{upload.sha256}.pdf"
    if not target.exists():
        target.write_bytes(upload.data)
    return FileInfo(
        name=upload.name,
        size=len(upload.data),
        sha256=upload.sha256,
        mime=PDF,
        exif=False,
        stored_as=f"{folder.name}/{target.name}",
    )


def login_redirect(request: Request, login_path: str, message: str = "请先登录") -> Response:
    """Send a browser to the login page (JSON 401 for XHR) and remember where it wanted to go."""
    if request.headers.get("x-requested-with") == "XMLHttpRequest" or request.url.path.startswith(
        ("/cuser/api/", "/api/")
    ):
        return JSONResponse({"ok": False, "error": "登录已过期,请重新登录", "redirect": login_path}, 401)
    sess = session(request)
    assert sess is not None
    sess.data["flash"] = {"kind": "error", "text": message}
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{login_path}?next={target}", status_code=303)
