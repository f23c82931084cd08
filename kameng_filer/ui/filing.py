"""Filing from the page: choose channels, dry run with screenshots, confirm, live progress (server-sent events).

The filing itself is ``ui.runs.FilingRun`` — the CLI's engine on a worker thread. These routes only
start runs, stream their events and pass the person's answers back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from kameng_filer.errors import KamengError
from kameng_filer.tracker.notices import channel_title
from kameng_filer.ui.kit import Kit
from kameng_filer.ui.runs import FilingRun, outcome_shots

ASSISTED = ("alipay", "wechat_pay")
POLL_S = 0.2
KEEPALIVE_S = 15.0
MAX_ANSWER = 200


def channel_choices() -> list[dict[str, str]]:
    """The channels a case can be filed on here: those in config.yaml, plus the assisted payment channels."""
    from kameng_filer.config import load_config

    names = [str(n) for n in (load_config().get("channels") or {})]
    names += [n for n in ASSISTED if n not in names]
    return [{"name": n, "title": channel_title(n)} for n in names]


def _case_title(case_id: str) -> str | None:
    from kameng_filer.ui.readstore import open_store

    with open_store() as store:
        if store is None or not store.has_case(case_id):
            return None
        return str(store.get_case(case_id).title)


def routes(kit: Kit) -> list[Route]:
    """The filing routes."""

    async def form_page(request: Request, error: str = "", chosen: list[str] | None = None) -> Response:
        """The channel form, or the Chinese 404 of an unknown case."""
        case_id = request.path_params["case_id"]
        title = await run_in_threadpool(_case_title, case_id)
        if title is None:
            return kit.no_case(request, case_id)
        choices = await run_in_threadpool(channel_choices)
        return kit.page(
            request,
            "file.html",
            title=f"提交：{title}",
            case_id=case_id,
            case_title=title,
            choices=choices,
            error=error,
            chosen=chosen or [],
        )

    async def file_form(request: Request) -> Response:
        return await form_page(request)

    async def file_start(request: Request) -> Response:
        form = await kit.form(request)
        if form is None:
            return kit.stale(request)
        case_id = request.path_params["case_id"]
        if await run_in_threadpool(_case_title, case_id) is None:
            return kit.no_case(request, case_id)
        choices = await run_in_threadpool(channel_choices)
        known = {c["name"] for c in choices}
        chosen = [str(v) for v in form.getlist("channel")]
        error = ""
        if not chosen:
            error = "请至少选择一个渠道。"
        elif unknown := [c for c in chosen if c not in known]:
            error = f"没有这个渠道：{'、'.join(unknown)}。请从列表中选择（新渠道先在 config.yaml 里配置）。"
        if error:
            return await form_page(request, error, chosen)
        run = FilingRun(
            case_id,
            list(dict.fromkeys(chosen)),
            dry_run=form.get("mode") != "file",
            again=form.get("again") == "1",
        )
        kit.runs.add(run).start(kit.now)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    def _run(request: Request) -> FilingRun | None:
        return kit.runs.get(request.path_params["run_id"])

    async def run_page(request: Request) -> Response:
        run = _run(request)
        if run is None:
            return kit.problem(
                request, 404, "没有这次提交的记录（工作台重启后不再保留）。", "回到案件页查看各渠道的状态。"
            )
        title = await run_in_threadpool(_case_title, run.case_id) or run.case_id
        channels = [{"name": c, "title": channel_title(c)} for c in run.channels]
        return kit.page(
            request,
            "run.html",
            title="提交升级" if run.kind == "escalation" else "演练" if run.dry_run else "提交",
            run=run,
            demo=kit.demo is not None,
            case_title=title,
            channels=channels,
        )

    async def events(request: Request) -> Response:
        run = _run(request)
        if run is None:
            return kit.problem(request, 404, "没有这次提交的记录。", "回到案件页查看各渠道的状态。")
        try:
            start = int(request.headers.get("last-event-id", "-1")) + 1
        except ValueError:
            start = 0
        return StreamingResponse(
            _stream(run, start), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"}
        )

    async def answer(request: Request) -> Response:
        run = _run(request)
        form = await kit.form(request)
        if form is None:
            return JSONResponse({"error": {"message": "表单已失效。", "hint": "请刷新页面后再回答。"}}, 403)
        if run is None:
            return JSONResponse({"error": {"message": "没有这次提交。", "hint": "回到案件页重新提交。"}}, 404)
        value = str(form.get("value") or "")
        if len(value) > MAX_ANSWER:
            return JSONResponse({"error": {"message": "输入太长。", "hint": "只输入页面要求的内容。"}}, 400)
        if form.get("give_up") == "1":
            ok = run.answer(str(form.get("question") or ""), "no")
        else:
            ok = run.answer(str(form.get("question") or ""), value)
        if not ok:
            return JSONResponse(
                {"error": {"message": "这个问题已经回答过或已过期。", "hint": "看页面上最新的提示。"}}, 409
            )
        return JSONResponse({"ok": True})

    async def demo_answer(request: Request) -> Response:
        # DEMO ONLY: the demo script reads the twin's test outbox for the person (labelled 演示 in the page)
        run, form = _run(request), await kit.form(request)
        q = run.questions.get(str(form.get("question") or "")) if run and form and kit.demo else None
        if q is None or not q.open:
            return JSONResponse({"error": {"message": "没有这个问题。", "hint": "看页面上最新的提示。"}}, 404)
        try:
            value = await kit.demo(q.channel, q.prompt, q.image if q.kind == "code" else None)
        except KamengError as exc:
            return JSONResponse({"error": {"message": exc.message, "hint": "请自己填写。"}}, 409)
        return JSONResponse({"value": value})

    async def question_image(request: Request) -> Response:
        run = _run(request)
        image = run.question_image(request.path_params["qid"]) if run else None
        if image is None:
            return kit.problem(request, 404, "没有这张图片。", "看页面上最新的提示。")
        return FileResponse(image)

    async def outcome_image(request: Request) -> Response:
        run = _run(request)
        shots: list[Any] = []
        index = request.path_params["index"]
        if run is not None and run.finished and index < len(run.outcomes):
            shots = outcome_shots(run.outcomes[index])
        n = request.path_params["n"]
        if n >= len(shots):
            return kit.problem(request, 404, "没有这张截图。", "回到案件页查看回执。")
        return FileResponse(shots[n])

    return [
        Route("/cases/{case_id}/file", file_form),
        Route("/cases/{case_id}/file", file_start, methods=["POST"]),
        Route("/runs/{run_id}", run_page),
        Route("/runs/{run_id}/events", events),
        Route("/runs/{run_id}/answer", answer, methods=["POST"]),
        Route("/runs/{run_id}/demo-answer", demo_answer, methods=["POST"]),
        Route("/runs/{run_id}/questions/{qid}/image", question_image),
        Route("/runs/{run_id}/outcomes/{index:int}/shots/{n:int}", outcome_image),
    ]


async def _stream(run: FilingRun, seq: int) -> AsyncIterator[str]:
    """The run's events as server-sent events, from ``seq`` on, until the run is done."""
    idle = 0.0
    while True:
        batch = run.events_since(seq)
        for event in batch:
            seq = event["seq"] + 1
            yield f"id: {event['seq']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
            if event["type"] == "done":
                return
        if batch:
            idle = 0.0
        elif idle >= KEEPALIVE_S:
            idle = 0.0
            yield "：保持连接\n\n"
        await asyncio.sleep(POLL_S)
        idle += POLL_S
