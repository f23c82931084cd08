"""``kameng adapter new NAME``: scaffold a plugin package that adds a channel without touching the core.

The package registers itself through entry points — ``kameng_filer.adapters`` (the adapter class),
``kameng_filer.templates`` (its complaint texts), ``kameng_filer.schedules`` (its deadline policy),
``kameng_filer.twins`` (its local twin, so ``kameng twins --only NAME`` runs it) and, with
``--profiles``, ``kameng_filer.profiles`` (site profiles it ships). It installs with ``pip install -e``
and passes its own tests out of the box: plan is pure, texts render for every purpose, the schedule
loads, and a case is filed against the twin through the toolkit's own filing pipeline.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from kameng_filer.errors import KamengError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "${dist}"
version = "0.1.0"
description = "kameng-filer 渠道插件:${title}"
requires-python = ">=3.11"
dependencies = ["kameng-filer>=0.1,<1", "httpx>=0.27,<1"]

[project.optional-dependencies]
test = ["pytest>=8,<10"]

[project.entry-points."kameng_filer.adapters"]
${name} = "${pkg}.adapter:${cls}"

[project.entry-points."kameng_filer.templates"]
${name} = "${pkg}.templates"

[project.entry-points."kameng_filer.schedules"]
${name} = "${pkg}.schedules"

[project.entry-points."kameng_filer.twins"]
${name} = "${pkg}.twin"
${profiles_ep}
[tool.setuptools]
packages = ["${pkg}", "${pkg}.templates", "${pkg}.schedules"${profiles_pkg}]

[tool.setuptools.package-data]
"${pkg}.templates" = ["*/*.j2"]
"${pkg}.schedules" = ["*.yaml"]${profiles_data}

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

README = """# ${dist}

kameng-filer 的渠道插件:**${title}**(渠道名 `${name}`)。由 `kameng adapter new ${name}` 生成。

```bash
pip install -e .            # 注册到 kameng:kameng adapters list 里能看到 ${name}
pytest                      # 插件自带的测试(用孪生站点,不连外网)
kameng twins --only ${name} # 启动本插件的孪生站点
kameng file 案件.yaml --channels ${name} --yes   # 先在 config.yaml 的 channels.${name}.base_url 填站点地址
```

| 文件 | 作用 |
|---|---|
| `${pkg}/adapter.py` | 渠道声明 `SPEC`(字段与限制)和适配器:`plan` 纯计算,`submit`/`find_existing`/`status` 用 httpx 调站点接口 |
| `${pkg}/templates/${name}/*.j2` | 投诉、进展查询、升级、复核四种文本(Jinja2,变量见 kameng-filer 的 docs/templates.md) |
| `${pkg}/schedules/${name}.yaml` | 期限策略(格式见 docs/deadlines.md) |
| `${pkg}/twin.py` | 孪生站点:本地复刻的站点,测试与演示用 |
| `tests/` | 用 `kameng_filer.testing` 的测试 |

把 `adapter.py` 里的接口路径、字段和回执换成真实站点的,先改孪生站点让它像真站点一样工作,再改适配器。
"""

INIT = '''"""kameng-filer plugin: ${title} (channel ``${name}``)."""
'''

ADAPTER = '''"""${title} (channel ``${name}``): file a complaint through the site's JSON API with httpx.

Steps on the real site (replace with yours): POST /api/complaints (order number, subject, content,
contact, images) → ``{"code": 0, "data": {"number": …}}``; errors are HTTP 200 with ``code`` ≠ 0.
GET /api/complaints?order_no=… lists them (reconciliation); GET /api/complaints/{number} gives the status.
Settings (config.yaml ``channels.${name}``): ``base_url`` (required), ``timeout`` (seconds).
"""

from __future__ import annotations

from typing import Any

import httpx

from kameng_filer import paths
from kameng_filer.adapter import (
    Adapter,
    DryRunComplete,
    FilingContext,
    FilingPlan,
    FollowUpResult,
    Receipt,
    StatusReport,
)
from kameng_filer.case.model import Case
from kameng_filer.channels import IMAGE_TYPES, ChannelSpec, FieldSpec
from kameng_filer.errors import ChannelRejected, ChannelUnreachable, ConfigError, RenderError
from kameng_filer.filing.boundary import translate
from kameng_filer.filing.evidence import prepare_files
from kameng_filer.timeutil import now

SPEC = ChannelSpec(
    name="${name}",
    title="${title}",
    kind="http",
    description="${title}:通过站点的 JSON 接口提交(插件示例)",
    fields=(
        FieldSpec("order_no", "订单号", max_len=64, source="order.order_no"),
        FieldSpec("subject", "标题", min_len=4, max_len=80, rendered=True),
        FieldSpec("content", "投诉内容", "textarea", min_len=20, max_len=3000, rendered=True),
        FieldSpec("contact", "联系电话", "phone", source="complainant.phone"),
        FieldSpec("evidence", "证据图片", "file", required=False, accept=IMAGE_TYPES, max_bytes=5 * 1024 * 1024,
                  max_files=5, max_pixels=2048, source="evidence"),
    ),
    steps=("POST /api/complaints(订单号、标题、内容、联系电话、图片)", "记下返回的投诉编号"),
)

STATES = {"待处理": "open", "已回复": "replied", "已解决": "resolved", "已驳回": "rejected", "已关闭": "closed"}


class ${cls}(Adapter):
    """Files on ${title} over HTTP."""

    spec = SPEC

    def _client(self) -> httpx.AsyncClient:
        base = self.settings.get("base_url")
        if not base:
            raise ConfigError(f"渠道 {self.name} 没有配置站点地址", hint=f"在 config.yaml 的 channels.{self.name}.base_url 填写")
        return httpx.AsyncClient(base_url=str(base), timeout=float(self.settings.get("timeout", 20)))

    def plan(self, case: Case, *, purpose: str = "complaint", context: dict[str, Any] | None = None) -> FilingPlan:
        """The exact values and files (pure: the same case gives the same plan; no network)."""
        from kameng_filer.render import render

        texts = render(case, self.name, purpose).fields
        fields = {
            "order_no": case.order.order_no,
            "subject": texts["subject"],
            "content": texts["content"],
            "contact": case.complainant.phone,
        }
        for spec in SPEC.fields:
            if spec.kind != "file":
                problem = spec.check_text(str(fields.get(spec.name) or ""))
                if problem:
                    raise RenderError(f"渠道「{SPEC.title}」的字段不符合要求:{problem}", field=spec.name)
        files = prepare_files(case, SPEC.field("evidence"), paths.sub(f"cache/files/{self.name}"))
        return FilingPlan(
            channel=self.name, case_id=case.id, purpose=purpose, fields=fields, files=files,
            target={"base_url": str(self.settings.get("base_url") or "")}, lookup_key=case.order.order_no,
        )

    async def _call(self, ctx: FilingContext, method: str, url: str, **kw: Any) -> dict[str, Any]:
        async with self._client() as client:
            try:
                resp = await client.request(method, url, **kw)
                resp.raise_for_status()
                body = resp.json()
            except httpx.HTTPError as exc:
                raise translate(exc, ctx.channel) from exc
            except ValueError:
                raise ChannelUnreachable("站点返回的不是 JSON", channel=ctx.channel) from None
        if not isinstance(body, dict):
            raise ChannelUnreachable("站点返回格式异常", channel=ctx.channel)
        return body

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """POST the complaint; the number comes back in the JSON answer."""
        if ctx.dry_run:
            raise DryRunComplete(None, "HTTP 请求已准备,未发送")
        files = [("evidence", (f.upload_name, f.path.read_bytes(), f.mime)) for f in plan.files]
        await ctx.about_to_submit(dict(plan.fields))
        body = await self._call(ctx, "POST", "/api/complaints", data=plan.fields, files=files or None)
        if body.get("code") != 0:
            raise ChannelRejected(f"渠道拒绝了提交:{body.get('msg', '未知错误')}", channel=ctx.channel)
        data = body.get("data") or {}
        return Receipt(complaint_no=str(data["number"]), filed_at=now(), status=data.get("status"), extra={"via": "api"})

    async def find_existing(self, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
        """A complaint on this order that is not recorded yet (after a lost response)."""
        body = await self._call(ctx, "GET", "/api/complaints", params={"order_no": plan.lookup_key})
        known = getattr(ctx, "known_numbers", set())
        for item in (body.get("data") or {}).get("items", []):
            if item.get("number") and item["number"] not in known:
                return Receipt(complaint_no=item["number"], filed_at=now(), status=item.get("status"), reconciled=True)
        return None

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        """The status words the site shows, mapped to the toolkit's states."""
        body = await self._call(ctx, "GET", f"/api/complaints/{receipt['complaint_no']}")
        if body.get("code") != 0:
            raise ChannelRejected(str(body.get("msg", "查询失败")), channel=ctx.channel)
        data = body.get("data") or {}
        raw = str(data.get("status", ""))
        return StatusReport(raw=raw, state=STATES.get(raw, "open"), checked_at=now(), replies=list(data.get("replies", [])))

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """This example site has no reply box: the person sends the follow-up."""
        return FollowUpResult(sent=False, needs_person=True, instructions=text)
'''

TWIN = '''"""The local twin of ${title}: a JSON complaint API on 127.0.0.1 (tests and demos only).

POST /api/complaints (form: order_no, subject 4–80, content 20–3000, contact; files ``evidence``, images
≤5 MB) → ``{"code": 0, "data": {"number", "status"}}``; validation errors are HTTP 200 with ``code`` 4220.
GET /api/complaints?order_no=… and GET /api/complaints/{number}. Operator: reply / resolve / reject / close.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.twins.base import OperatorError, WebTwin
from kameng_filer.twins.web import inspect_image, read_files, read_form, store_upload

IMAGES = ("image/jpeg", "image/png", "image/webp")
NEXT = {"reply": "已回复", "resolve": "已解决", "reject": "已驳回", "close": "已关闭"}


class ${twin_cls}(WebTwin):
    """Twin of ${title}."""

    name: ClassVar[str] = "${name}"
    title: ClassVar[str] = "${title}(孪生站点)"

    def __init__(self, data_dir: Path | str, *, maintenance: bool = False) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.maintenance = maintenance
        super().__init__(data_dir)

    def seed(self) -> None:
        """No complaints yet."""
        self.items = {}

    def records(self) -> list[dict[str, Any]]:
        """Every complaint."""
        return [dict(v) for v in self.items.values()]

    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """The site's staff acts on a complaint."""
        item = self.items.get(number)
        if item is None:
            raise OperatorError(f"投诉 {number} 不存在", 404)
        if action not in NEXT:
            raise OperatorError(f"不支持的操作 {action}")
        if text:
            item["replies"].append({"by": "staff", "text": text})
        item["status"] = NEXT[action]
        self.state.record_status(number, item["status"], "operator", action)
        return dict(item)

    def site_routes(self) -> list[BaseRoute]:
        """The JSON API."""
        return [
            Route("/api/complaints", self.complaints, methods=["GET", "POST"]),
            Route("/api/complaints/{number}", self.detail),
        ]

    async def complaints(self, request: Request) -> Response:
        """List (GET) or create (POST)."""
        if request.method == "GET":
            order_no = request.query_params.get("order_no", "")
            items = [v for v in self.items.values() if not order_no or v["order_no"] == order_no]
            return JSONResponse({"code": 0, "data": {"items": items}})
        form = await read_form(request)
        if self.maintenance:
            return JSONResponse({"code": 5030, "msg": "系统维护中,暂停受理投诉"})
        values = {k: str(form.get(k) or "").strip() for k in ("order_no", "subject", "content", "contact")}
        errors = {}
        if not values["order_no"]:
            errors["order_no"] = "请填写订单号"
        if not 4 <= len(values["subject"]) <= 80:
            errors["subject"] = "标题需 4–80 个字"
        if not 20 <= len(values["content"]) <= 3000:
            errors["content"] = "投诉内容需 20–3000 个字"
        if not values["contact"]:
            errors["contact"] = "请填写联系电话"
        uploads = [inspect_image(n, d, allowed=IMAGES, max_bytes=5 * 1024 * 1024, label="证据图片")
                   for n, d in await read_files(form, "evidence")]
        bad = [u.problem for u in uploads if u.problem]
        if bad:
            errors["evidence"] = bad[0]
        if errors:
            self.state.record_rejection("complaint", errors, via="api")
            return JSONResponse({"code": 4220, "msg": next(iter(errors.values())), "errors": errors})
        with self.lock:
            files = [store_upload(u, self.uploads_dir) for u in uploads]
            number = "${prefix}" + self.clock.now().strftime("%y%m%d") + f"{secrets.randbelow(10**6):06d}"
            self.items[number] = {"number": number, **values, "status": "待处理", "replies": []}
            self.state.record_submission(number, "complaint", values, files, via="api")
        self.lose_response(request)
        return JSONResponse({"code": 0, "data": {"number": number, "status": "待处理"}})

    async def detail(self, request: Request) -> Response:
        """One complaint's status and replies."""
        item = self.items.get(request.path_params["number"])
        if item is None:
            return JSONResponse({"code": 4040, "msg": "投诉不存在"})
        return JSONResponse({"code": 0, "data": item})


def create_twin(data_dir: Path, **options: Any) -> ${twin_cls}:
    """A new (not started) twin keeping its files under ``data_dir/${name}``."""
    return ${twin_cls}(data_dir, **options)
'''

TEMPLATES = {
    "complaint": """{#- ${title} · 投诉。Fields: subject (4–80), content (20–3000). -#}
{% block subject %}{{ m.subject(f, show) }}{% endblock %}

{% block content %}
您好,我对订单{{ f.order_no }}投诉,问题类型:{{ f.problem }}。

{{ m.facts_section(f, show) }}

{{ m.events_section(f, show) }}

{{ m.demand_section(f) }}

{{ m.basis_section(f, show) }}

{{ m.evidence_section(f, show) }}

{% if show.closing %}
请在规定时限内核实并答复,谢谢。
{% endif %}
{% endblock %}
""",
    "follow_up": """{#- ${title} · 进展查询。 -#}
{% block subject %}{{ m.subject(f, show, tail="-投诉进展查询", attach=false) }}{% endblock %}

{% block content %}
{{ m.progress_query(f, ctx) }}

{{ m.facts_section(f, show, title="原投诉概要") }}

{{ m.demand_section(f) }}
{% endblock %}
""",
    "escalation": """{#- ${title} · 升级投诉。 -#}
{% block subject %}{{ m.subject(f, show, tail="-申请升级处理") }}{% endblock %}

{% block content %}
{{ m.escalation_lead(f, show, ctx) }}

{{ m.facts_section(f, show) }}

{{ m.demand_section(f) }}

{{ m.evidence_section(f, show) }}

{{ m.prior_records(ctx) }}
{% endblock %}
""",
    "review": """{#- ${title} · 复核申请。 -#}
{% block subject %}{{ m.subject(f, show, tail="-处理结果复核申请", attach=false) }}{% endblock %}

{% block content %}
{{ m.review_lead(f, show, ctx) }}

{{ m.facts_section(f, show) }}

{{ m.demand_section(f) }}

{{ m.prior_records(ctx) }}
{% endblock %}
""",
}

SCHEDULE = """# ${title} 的期限策略(格式见 kameng-filer 的 docs/deadlines.md)。数字是插件作者的默认值,请按站点规则改。

channel: ${name}
title: ${title}
notes: 插件示例:站点客服处理时限按 5 个工作日计。

clocks:
  reply:
    title: 站点客服答复
    starts_on: filed
    duration: {working_days: 5}
    ends_on: [replied, result, resolved, closed]
    pauses_on: [waiting_for_person]
    on_lapse: follow_up
    source: 插件作者的默认值(站点未公布时限)。
    confidence: L

follow_up:
  max: 2
  spacing: {working_days: 2}
  source: 插件作者的默认值。
  confidence: L

escalate_to: ["12315", consumer_association]
"""

CONFTEST = '''"""Each test gets its own kameng data folder and no real keyring."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMENG_HOME", str(tmp_path_factory.mktemp("kameng-home")))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
'''

TESTS = '''"""The ${name} plugin: registered, pure plan, texts for every purpose, schedule, filing on its twin."""

from __future__ import annotations

from pathlib import Path

import pytest

from kameng_filer import registry, testing
from kameng_filer.case import load_case
from kameng_filer.render import PURPOSES, render
from kameng_filer.tracker.policy import load_policy
from ${pkg}.adapter import SPEC, ${cls}


@pytest.fixture
def case_path() -> Path:
    with testing.example_case() as path:
        yield path


@pytest.fixture
def case(case_path: Path):
    return load_case(case_path).case


def test_registered_by_entry_point() -> None:
    assert "${name}" in registry.names()
    assert registry.adapter_class("${name}") is ${cls}


def test_plan_is_pure_and_deterministic(case) -> None:
    first = ${cls}({"base_url": "http://127.0.0.1:1"}).plan(case).to_dict()
    second = ${cls}({"base_url": "http://127.0.0.1:1"}).plan(case).to_dict()
    assert first == second
    assert first["fields"]["order_no"] == case.order.order_no
    assert 4 <= len(first["fields"]["subject"]) <= SPEC.field("subject").max_len


@pytest.mark.parametrize("purpose", PURPOSES)
def test_texts_render_for_every_purpose(case, purpose: str) -> None:
    texts = render(case, "${name}", purpose).fields
    assert set(texts) == {"subject", "content"}
    assert all(texts.values())


def test_schedule_loads() -> None:
    assert load_policy("${name}").clocks


def test_files_a_case_on_the_twin(case_path: Path) -> None:
    with testing.twin("${name}") as twin:
        outcomes = testing.file_case(case_path, ["${name}"], config={"channels": {"${name}": {"base_url": twin.url}}})
        assert [o.state for o in outcomes] == ["submitted"], outcomes
        stored = twin.snapshot()["submissions"]
        assert len(stored) == 1 and stored[0]["number"] == outcomes[0].receipt["complaint_no"]
        assert stored[0]["fields"]["order_no"] == "KM20261102150012"
        assert len(stored[0]["files"]) == len(load_case(case_path).case.evidence)


def test_http_200_error_code_is_a_rejection(case_path: Path) -> None:
    with testing.twin("${name}", maintenance=True) as twin:
        outcomes = testing.file_case(case_path, ["${name}"], config={"channels": {"${name}": {"base_url": twin.url}}})
        assert outcomes[0].state == "rejected", outcomes
        assert "系统维护中" in outcomes[0].error
        assert twin.snapshot()["submissions"] == []


def test_lost_response_is_found_again_not_filed_twice(case_path: Path) -> None:
    with testing.twin("${name}") as twin:
        twin.set_faults(drop_after_submit=1)
        outcomes = testing.file_case(case_path, ["${name}"], config={"channels": {"${name}": {"base_url": twin.url}}})
        assert outcomes[0].state == "submitted", outcomes
        assert outcomes[0].receipt["reconciled"] is True
        assert len(twin.snapshot()["submissions"]) == 1
'''


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def scaffold(name: str, folder: Path, *, title: str | None = None, with_profiles: bool = False) -> Path:
    """Write the plugin package for channel ``name`` under ``folder``; returns the package root."""
    if not NAME_RE.match(name):
        raise KamengError(
            f"渠道名「{name}」不合适",
            hint="用小写字母开头,只含小写字母、数字和下划线,2–40 个字符,如 acme_shop",
        )
    from kameng_filer import registry

    if name in registry.names():
        raise KamengError(f"已经有名为「{name}」的渠道", hint="换一个名字(kameng adapters list 查看已有的)")
    dist = "kameng-plugin-" + name.replace("_", "-")
    pkg = f"kameng_{name}"
    root = folder / dist
    if root.exists():
        raise KamengError(f"目录已存在:{root}", hint="换一个 --dir,或先删除它")
    values = {
        "name": name,
        "title": title or f"{name} 客服投诉",
        "dist": dist,
        "pkg": pkg,
        "cls": f"{_camel(name)}Adapter",
        "twin_cls": f"{_camel(name)}Twin",
        "prefix": re.sub(r"[^A-Z]", "", name.upper())[:2] or "PL",
        "profiles_ep": f'\n[project.entry-points."kameng_filer.profiles"]\n{name} = "{pkg}.profiles"\n'
        if with_profiles
        else "",
        "profiles_pkg": f', "{pkg}.profiles"' if with_profiles else "",
        "profiles_data": f'\n"{pkg}.profiles" = ["*.yaml"]' if with_profiles else "",
    }

    def write(rel: str, text: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")

    write("pyproject.toml", PYPROJECT)
    write("README.md", README)
    write(f"{pkg}/__init__.py", INIT)
    write(f"{pkg}/adapter.py", ADAPTER)
    write(f"{pkg}/twin.py", TWIN)
    write(f"{pkg}/templates/__init__.py", '"""Complaint texts of the ${name} channel."""\n')
    for purpose, text in TEMPLATES.items():
        write(f"{pkg}/templates/{name}/{purpose}.j2", text)
    write(f"{pkg}/schedules/__init__.py", '"""Deadline policy of the ${name} channel."""\n')
    write(f"{pkg}/schedules/{name}.yaml", SCHEDULE)
    if with_profiles:
        write(
            f"{pkg}/profiles/__init__.py",
            '"""Site profiles shipped by this plugin (found by kameng adapters list)."""\n',
        )
    write("tests/conftest.py", CONFTEST)
    write(f"tests/test_{name}.py", TESTS)
    return root


def files_of(root: Path) -> list[str]:
    """The scaffold's files, relative, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
