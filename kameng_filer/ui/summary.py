"""A dispute's actions in the page — record a result, reject, escalate (as ``kameng report`` / ``reject`` /
``escalate``) — and its printable PDF summary (fpdf2 with the CJK font ``kameng letter`` embeds)."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from kameng_filer.errors import KamengError
from kameng_filer.timeutil import as_shanghai
from kameng_filer.tracker.notices import channel_title
from kameng_filer.ui import views
from kameng_filer.ui.kit import Kit

MAX_INPUT = 500
DONE = {
    "number": "已记录投诉编号，该渠道状态：已提交。",
    "status": "已记录状态。",
    "reject": "已记录：不接受处理结果。下一次跟踪（kameng tick 或 kameng watch）时会按渠道计划准备升级。",
    "escalate": "升级已处理，结果见下方。",
}


def summary_data(case_id: str, at: datetime) -> dict[str, Any] | None:
    """The dispute's channels, deadlines and history as the dispute page shows them; None if unknown."""
    from kameng_filer.tracker.overview import case_status
    from kameng_filer.ui.readstore import open_store

    with open_store() as store:
        if store is None or not store.has_case(case_id):
            return None
        case = store.get_case(case_id)
        status = case_status(store, case_id, at, case.title)
        submitted = sorted({f.channel for f in store.filings(case_id, states=["submitted"])})
        return {
            "case": case,
            "filings": [views.filing_row(f, at) for f in status["filings"]],
            "deadlines": views.open_deadlines(status, at),
            "timeline": views.timeline(store, case_id),
            "submitted": [{"name": c, "title": channel_title(c)} for c in submitted],
        }


def write_summary_pdf(data: dict[str, Any], at: datetime, target: Path) -> Path:
    """The printable summary: the dispute, each channel's state and receipt, deadlines, the history."""
    from kameng_filer.letter import _Writer

    case = data["case"]
    w = _Writer(case, {}, "")
    w.pdf.set_title(f"纠纷摘要 {case.id}")
    w.pdf.add_page()
    w.heading(f"纠纷摘要：{case.title}", 16)
    w.para(
        f"案件 {case.id}    订单 {case.order.order_no}    生成于 {as_shanghai(at):%Y-%m-%d %H:%M}（北京时间）",
        9,
    )
    w.heading("各渠道")
    for f in data["filings"]:
        deadline = f["deadline"]
        w.rows(
            [
                ("渠道", f"{f['channel_title']}{'（' + f['purpose'] + '）' if f['purpose'] else ''}"),
                ("状态", f["state"]),
                ("投诉编号", f["complaint_no"]),
                ("最新进展", f["progress"]),
                (
                    "下一个期限",
                    f"{deadline['title']} {deadline['due']}（{deadline['text']}）" if deadline else None,
                ),
            ]
        )
        w.pdf.ln(2)
    if not data["filings"]:
        w.para("还没有提交过投诉。")
    w.heading("未了的期限")
    for d in data["deadlines"]:
        w.para(
            f"{d['due']}  {d['channel_title']}：{d['title']}（{d['text']}{'，暂定' if d['provisional'] else ''}）",
            10,
        )
    if not data["deadlines"]:
        w.para("没有未了的期限。", 10)
    w.heading("经过")
    for e in data["timeline"]:
        w.para(f"{e['at']}  {e['label']}：{e['text']}", 9.5, 5.5)
    return w.output(target)


def act(case_id: str, what: str, form: dict[str, str], at: datetime) -> tuple[str, list[str]]:
    """Do one action as the CLI command does; ("" or the Chinese problem, lines of the result)."""
    from kameng_filer.cli.tracker_cmds import record_reject
    from kameng_filer.store import Store
    from kameng_filer.ui.assisted import record

    channel = form.get("channel", "").strip()
    if not channel:
        return "请选择渠道。", []
    if any(len(v) > MAX_INPUT for v in form.values()):
        return f"内容太长（最多 {MAX_INPUT} 字）。", []
    if what in ("number", "status"):
        return record(case_id, channel, what, form.get("value", ""), form.get("note", ""), at), []
    try:
        store = Store.open()
    except KamengError as exc:
        return exc.message, []
    try:
        record_reject(store, case_id, channel, form.get("reason"), at)
        return "", []
    except KamengError as exc:
        return exc.message + (f"（{exc.hint}）" if exc.hint else ""), []
    finally:
        store.close()


def routes(kit: Kit) -> list[Route]:
    """The dispute-action and summary routes."""

    async def actions(
        request: Request, errors: dict[str, str] | None = None, lines: list[str] | None = None
    ) -> Response:
        case_id = request.path_params["case_id"]
        at = as_shanghai(kit.now())
        data = await run_in_threadpool(summary_data, case_id, at)
        if data is None:
            return kit.no_case(request, case_id)
        from kameng_filer.ui.filing import channel_choices

        choices = await run_in_threadpool(channel_choices)
        done = request.query_params.get("done", "")
        return kit.page(
            request,
            "actions.html",
            title=f"记录与升级：{data['case'].title}",
            choices=choices,
            errors=errors or {},
            lines=lines or [],
            done=DONE.get(done, "") if not errors else "",
            **data,
        )

    async def post(request: Request) -> Response:
        form = await kit.form(request)
        if form is None:
            return kit.stale(request)
        case_id, what = request.path_params["case_id"], request.path_params["what"]
        if what not in DONE:
            return kit.problem(request, 404, "没有这个页面。", "回到案件页重新选择。")
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        if what == "escalate":
            return await escalate(request, case_id, values.get("channel", "").strip())
        problem, lines = await run_in_threadpool(act, case_id, what, values, kit.now())
        if problem or lines:
            return await actions(request, {what: problem} if problem else None, lines)
        return RedirectResponse(
            f"/cases/{quote(case_id, safe='')}/actions?done={what}#{what}", status_code=303
        )

    async def escalate(request: Request, case_id: str, channel: str) -> Response:
        """Start the escalation as a run (its captcha / SMS / QR steps answered in the run page)."""
        from kameng_filer.ui.escalaterun import EscalationRun, escalation_problem

        def live() -> list[Any]:
            return [
                r
                for r in kit.runs.all()
                if r.kind == "escalation" and not r.finished and (r.case_id, r.channels) == (case_id, [channel])
            ]

        problem = ""
        if not live():
            problem = "请选择渠道。" if not channel else await run_in_threadpool(escalation_problem, case_id, channel)
        if problem:
            return await actions(request, {"escalate": problem})
        if running := live():  # a second tab joins the escalation already under way (no await since the check)
            return RedirectResponse(f"/runs/{running[0].id}", status_code=303)
        run = EscalationRun(case_id, [channel], dry_run=False)
        kit.runs.add(run).start(kit.now)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    async def pdf(request: Request) -> Response:
        case_id = request.path_params["case_id"]
        at = as_shanghai(kit.now())
        data = await run_in_threadpool(summary_data, case_id, at)
        if data is None:
            return kit.no_case(request, case_id)
        folder = Path(tempfile.mkdtemp(prefix="kameng-ui-summary-"))
        try:
            path = await run_in_threadpool(write_summary_pdf, data, at, folder / "summary.pdf")
        except KamengError as exc:
            _remove(folder)
            return kit.problem(request, 500, exc.message, exc.hint or "")
        name = quote(f"{case_id}-纠纷摘要.pdf")
        return FileResponse(
            path,
            media_type="application/pdf",
            headers={"Content-Disposition": f"inline; filename*=UTF-8''{name}"},
            background=BackgroundTask(_remove, folder),
        )

    return [
        Route("/cases/{case_id}/actions", actions),
        Route("/cases/{case_id}/actions/{what}", post, methods=["POST"]),
        Route("/cases/{case_id}/summary.pdf", pdf),
    ]


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
