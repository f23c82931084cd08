"""Assisted channels (支付宝 / 微信支付) in the page: step cards with copy buttons and the prepared images,
recording the complaint number and status (``kameng report``), and the same guide read-only on the phone.

The guide is the adapter's own plan and app steps (what ``kameng file`` guides through in the terminal);
recording uses ``cli.report_cmds.record_number`` / ``record_status``, as ``kameng report`` does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from kameng_filer import wording
from kameng_filer.errors import KamengError
from kameng_filer.ui.kit import Kit
from kameng_filer.ui.lan import qr_data_uri

ASSISTED = ("alipay", "wechat_pay")
_IMAGE_NAME = re.compile(r"\d{2}-[A-Za-z0-9_.-]{1,120}")
MAX_INPUT = 500
HERE = Path(__file__).resolve().parent


def _adapter(channel: str) -> Any:
    from kameng_filer.filing.channels import resolve

    return resolve(channel).adapter


def guide_data(case_id: str, channel: str) -> dict[str, Any] | None:
    """Everything the guide shows, from the adapter's plan and app steps; None for an unknown case."""
    from kameng_filer.filing.status_words import known_words
    from kameng_filer.ui.readstore import open_store

    with open_store() as store:
        if store is None or not store.has_case(case_id):
            return None
        case = store.get_case(case_id)
        filing = store.get_filing(case_id, channel)
    adapter = _adapter(channel)
    plan = adapter.plan(case)
    plan.channel = channel
    labels = {f.name: f.label for f in adapter.spec.fields}
    skip = (adapter.text_field, adapter.image_field)
    fields = [
        {"label": labels.get(k, k), "value": "、".join(map(str, v)) if isinstance(v, list) else str(v)}
        for k, v in plan.fields.items()
        if k not in skip and v not in (None, "")
    ]
    steps = [
        {"title": s.title, "detail": s.detail, "copy": s.copy, "files": [Path(f).name for f in s.files]}
        for s in adapter.app_steps(plan)
    ]
    images = [
        {"name": f.upload_name, "kb": max(1, f.size // 1024), "description": f.description}
        for f in plan.files
    ]
    return {
        "case": case,
        "channel": channel,
        "channel_title": adapter.spec.title,
        "app": adapter.app,
        "fields": fields,
        "text_label": labels.get(adapter.text_field, "投诉内容"),
        "text": str(plan.fields.get(adapter.text_field, "")),
        "steps": steps,
        "images": images,
        "notes": list(plan.notes),
        "number_label": adapter.number_label,
        "number_example": adapter.number_example,
        "state": wording.filing_state(filing.state) if filing else "还没有记录",
        "complaint_no": filing.complaint_no if filing else "",
        "statuses": known_words(channel),
    }


def image_file(case_id: str, channel: str, name: str) -> Path | None:
    """A prepared image of the guide, by its listed name only (never a path from the request)."""
    from kameng_filer.ui.readstore import open_store

    if not _IMAGE_NAME.fullmatch(name):
        return None
    with open_store() as store:
        if store is None or not store.has_case(case_id):
            return None
        case = store.get_case(case_id)
    folder = _adapter(channel).images_dir(case, "complaint")
    listed = {p.name: p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    found = listed.get(name)
    return found if found is not None and found.suffix.lower() in (".jpg", ".jpeg", ".png") else None


def record(case_id: str, channel: str, what: str, value: str, note: str, at: Any, shot: bytes | None = None) -> str:
    """Record the complaint number (with the App's screenshot, ``shot``) or a status as ``kameng report``
    does; "" or the Chinese problem."""
    from kameng_filer.cli.report_cmds import record_number, record_status
    from kameng_filer.store import Store
    from kameng_filer.ui import appshot

    if not value.strip():
        return f"请填写{'投诉单号' if what == 'number' else '状态'}。"
    if len(value) > MAX_INPUT or len(note) > MAX_INPUT:
        return f"内容太长（最多 {MAX_INPUT} 字）。"
    adapter = _adapter(channel)
    kept: Path | None = None
    try:
        picture = appshot.checked_image(shot) if shot is not None and what == "number" else None
        store = Store.open()
    except KamengError as exc:
        return exc.message + (f"（{exc.hint}）" if exc.hint else "")
    try:
        if what == "number":
            kept = appshot.keep(case_id, channel, *picture, at) if picture is not None else None
            filing, changed = record_number(
                store, case_id, adapter, channel, value, at=at, screenshot=kept, note=note or None
            )
            if kept is not None and not changed:  # the same number again: the screenshot joins its receipt
                receipt = dict(filing.receipt) if isinstance(filing.receipt, dict) else {}
                store.update_filing(filing.id, receipt={**receipt, "screenshot": str(kept)}, at=at)
        else:
            filing = store.get_filing(case_id, channel)
            record_status(
                store,
                case_id,
                adapter,
                channel,
                filing,
                status=value,
                state=None,
                note=note or None,
                shot=None,
                at=at,
            )
    except KamengError as exc:
        if kept is not None:
            kept.unlink(missing_ok=True)  # nothing recorded: no screenshot left behind
        return exc.message + (f"（{exc.hint}）" if exc.hint else "")
    finally:
        store.close()
    return ""


def routes(kit: Kit) -> list[Route]:
    """The assisted-guide routes (workspace and phone)."""

    async def guide(request: Request, errors: dict[str, str] | None = None) -> Response:
        case_id, channel = request.path_params["case_id"], request.path_params["channel"]
        if channel not in ASSISTED:
            return kit.problem(
                request,
                404,
                f"「{channel}」不是需要在 App 中操作的渠道。",
                "回到案件页选择支付宝或微信支付。",
            )
        try:
            data = await run_in_threadpool(guide_data, case_id, channel)
        except KamengError as exc:  # e.g. the case was paid another way, or the channel's settings are wrong
            return kit.problem(request, 400, exc.message, exc.hint or "回到案件页查看。")
        if data is None:
            return kit.no_case(request, case_id)
        phone = None
        if kit.lan is not None and kit.lan.enabled:
            url = kit.lan.guide_url(case_id, channel)
            phone = {"url": url, "qr": await run_in_threadpool(qr_data_uri, url)}
        base = f"/cases/{quote(case_id, safe='')}/assisted/{channel}"
        return kit.page(
            request,
            "assisted.html",
            title=f"{data['channel_title']}：操作指引",
            base=base,
            images_base=f"{base}/images",
            phone=phone,
            errors=errors or {},
            done=request.query_params.get("done", ""),
            readonly=False,
            **data,
        )

    async def post(request: Request) -> Response:
        from kameng_filer.ui.appshot import HINT, MAX_BYTES

        if int(request.headers.get("content-length") or 0) > MAX_BYTES + 65536:
            return await guide(request, {"number": f"截图太大。{HINT}"})
        try:
            parsed = await request.form(max_files=1, max_fields=10, max_part_size=64 * 1024)
        except HTTPException:
            return await guide(request, {"number": f"上传的内容无法读取（只能附一张截图）。{HINT}"})
        try:
            return await _record(request)
        finally:
            await parsed.close()

    async def _record(request: Request) -> Response:
        from kameng_filer.ui.appshot import MAX_BYTES

        form = await kit.form(request)
        if form is None:
            return kit.stale(request)
        case_id, channel = request.path_params["case_id"], request.path_params["channel"]
        what = request.path_params["what"]
        if channel not in ASSISTED or what not in ("number", "status"):
            return kit.problem(request, 404, "没有这个页面。", "回到案件页重新选择。")
        value, note = str(form.get("value") or ""), str(form.get("note") or "")
        upload = form.get("screenshot")
        shot = None
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            shot = await upload.read(MAX_BYTES + 1)  # one byte over the limit is enough to refuse it
        problem = await run_in_threadpool(record, case_id, channel, what, value, note, kit.now(), shot)
        if problem:
            return await guide(request, {what: problem})  # 200: the page shows the problem at the field
        return RedirectResponse(
            f"/cases/{quote(case_id, safe='')}/assisted/{channel}?done={what}", status_code=303
        )

    async def image(request: Request) -> Response:
        p = request.path_params
        found = None
        if p["channel"] in ASSISTED:
            found = await run_in_threadpool(image_file, p["case_id"], p["channel"], p["name"])
        if found is None:
            return kit.problem(request, 404, "没有这张图片。", "回到操作指引页查看。")
        return FileResponse(found)

    def phone_ok(request: Request) -> bool:
        return kit.lan is not None and kit.lan.token_ok(request.path_params["token"])

    async def phone_guide(request: Request) -> Response:
        case_id, channel = request.path_params["case_id"], request.path_params["channel"]
        if not phone_ok(request) or channel not in ASSISTED:
            return kit.problem(request, 404, "没有这个页面。", "请重新扫描电脑上工作台页面里的二维码。")
        data = await run_in_threadpool(guide_data, case_id, channel)
        if data is None:
            return kit.problem(request, 404, "没有这个页面。", "请重新扫描电脑上工作台页面里的二维码。")
        token = request.path_params["token"]
        return kit.page(
            request,
            "phone.html",
            title=f"{data['channel_title']}：操作指引",
            images_base=f"/phone/{token}/{quote(case_id, safe='')}/{channel}/images",
            assets=f"/phone/{token}",
            readonly=True,
            errors={},
            done="",
            **data,
        )

    async def phone_image(request: Request) -> Response:
        p = request.path_params
        found = None
        if phone_ok(request) and p["channel"] in ASSISTED:
            found = await run_in_threadpool(image_file, p["case_id"], p["channel"], p["name"])
        if found is None:
            return kit.problem(request, 404, "没有这张图片。", "请重新扫描二维码。")
        return FileResponse(found)

    async def phone_asset(request: Request) -> Response:
        name = request.path_params["name"]
        if not phone_ok(request) or name not in ("style.css", "guide.js"):
            return kit.problem(request, 404, "没有这个页面。", "请重新扫描二维码。")
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(HERE / "static" / name, media_type=media)

    return [
        Route("/cases/{case_id}/assisted/{channel}", guide),
        Route("/cases/{case_id}/assisted/{channel}/{what}", post, methods=["POST"]),
        Route("/cases/{case_id}/assisted/{channel}/images/{name}", image),
        Route("/phone/{token}/{name}", phone_asset),
        Route("/phone/{token}/{case_id}/{channel}", phone_guide),
        Route("/phone/{token}/{case_id}/{channel}/images/{name}", phone_image),
    ]
