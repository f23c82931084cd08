"""Routes of the dispute form: new / edit, the live check, evidence upload and save.

Every rule comes from the engine: the form from the case model (``caseform``), findings from
``checks.check_case`` (as ``kameng check``), drafting from ``ocr.draft`` (as ``kameng new --from``),
saving by writing the case file and importing it with ``Store.import_case`` (as ``kameng add``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from kameng_filer.errors import KamengError
from kameng_filer.findings import Finding
from kameng_filer.timeutil import as_shanghai
from kameng_filer.ui import casefiles, caseform, security, uploads
from kameng_filer.ui.casecheck import finding_view
from kameng_filer.ui.kit import Kit

_PARENT = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def place(findings: list[Finding], paths: set[str]) -> dict[str, list[dict[str, str]]]:
    """Findings by the nearest form path they concern (``""`` = the whole case)."""
    out: dict[str, list[dict[str, str]]] = {}
    for f in findings:
        p = f.path if f.path != "(root)" else ""
        while p and p not in paths:
            stripped = _PARENT.sub("", p)
            p = stripped if stripped != p else ""
        out.setdefault(p, []).append(finding_view(f))
    return out


def _paths(nodes: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for n in nodes:
        out.add(n["path"])
        for row in n.get("rows", []):
            out |= _paths(row)
            if row:
                out.add(_PARENT.sub("", row[0]["path"]))
        out |= _paths(n.get("children", []))
    return out


def _open_store() -> Any:
    from kameng_filer.ui.readstore import open_store

    return open_store()


def target_of(ref: str) -> casefiles.Target:
    """The form target ``ref`` resolved against the local store (``casefiles.resolve``)."""
    with _open_store() as store:
        return casefiles.resolve(ref, store)


def form_context(
    target: casefiles.Target,
    raw: dict[str, Any],
    base_sha: str,
    now: datetime,
    found: list[Finding] | None = None,
) -> dict[str, Any]:
    """What ``edit.html`` needs: the filled widget tree and the findings placed at their fields."""
    nodes = caseform.filled(caseform.case_spec(), raw)
    if found is None:
        found = casefiles.findings(raw, target.folder, now)[0] if raw else []
    return {
        "nodes": nodes,
        "item_templates": {n["path"]: n["item"] for n in caseform.case_spec() if n["kind"] == "list"},
        "target": target.ref,
        "base_sha": base_sha,
        "placed": place(found, _paths(nodes)),
        "is_new": target.kind == "new",
        "file": str(target.file),
    }


def routes(kit: Kit) -> list[Route]:
    """The form's routes, rendered with the app's ``page`` and ``problem`` helpers."""
    page, problem, csrf, now_fn = kit.page, kit.problem, kit.csrf, kit.now

    def refused(request: Request, exc: KamengError, status: int = 400) -> Response:
        return problem(request, status, exc.message, exc.hint or "")

    async def new_case(request: Request) -> Response:
        at = as_shanghai(now_fn())
        key = casefiles.new_key(at)
        target = casefiles.Target("new", key, casefiles.cases_root() / key)
        ctx = form_context(target, {}, "", at)
        ctx["nodes"] = caseform.filled(caseform.case_spec(), {"id": target.key})
        return page(request, "edit.html", title="新建纠纷", **ctx)

    async def edit_case(request: Request) -> Response:
        at = as_shanghai(now_fn())
        try:
            target = await run_in_threadpool(target_of, f"case:{request.path_params['case_id']}")
            raw, sha = await run_in_threadpool(casefiles.read, target)
            ctx = await run_in_threadpool(form_context, target, raw, sha, at)
        except KamengError as exc:
            return refused(request, exc, 404 if "没有案件" in exc.message else 400)
        return page(request, "edit.html", title=f"修改：{raw.get('title') or target.key}", **ctx)

    async def form_data(request: Request) -> tuple[Any, dict[str, Any], casefiles.Target, str] | Response:
        """The posted form, the case data it gives, its target and the file's hash now."""
        form = await request.form(max_files=0, max_fields=2000)
        if not security.same(form.get(security.CSRF_FIELD), csrf):  # type: ignore[arg-type]
            return problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")
        try:
            target = await run_in_threadpool(target_of, str(form.get("target", "")))
            base, sha = await run_in_threadpool(casefiles.read, target)
        except KamengError as exc:
            return refused(request, exc)
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        return form, caseform.from_form(items, base), target, sha

    async def check(request: Request) -> Response:
        got = await form_data(request)
        if isinstance(got, Response):
            return got
        form, data, target, sha = got
        found, storable = await run_in_threadpool(
            casefiles.findings, data, target.folder, as_shanghai(now_fn())
        )
        stale = sha != str(form.get("base_sha", ""))  # the file changed on disk since the page loaded
        return JSONResponse(
            {"findings": [finding_view(f) for f in found], "storable": storable, "stale": stale}
        )

    async def save(request: Request) -> Response:
        got = await form_data(request)
        if isinstance(got, Response):
            return got
        form, data, target, _sha = got
        at = as_shanghai(now_fn())
        found, storable = await run_in_threadpool(casefiles.findings, data, target.folder, at)
        base_sha = str(form.get("base_sha", ""))
        if not storable:
            ctx = form_context(target, data, base_sha, at, found)
            ctx["message"] = "还有错误，没有保存。请按各项旁边的提示修改。"
        else:
            try:
                case_id = await run_in_threadpool(save_case, target, data, base_sha, caseform.normalized)
            except casefiles.FileChanged as exc:
                ctx = await run_in_threadpool(_reloaded, target, data, at)
                ctx["message"] = f"{exc.message}{exc.hint}"
            except KamengError as exc:
                ctx = form_context(target, data, base_sha, at, found)
                ctx["message"] = f"{exc.message}{'建议：' + exc.hint if exc.hint else ''}"
            else:
                return RedirectResponse(f"/cases/{case_id}?saved=1", status_code=303)
        return page(
            request, "edit.html", 200, title="新建纠纷" if target.kind == "new" else "修改纠纷", **ctx
        )

    async def upload(request: Request) -> Response:
        length = int(request.headers.get("content-length") or 0)
        if length > uploads.MAX_BYTES * uploads.MAX_FILES + 65536:
            return _json_error(
                "一次上传的文件太大。",
                f"每个文件不超过 {uploads.MAX_BYTES // 1048576} MB，一次最多 {uploads.MAX_FILES} 个。",
            )
        try:
            form = await request.form(
                max_files=uploads.MAX_FILES, max_fields=10, max_part_size=uploads.MAX_BYTES
            )
        except Exception:
            return _json_error(
                "上传的内容无法读取或超出限制。",
                f"每个文件不超过 {uploads.MAX_BYTES // 1048576} MB，一次最多 {uploads.MAX_FILES} 个。",
            )
        try:
            return await _receive(form)
        finally:
            await form.close()

    async def _receive(form: Any) -> Response:
        if not security.same(form.get(security.CSRF_FIELD), csrf):
            return _json_error("表单已失效或不是从工作台提交的。", "请刷新页面后再上传。", 403)
        files = [v for k, v in form.multi_items() if k == "files" and not isinstance(v, str)]
        if not files:
            return _json_error("没有收到文件。", "把截图拖到框里，或点“选择文件”。")
        try:
            target = await run_in_threadpool(target_of, str(form.get("target", "")))
            saved = []
            for i, f in enumerate(files, 1):
                data = await f.read(uploads.MAX_BYTES + 1)
                saved.append(await run_in_threadpool(uploads.put, target.folder, data, f"第 {i} 个文件"))
            drafted = await run_in_threadpool(uploads.draft_files, target.folder, saved)
        except KamengError as exc:
            return _json_error(exc.message, exc.hint or "")
        for item in drafted["values"]:
            item["source_url"] = _file_url(target, item["source"])
        for item in drafted["evidence"]:
            item["url"] = _file_url(target, item["file"])
        return JSONResponse(drafted)

    async def evidence_file(request: Request) -> Response:
        try:
            target = await run_in_threadpool(target_of, request.query_params.get("target", ""))
        except KamengError:
            target = None
        path = uploads.evidence_file(target.folder, request.query_params.get("name", "")) if target else None
        if path is None:
            return problem(request, 404, "没有这个证据文件。", "回到表单重新上传。")
        return FileResponse(path, media_type=uploads.MEDIA[path.suffix])

    return [
        Route("/new", new_case),
        Route("/cases/{case_id}/edit", edit_case),
        Route("/edit/check", check, methods=["POST"]),
        Route("/edit/save", save, methods=["POST"]),
        Route("/edit/upload", upload, methods=["POST"]),
        Route("/edit/file", evidence_file),
    ]


def _file_url(target: casefiles.Target, file: str) -> str:
    from urllib.parse import urlencode

    return "/edit/file?" + urlencode({"target": target.ref, "name": file.rsplit("/", 1)[-1]})


def _json_error(message: str, hint: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "invalid_upload", "message": message, "hint": hint}}, status_code=status
    )


def _reloaded(target: casefiles.Target, mine: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The form filled from the file as it is now (changed on disk meanwhile), listing the values the
    person had entered that differ from it, so nothing they typed is lost silently."""
    raw, sha = casefiles.read(target)
    ctx = form_context(target, raw, sha, now)
    theirs = dict(caseform.form_items(raw))
    ctx["unsaved"] = [
        {"label": caseform.label_of(p), "path": p, "value": v}
        for p, v in caseform.form_items(mine)
        if theirs.get(p) != v
    ]
    return ctx


def save_case(
    target: casefiles.Target,
    data: dict[str, Any],
    base_sha: str,
    seen: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> str:
    """Write the case file and import it into the store (a new version; earlier ones stay);
    ``seen`` as in ``casefiles.save``."""
    from kameng_filer.store import Store

    file = casefiles.save(target, data, base_sha, seen)
    store = Store.open()
    try:
        return store.import_case(file).case_id
    finally:
        store.close()
