"""The workspace's Starlette app: routes, templates, static files, guarded by ``security.Guard``."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kameng_filer.errors import KamengError
from kameng_filer.timeutil import as_shanghai
from kameng_filer.ui import edit, security, settings, textedit, views
from kameng_filer.ui.extras import extra_routes
from kameng_filer.ui.kit import Kit
from kameng_filer.ui.readstore import open_store

HERE = Path(__file__).resolve().parent


def _env() -> Environment:
    from kameng_filer.ui.htmlcache import once

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        auto_reload=False,
    )
    env.globals["once"] = once  # page parts rendered once per shared view object (home.html)
    return env




def create_app(
    token: str | None = None,
    *,
    now: Callable[[], datetime] | None = None,
    lan: Any = None,
    demo: Any = None,
) -> Starlette:
    """The workspace app; ``token`` defaults to a fresh random one, ``now`` to the tracker's clock;
    ``lan`` (``ui.lan.LanAccess``, off until turned on) serves the read-only phone guide pages to the
    local network; ``demo``
    (the demo's scripted answerer, ``kameng ui --demo`` only) offers its 演示 button on questions."""
    from kameng_filer.tracker import clock

    token = token or security.new_token()
    csrf = security.csrf_token(token)
    env = _env()
    now_fn = now or clock.now
    port_ref: list[int | None] = [None]
    if lan is None:
        from kameng_filer.ui.lan import LanAccess

        lan = LanAccess()  # off: the settings page and the guides can turn it on

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = env.get_template(name).render(csrf=csrf, path=request.url.path, **ctx)
        return HTMLResponse(html, status_code=status)

    def problem(request: Request, status: int, message: str, hint: str) -> HTMLResponse:
        return page(request, "error.html", status, message=message, hint=hint, title="出了点问题")

    async def home(request: Request) -> Response:
        at = as_shanghai(now_fn())
        data = await run_in_threadpool(_with_store, views.home, at)
        return page(request, "home.html", title="我的纠纷", now=f"{at:%Y-%m-%d %H:%M}", **data)

    async def ics(request: Request) -> Response:
        from kameng_filer.ui.ics import deadlines_ics

        at = as_shanghai(now_fn())
        items = await run_in_threadpool(_with_store, views.ics_items, at)
        body = deadlines_ics(items, at)
        return Response(
            body.encode(),
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="kameng-deadlines.ics"'},
        )

    async def case_page(request: Request) -> Response:
        case_id = request.path_params["case_id"]
        at = as_shanghai(now_fn())
        data = await run_in_threadpool(_case_data, case_id, at)
        if data is None:
            return problem(request, 404, f"本地存储中没有案件 {case_id}", "回到“我的纠纷”查看已保存的案件。")
        saved = request.query_params.get("saved") == "1"
        return page(
            request, "case.html", title=data["case"].title, now=f"{at:%Y-%m-%d %H:%M}", saved=saved, **data
        )

    async def export(request: Request) -> Response:
        from kameng_filer.export import export_case, safe_member

        form = await request.form()
        if not security.same(form.get(security.CSRF_FIELD), csrf):  # type: ignore[arg-type]
            return problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")
        case_id = request.path_params["case_id"]
        public = form.get("public") == "1"
        folder = Path(tempfile.mkdtemp(prefix="kameng-ui-export-"))
        name = f"{safe_member(case_id)}-材料包{'-公开版' if public else ''}.zip"
        try:
            result = await run_in_threadpool(export_case, case_id, folder / "bundle.zip", public=public)
        except KamengError as exc:
            _remove(folder)
            return problem(request, 404 if "没有案件" in exc.message else 400, exc.message, exc.hint or "")
        return FileResponse(
            result.path,
            media_type="application/zip",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
            background=BackgroundTask(_remove, folder),
        )

    async def receipt_image(request: Request) -> Response:
        from kameng_filer.ui.files import IMAGE_SUFFIXES

        case_id = request.path_params["case_id"]
        image = await run_in_threadpool(_receipt_path, case_id, request.path_params["filing_id"])
        if image is None:
            return problem(request, 404, "没有这张回执截图。", "回到案件页查看回执。")
        return FileResponse(image, media_type=IMAGE_SUFFIXES[image.suffix.lower()])

    async def http_error(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 400)
        if code == 404:
            return problem(request, 404, "没有这个页面。", "回到“我的纠纷”重新选择。")
        if code == 405:
            return problem(request, 405, "这个地址不能这样打开。", "请从工作台的页面里点链接或按钮。")
        return problem(request, code, "提交的内容无法读取。", "请刷新页面后再点一次按钮。")

    async def kameng_error(request: Request, exc: Exception) -> Response:
        # handled here (not in ServerErrorMiddleware): no traceback in the terminal, the connection stays
        message = getattr(exc, "message", str(exc))
        return problem(request, 500, message, getattr(exc, "hint", "") or "")

    async def server_error(request: Request, exc: Exception) -> Response:
        return problem(
            request,
            500,
            "工作台处理这个页面时出错了。",
            "请刷新重试；仍然出错时在终端运行对应的 kameng 命令查看原因。",
        )

    routes = [
        Route("/", home),
        Route("/deadlines.ics", ics),
        Route("/cases/{case_id}", case_page),
        Route("/cases/{case_id}/export", export, methods=["POST"]),
        Route("/cases/{case_id}/receipts/{filing_id:int}", receipt_image),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    kit = Kit(page, problem, csrf, now_fn, lan=lan, demo=demo)
    routes += extra_routes(kit)  # filing, assisted guides, dispute actions (ui.extras)
    routes += [*edit.routes(kit), *textedit.routes(kit), *settings.routes(kit)]  # form, texts, settings
    app = Starlette(
        routes=routes,
        middleware=[Middleware(security.Guard, token=token, port_ref=port_ref, lan=lan)],
        exception_handlers={HTTPException: http_error, KamengError: kameng_error, 500: server_error},
    )
    app.state.token = token
    app.state.port_ref = port_ref
    app.state.kit = kit
    return app


def _with_store(build: Callable[[Any, datetime], Any], at: datetime) -> Any:
    with open_store() as store:
        return build(store, at)


def _receipt_path(case_id: str, filing_id: int) -> Path | None:
    """The receipt screenshot to serve, or None (no store, other case, path outside the data folder)."""
    from kameng_filer.ui.files import case_receipt_image

    with open_store() as store:
        return None if store is None else case_receipt_image(store, case_id, filing_id)


def _case_data(case_id: str, at: datetime) -> dict[str, Any] | None:
    """Everything the dispute page shows, or None for an unknown case (runs in a worker thread)."""
    with open_store() as store:
        return views.case_page(store, case_id, at)


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
