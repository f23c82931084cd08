"""Routes for rewriting a channel × purpose text: kept in the case file's ``texts`` field (which ``render``,
and so ``kameng render`` / ``kameng file``, use instead of the generated text), checked by ``kameng check``
(``checks.own_texts``: field limits, emotional words) and saved like the dispute form."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from kameng_filer import registry
from kameng_filer.errors import KamengError
from kameng_filer.timeutil import as_shanghai
from kameng_filer.ui import casefiles, security
from kameng_filer.ui.casecheck import finding_view
from kameng_filer.ui.edit import save_case, target_of
from kameng_filer.ui.kit import Kit

FIELD_PREFIX = "text."


def _load(case_id: str, channel: str, purpose: str) -> tuple[casefiles.Target, dict[str, Any], str, Any]:
    """The target, the file's data and hash, and the validated case (``FormError`` when it has errors)."""
    from kameng_filer.case.loader import validate
    from kameng_filer.render import PURPOSES

    target = target_of(f"case:{case_id}")
    if purpose not in PURPOSES:
        raise casefiles.FormError(f"没有用途「{purpose}」", hint="回到案件页，从“投诉文本”里点“改写”。")
    registry.spec(channel)  # AdapterNotFound (a KamengError) names the known channels
    raw, sha = casefiles.read(target)
    result = validate(raw, source=None, base_dir=target.folder, lines=None)
    if result.case is None:
        raise casefiles.FormError("案件文件有错误，暂时不能改写文本。", hint="先在“修改案件”里改正错误。")
    return target, raw, sha, result.case


def fields(case: Any, channel: str, purpose: str) -> list[dict[str, Any]]:
    """Each rendered field: the generated text, the person's own (if any), its limits."""
    from kameng_filer.render import render

    spec = registry.spec(channel)
    generated = render(case.model_copy(update={"texts": {}}), channel, purpose).fields
    own = case.texts.get(channel, {}).get(purpose, {})
    return [
        {
            "name": fs.name,
            "label": fs.label,
            "limit": fs.max_len,
            "min": fs.min_len,
            "generated": generated.get(fs.name, ""),
            "own": fs.name in own,
            "text": own.get(fs.name, generated.get(fs.name, "")),
            "path": f"texts.{channel}.{purpose}.{fs.name}",
            "single_line": fs.kind != "textarea" and (fs.max_len or 9999) <= 100,
        }
        for fs in spec.rendered_fields
    ]


def with_texts(
    raw: dict[str, Any], channel: str, purpose: str, given: dict[str, str], generated: dict[str, str]
) -> dict[str, Any]:
    """The case data with this channel × purpose's own texts: a text equal to the generated one (or empty)
    is not kept, so later case changes still reach it."""
    texts = {k: dict(v) for k, v in (raw.get("texts") or {}).items() if isinstance(v, dict)}
    mine = {
        name: text.replace("\r\n", "\n")
        for name, text in given.items()
        if text.strip() and text.replace("\r\n", "\n").strip() != generated.get(name, "").strip()
    }
    by_purpose = dict(texts.get(channel) or {})
    if mine:
        by_purpose[purpose] = mine
    else:
        by_purpose.pop(purpose, None)
    if by_purpose:
        texts[channel] = by_purpose
    else:
        texts.pop(channel, None)
    data = {k: v for k, v in raw.items() if k != "texts"}
    if texts:
        data["texts"] = texts
    return data


def routes(kit: Kit) -> list[Route]:
    """The text editor's routes."""
    page, problem, csrf, now_fn = kit.page, kit.problem, kit.csrf, kit.now

    def context(case_id: str, channel: str, purpose: str, given: dict[str, str] | None) -> dict[str, Any]:
        from kameng_filer.render import PURPOSE_LABELS

        target, raw, sha, case = _load(case_id, channel, purpose)
        rows = fields(case, channel, purpose)
        data = raw
        if given is not None:
            names = {r["name"] for r in rows}
            given = {k: v for k, v in given.items() if k in names}  # forged field names are ignored
            data = with_texts(raw, channel, purpose, given, {r["name"]: r["generated"] for r in rows})
            for r in rows:
                r["text"] = given.get(r["name"], r["text"])
        found, _ok = casefiles.findings(data, target.folder, as_shanghai(now_fn()))
        mine = [f for f in found if f.path.startswith(f"texts.{channel}.{purpose}")]
        for r in rows:
            r["findings"] = [finding_view(f) for f in mine if f.path == r["path"]]
            r["count"] = len(r["text"])
        return {
            "case_id": case_id,
            "case_title": raw.get("title", case_id),
            "channel": channel,
            "channel_title": registry.spec(channel).title,
            "purpose": purpose,
            "purpose_label": PURPOSE_LABELS[purpose],
            "rows": rows,
            "target": target,
            "base_sha": sha,
            "data": data,
            "errors": any(f.severity == "error" for f in mine),
        }

    def given_of(form: Any) -> dict[str, str]:
        return {
            k[len(FIELD_PREFIX) :]: v
            for k, v in form.multi_items()
            if k.startswith(FIELD_PREFIX) and isinstance(v, str)
        }

    async def show(request: Request) -> Response:
        p = request.path_params
        try:
            ctx = await run_in_threadpool(context, p["case_id"], p["channel"], p["purpose"], None)
        except KamengError as exc:
            return problem(request, 404, exc.message, exc.hint or "")
        return page(
            request, "texts.html", title=f"改写：{ctx['channel_title']} · {ctx['purpose_label']}", **ctx
        )

    async def posted(request: Request) -> tuple[Any, dict[str, Any]] | Response:
        form = await request.form(max_files=0, max_fields=200)
        if not security.same(form.get(security.CSRF_FIELD), csrf):  # type: ignore[arg-type]
            return problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")
        p = request.path_params
        try:
            ctx = await run_in_threadpool(context, p["case_id"], p["channel"], p["purpose"], given_of(form))
        except KamengError as exc:
            return problem(request, 400, exc.message, exc.hint or "")
        return form, ctx

    async def check(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        _form, ctx = got
        return JSONResponse(
            {
                "fields": [
                    {"name": r["name"], "count": r["count"], "limit": r["limit"], "findings": r["findings"]}
                    for r in ctx["rows"]
                ]
            }
        )

    async def save(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        form, ctx = got
        posted_sha = str(form.get("base_sha", ""))
        if not ctx["errors"]:
            try:
                await run_in_threadpool(save_case, ctx["target"], ctx["data"], posted_sha)
            except casefiles.FileChanged as exc:
                # the page now holds the file as it is (read again above) plus the person's texts
                ctx["message"] = f"{exc.message}您改写的文本仍在下面，核对后再点一次保存即可。"
            except KamengError as exc:
                ctx["message"] = f"{exc.message}{'建议：' + exc.hint if exc.hint else ''}"
                ctx["base_sha"] = posted_sha
            else:
                return RedirectResponse(f"/cases/{ctx['case_id']}?saved=1#texts", status_code=303)
        else:
            ctx["message"] = "还有错误，没有保存。请按提示修改。"
            ctx["base_sha"] = posted_sha
        return page(request, "texts.html", title=f"改写：{ctx['channel_title']}", **ctx)

    base = "/cases/{case_id}/texts/{channel}/{purpose}"
    return [
        Route(base, show),
        Route(base + "/check", check, methods=["POST"]),
        Route(base, save, methods=["POST"]),
    ]
