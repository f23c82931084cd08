"""Site profiles: how to file on one web site, as data (fields by label/role/placeholder/CSS, steps, receipt).

A profile is YAML. The format is documented in ``docs/adapters.md``; ``load_profile`` validates it and
reports every problem with its field path and a fix.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kameng_filer import paths
from kameng_filer.case.loader import LineIndex, dotted
from kameng_filer.errors import ConfigError
from kameng_filer.vocab import ComplaintState

STATES: tuple[str, ...] = tuple(ComplaintState)
"""The normalised complaint states (values of ``status_words``): ``vocab.ComplaintState``."""

Widget = Literal[
    "text",  # input / textarea: fill
    "type",  # typed as key events (paste-blocking fields, live counters)
    "select",  # native <select>: pick by visible option text
    "radio",  # radio group: click the radio whose label is the value
    "checkbox",  # check when the value is truthy
    "buttons",  # button group / tags: click the button(s) whose text is the value(s)
    "dropdown",  # custom dropdown (Select2-like): open, optionally type in its search box, click the option
    "typeahead",  # type, then click the suggestion
    "editor",  # contenteditable / CodeMirror: click and type
    "upload",  # files: <input type=file> or a button that opens a file chooser
    "date",  # <input type=date>: fill YYYY-MM-DD
]


class Locator(BaseModel):
    """How to find one element: by visible label first (survives redesigns best), then role, placeholder, text, CSS."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = None
    role: str | None = None
    name: str | None = None
    placeholder: str | None = None
    text: str | None = None
    css: str | None = None
    frame: str | list[str] | None = None
    """CSS selector of the iframe that holds the element (a list for nested iframes, outermost first)."""
    exact: bool = False
    nth: int | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Locator:
        if not any((self.label, self.role, self.placeholder, self.text, self.css)):
            raise ValueError("需要 label、role、placeholder、text 或 css 之一")
        if self.name and not self.role:
            raise ValueError(
                "name 只和 role 一起起作用（按角色和名称找），没有 role 时请删掉或改成 text / label"
            )
        if "exact" in self.model_fields_set and not any((self.label, self.name, self.placeholder, self.text)):
            raise ValueError("exact 只对 label、role 的 name、placeholder、text 的文字起作用，这里没有，请删掉它")
        return self

    def describe(self) -> str:
        """A short human description, e.g. ``label=标题``."""
        parts = []
        for key in ("label", "role", "name", "placeholder", "text", "css", "frame"):
            v = getattr(self, key)
            if v:
                parts.append(f"{key}={' > '.join(v) if isinstance(v, list) else v}")
        return " ".join(parts)

    def strategies(self) -> list[str]:
        """The ways this locator can find its element, in the order they are tried."""
        return [k for k in ("label", "role", "placeholder", "text", "css") if getattr(self, k)]


WIDGET_KEYS: dict[str, tuple[str, ...]] = {
    "chooser": ("upload",),
    "multiple": ("upload",),
    "uploaded": ("upload",),
    "upload_timeout_ms": ("upload",),
    "max_files": ("upload",),
    "pick": ("upload",),
    "wait_option": ("select",),
    "suggestion": ("typeahead",),
    "option": ("dropdown",),
    "search": ("dropdown",),
    "keys": ("editor",),
    "newlines": ("editor",),
    "clear": ("editor", "type"),
    "type_delay_ms": ("type", "typeahead", "dropdown", "editor"),
    "match": ("select", "dropdown", "typeahead"),
}
"""Binding keys that act only for some widgets: set on another widget they would be silently ignored,
so a profile that does so is refused."""


class Binding(Locator):
    """A form field: where it is, which widget it is, and which plan value goes in."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = None
    field: str | None = None
    """Channel field whose planned value is entered (defaults to the binding's key)."""
    value: str | None = None
    """A literal or a format string like ``{order_no}`` (overrides the planned value)."""
    widget: Widget = "text"
    options: dict[str, str] = Field(default_factory=dict)
    """Planned value → the text the site shows for it."""
    required: bool = True
    type_delay_ms: int = 0
    suggestion: Locator | None = None
    """typeahead: the suggestion to click (defaults to the text of the value)."""
    option: Locator | None = None
    """dropdown: the option to click (defaults to an element with the value's text)."""
    search: Locator | None = None
    """dropdown: the search box inside an opened dropdown."""
    chooser: bool = False
    """upload: the element is a button that opens a file chooser (no visible file input)."""
    wait_option: bool = True
    """select: wait until the option exists (JS-filled or cascading selects)."""
    multiple: bool = False
    """upload: the input takes several files at once (otherwise one file per upload)."""
    uploaded: Locator | None = None
    """upload: one element per finished upload (e.g. the file list's items); waited for after each file."""
    upload_timeout_ms: int = 30_000
    """upload: how long one upload may take before the site counts as unreachable."""
    keys: bool = False
    """editor: type as real key events (paste-blocking editors, live counters) instead of inserting text."""
    clear: bool = True
    """editor/type: empty the field first (select all + delete)."""
    newlines: Literal["enter", "insert"] = "enter"
    """editor: line breaks as an Enter key press (default) or inserted as text."""
    fallback: str | None = None
    """Another binding key to fill instead when this one cannot take the value (e.g. order picker → typed)."""
    match: Literal["exact", "contains"] = "contains"
    """select/dropdown/typeahead: how the option text is matched."""
    max_files: int | None = Field(None, ge=1)
    """upload: how many files the widget takes (e.g. 1 when its button disappears after the first)."""
    pick: list[str] = Field(default_factory=list)
    """upload: which evidence goes here, by kind (``payment_proof``) or evidence id, best first; files
    matching none of them are left out (the plan shows the choice)."""

    @model_validator(mode="after")
    def _keys_act(self) -> Binding:
        wrong = [
            k for k in sorted(self.model_fields_set) if k in WIDGET_KEYS and self.widget not in WIDGET_KEYS[k]
        ]
        if wrong:
            raise ValueError(
                "、".join(f"{k} 只对 widget: {'/'.join(WIDGET_KEYS[k])} 有效" for k in wrong)
                + f"，这里是 widget: {self.widget}（不起作用的键请删掉）"
            )
        return self


class CaptchaStep(BaseModel):
    """An image captcha the person reads: show the image, ask, type the answer."""

    model_config = ConfigDict(extra="forbid")
    image: Locator
    input: Locator
    refresh: Locator | None = None


class SmsStep(BaseModel):
    """An SMS code: type the phone (optional), click send, ask the person, type the code."""

    model_config = ConfigDict(extra="forbid")
    phone: Binding | None = None
    send: Locator
    code: Locator


class QrStep(BaseModel):
    """A QR login: show the code, ask the person to scan, wait for the page to move on."""

    model_config = ConfigDict(extra="forbid")
    image: Locator
    done: Locator | None = None
    url_contains: str | None = None
    timeout_ms: int = 180_000


class Action(BaseModel):
    """One step of a flow; exactly one of the keys is set."""

    model_config = ConfigDict(extra="forbid")

    goto: str | None = None
    click: Locator | None = None
    wait: Locator | None = None
    state: Literal["visible", "hidden", "enabled", "attached"] = "visible"
    timeout_ms: int | None = None
    fill: str | list[str] | None = None
    """Binding key(s) from ``fields`` to fill."""
    captcha: CaptchaStep | None = None
    sms: SmsStep | None = None
    qr: QrStep | None = None
    press: str | None = None
    wait_url: str | None = None
    """Wait until the URL contains this text (after a redirect)."""
    optional: bool = False
    """Skip silently when the element is not there (e.g. a cookie banner)."""
    if_url: str | None = None
    """Run this step only when the current URL matches (e.g. a re-verification page); see ``url_matches``."""
    if_visible: Locator | None = None
    """Run this step only when this element is visible right now (no waiting; ``{var}`` allowed in its texts)."""
    unless_visible: Locator | None = None
    """Skip this step when this element is visible right now (e.g. a "not found" branch of a search)."""
    frame: str | list[str] | None = None
    """The iframe for every locator/field of this step that names none itself."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        keys = [
            k
            for k in ("goto", "click", "wait", "fill", "captcha", "sms", "qr", "press", "wait_url")
            if getattr(self, k)
        ]
        if len(keys) != 1:
            raise ValueError(f"每一步只能有一个动作，现在是 {keys or '无'}")
        acts_on = {
            "state": ("wait",),
            "optional": ("click", "wait"),
            "timeout_ms": ("click", "wait", "wait_url"),
        }
        idle = [k for k, kinds in acts_on.items() if k in self.model_fields_set and keys[0] not in kinds]
        if idle:
            raise ValueError(
                "、".join(f"{k} 只对 {'/'.join(acts_on[k])} 步骤有效" for k in idle)
                + f"，这一步是 {keys[0]}（不起作用的键请删掉）"
            )
        return self


class LoginSpec(BaseModel):
    """How to log in, and how to tell whether the stored session still works."""

    model_config = ConfigDict(extra="forbid")
    url: str
    check_url: str | None = None
    """A page to open to find out whether the stored session still works. Without it the session is
    proven on the first page the steps open (no extra page load), so ``logged_in`` must be on it."""
    logged_in: Locator
    """Visible only when logged in (e.g. the 退出登录 link): checked on ``check_url``, or on the first
    page opened, before anything is filled. Required: many sites answer a logged-out visit with
    HTTP 200 (an interstitial "登录会话过期" page, a 404 page), so a URL alone proves nothing."""
    logged_out_url: str | None = None
    """When visiting ``check_url`` redirects to a URL containing this, the session is gone."""
    steps: list[Action]
    success_url: str | None = None
    success: Locator | None = None
    error: Locator | None = None
    account_field: str = "username"
    secret_field: str = "password"


class ReceiptSpec(BaseModel):
    """Where the complaint number appears after the final click."""

    model_config = ConfigDict(extra="forbid")
    pattern: str
    where: Literal["page", "url", "toast", "dialog", "locator"] = "page"
    """``page`` text (also dialogs and toasts), the ``url``, a transient ``toast``, a ``dialog`` (native
    alert or HTML modal) or a ``locator``."""
    locator: Locator | None = None
    """locator: the element holding the number; toast: where toasts appear (CSS), optional."""
    timeout_ms: int = 15_000
    link: Locator | None = None
    """The receipt's link to the complaint's own page (its href is kept as ``{detail_url}``)."""

    @model_validator(mode="after")
    def _pattern_ok(self) -> ReceiptSpec:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"pattern 不是有效的正则表达式：{exc}") from None
        if self.where == "locator" and self.locator is None:
            raise ValueError("where: locator 时需要 locator")
        if self.locator is not None and self.where not in ("locator", "toast"):
            raise ValueError(f"locator 只在 where: locator 或 toast 时起作用，这里是 where: {self.where}")
        return self


class ListSpec(BaseModel):
    """The "my complaints" list used for reconciliation and status polling."""

    model_config = ConfigDict(extra="forbid")
    url: str
    steps: list[Action] = Field(default_factory=list)
    row: str
    """CSS of one row (each complaint)."""
    match: str = "{order_no}"
    number: str
    """Regex for the complaint number inside the row."""
    status: str | None = None
    """CSS of the status cell inside the row."""
    status_ignore: str | None = None
    """CSS of elements inside a status cell whose text is not part of the status (icon fonts); icon
    elements (``<i>``, ``.material-icons``, ``.iconfont``, ``[aria-hidden=true]`` …) are always left out."""
    link: str | None = None
    """CSS of the link in a row to the complaint's own page (default: the row's first link); its
    href is ``{row_href}`` / ``{detail_url}`` in ``detail_url`` and ``follow_up.url``."""
    detail_url: str | None = None
    detail_status: str | None = None
    replies: str | None = None
    created: str | None = None
    """CSS of the cell in a row with the site's own creation time (reconciliation proves with it)."""
    detail_created: str | None = None
    """CSS of the creation time on the detail page, when the list shows only a date or no time."""

    @model_validator(mode="after")
    def _keys_act(self) -> ListSpec:
        if not self.detail_url:
            idle = [k for k in ("detail_status", "replies") if getattr(self, k)]
            if idle:
                raise ValueError(f"{'、'.join(idle)} 只在详情页上读，需要 detail_url")
        if self.status_ignore and not (self.status or self.detail_status):
            raise ValueError("status_ignore 需要 status 或 detail_status")
        return self


class FollowUpSpec(BaseModel):
    """How to send a follow-up (reply / 补充说明) on an existing complaint."""

    model_config = ConfigDict(extra="forbid")
    url: str
    steps: list[Action] = Field(default_factory=list)
    text: Binding
    submit: Locator
    success: Locator | None = None
    closed_text: str | None = None
    """Text the site shows when the complaint can no longer be answered."""


class Limits(BaseModel):
    """A site's own limits for one channel field (stricter than the channel's)."""

    model_config = ConfigDict(extra="forbid")
    min_len: int | None = Field(None, ge=0)
    max_len: int | None = Field(None, ge=1)
    max_files: int | None = Field(None, ge=1)
    """For a file field: at most this many files are planned and uploaded."""

    def get(self, key: str, default: Any = None) -> Any:
        """A limit by name (None when not set), like a mapping."""
        value = getattr(self, key, None) if key in type(self).model_fields else None
        return default if value is None else value


class ApiSpec(BaseModel):
    """A JSON API to file without a browser (HTTP adapter)."""

    model_config = ConfigDict(extra="forbid")
    captcha_url: str | None = None
    login_url: str | None = None
    login_fields: dict[str, str] = Field(default_factory=dict)
    login_format: Literal["json", "form"] = "json"
    """How the login fields are sent: a JSON body or a form."""
    csrf_url: str | None = None
    """A page or endpoint that hands out the CSRF token (fetched before every POST)."""
    csrf_path: str | None = None
    """Where the token is in a JSON answer, e.g. ``data.token``."""
    csrf_pattern: str | None = None
    """Or a regex with one group over the answer's text, e.g. ``name="csrf-token" content="([^"]+)"``."""
    csrf_header: str | None = "X-CSRF-Token"
    """The request header that carries the token (None: none)."""
    csrf_field: str | None = None
    """The form field that carries the token (None: none)."""
    create_url: str
    create_fields: dict[str, str]
    options: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per planned field: planned value → what the API expects (e.g. ``未收到货: no_card``)."""
    file_field: str | None = None
    ok_path: str = "code"
    ok_value: Any = 0
    """The value at ``ok_path`` meaning success (a list: any of them). Sites often answer HTTP 200 with an
    error code here."""
    expired_values: list[Any] = Field(default_factory=list)
    """Values at ``ok_path`` meaning "not logged in / session expired" (log in again and retry)."""
    number_path: str = "data.ticket_no"
    message_path: str = "msg"
    list_url: str | None = None
    list_items_path: str = "data"
    list_number_key: str = "ticket_no"
    list_match_key: str = "order_no"
    list_created_key: str | None = None
    """Key of the creation time in a list item (reconciliation proves with it)."""
    status_url: str | None = None
    status_path: str = "data.status"
    reply_url: str | None = None
    reply_field: str = "content"
    replies_path: str = "data.replies"

    @model_validator(mode="after")
    def _csrf_ok(self) -> ApiSpec:
        if self.csrf_url and not (self.csrf_path or self.csrf_pattern):
            raise ValueError("csrf_url 需要 csrf_path（JSON 路径）或 csrf_pattern（正则）")
        if self.csrf_pattern:
            try:
                if re.compile(self.csrf_pattern).groups != 1:
                    raise ValueError("csrf_pattern 需要正好一个括号分组（令牌本身）")
            except re.error as exc:
                raise ValueError(f"csrf_pattern 不是有效的正则表达式：{exc}") from None
        return self


class Profile(BaseModel):
    """One site's profile (family A/B twins are just two profiles)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    channel: str | None = None
    """The adapter (channel) that files with this profile (default: the adapter shipping it, else card_platform)."""
    family: str | None = None
    mode: Literal["browser", "http"] = "browser"
    base_url: str
    login: LoginSpec | None = None
    fields: dict[str, Binding]
    steps: list[Action]
    submit: Locator
    confirm: Locator | None = None
    """A confirmation button after submit (e.g. 确认提交 in a modal), clicked as part of the final step."""
    receipt: ReceiptSpec
    errors: Locator | None = None
    """Where validation messages appear (also transient toasts matching it after a click)."""
    error_pattern: str | None = None
    """Regex: a dialog or toast whose text matches it after the final click means the site refused."""
    list_page: ListSpec | None = Field(None, alias="list")
    """The "my complaints" list (YAML key ``list``)."""
    status_words: dict[str, str] = Field(default_factory=dict)
    follow_up: FollowUpSpec | None = None
    api: ApiSpec | None = None
    limits: dict[str, Limits] = Field(default_factory=dict)
    """Per channel field limit overrides, e.g. ``title: {max_len: 60}`` or ``proof: {max_files: 1}``."""
    options: dict[str, str] = Field(default_factory=dict)
    """Fixed values this site wants (e.g. ``priority: 高``)."""
    schedule: dict[str, Any] = Field(default_factory=dict)
    """Policy overrides for this site (see docs/deadlines.md)."""
    source: str = ""

    @model_validator(mode="after")
    def _references(self) -> Profile:
        for where, steps in [("steps", self.steps), ("login.steps", self.login.steps if self.login else [])]:
            for i, step in enumerate(steps):
                keys = [step.fill] if isinstance(step.fill, str) else (step.fill or [])
                for key in keys:
                    if key not in self.fields:
                        raise ValueError(f"{where}[{i}].fill 引用了不存在的字段 {key}（fields 中没有）")
        if self.mode == "http" and self.api is None:
            raise ValueError("mode: http 需要 api 段")
        for word, state in self.status_words.items():
            if state not in STATES:
                known = "、".join(STATES)
                raise ValueError(f"status_words.{word} 的值 {state} 不是已知状态；可用：{known}")
        for where, rx in [
            ("error_pattern", self.error_pattern),
            ("list.number", self.list_page.number if self.list_page else None),
        ]:
            if rx:
                try:
                    re.compile(rx)
                except re.error as exc:
                    raise ValueError(f"{where} 不是有效的正则表达式：{exc}") from None
        for key, b in self.fields.items():
            if b.fallback and b.fallback not in self.fields:
                raise ValueError(f"fields.{key}.fallback 引用了不存在的字段 {b.fallback}")
        return self


def _builtin_dir() -> Any:
    return resources.files("kameng_filer.adapters").joinpath("profiles")


def profile_sources(*, user: bool = True) -> dict[str, tuple[str, Any]]:
    """Every known profile name → (where it comes from, file). User profiles override built-in ones.

    Sources: built-in ``adapters/profiles/*.yaml`` (``内置``), packages named by plugins in the
    entry-point group ``kameng_filer.profiles`` (``插件 <name>``), then the user's folder
    ``paths.user_profiles_dir()`` (``用户``; skipped with ``user=False``).
    """
    found: dict[str, tuple[str, Any]] = {}
    base = _builtin_dir()
    if base.is_dir():
        for entry in sorted(base.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".yaml", ".yml")):
                found[entry.name.rsplit(".", 1)[0]] = ("内置", entry)
    from importlib.metadata import entry_points

    for ep in entry_points(group="kameng_filer.profiles"):
        try:
            folder = resources.files(ep.value)
        except (ModuleNotFoundError, TypeError):
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".yaml", ".yml")):
                found[entry.name.rsplit(".", 1)[0]] = (f"插件 {ep.name}", entry)
    if user:
        for entry in sorted(paths.user_profiles_dir().glob("*.y*ml")):
            found[entry.stem] = ("用户", entry)
    return found


def _known_keys() -> set[str]:
    keys: set[str] = set()
    for model in (
        Locator,
        Binding,
        CaptchaStep,
        SmsStep,
        QrStep,
        Action,
        LoginSpec,
        ReceiptSpec,
        ListSpec,
        FollowUpSpec,
        Limits,
        ApiSpec,
        Profile,
    ):
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
    return keys


def _fix(err: dict[str, Any]) -> str:
    """A Chinese fix for one pydantic error."""
    etype = err.get("type", "")
    loc = tuple(err.get("loc", ()))
    if etype == "missing" and loc and loc[-1] == "logged_in":
        return (
            "添加 logged_in：只有登录后才看得到的元素（如 {role: link, name: 退出登录}）；"
            "很多站点对未登录的访问也回答 200（「登录会话过期」页、404 页），只看网址无法证明已登录"
        )
    if etype == "missing":
        return f"添加 {loc[-1] if loc else ''}"
    if etype == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        close = difflib.get_close_matches(key, sorted(_known_keys()), n=1)
        return f"是不是 {close[0]}?" if close else "删除它，或对照 docs/adapters.md 改成已有的键"
    if etype == "literal_error":
        return f"可选：{(err.get('ctx') or {}).get('expected', '')}"
    if etype == "string_pattern_mismatch":
        return "只能用小写字母、数字、- 和 _，以字母或数字开头"
    if etype in (
        "string_type",
        "int_parsing",
        "int_type",
        "bool_parsing",
        "bool_type",
        "dict_type",
        "list_type",
        "model_type",
    ):
        return {
            "string_type": "写成文字",
            "dict_type": "写成映射（键：值）",
            "model_type": "写成映射（键：值）",
            "list_type": "写成列表（每项以 - 开头）",
            "bool_parsing": "写 true 或 false",
            "bool_type": "写 true 或 false",
        }.get(etype, "写成整数")
    return ""


def parse_profile(text: str, *, origin: str = "profile") -> Profile:
    """Validate profile text; ``ConfigError`` listing every problem with its path, line and a fix."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise ConfigError(
            f"站点配置 {origin} 的 YAML 格式错误 {where}", detail=str(exc), hint="检查缩进与冒号"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"站点配置 {origin} 的最外层应为映射", hint="参考 docs/adapters.md 的例子")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        index = LineIndex(text)
        lines = []
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if p not in ("function-after[_one_way(), Binding]",))
            path = dotted(loc) or "（根）"
            msg = err.get("msg", "").removeprefix("Value error, ")
            if err.get("type") == "missing":
                msg = "缺少必填项"
            elif err.get("type") == "extra_forbidden":
                msg = "未知的键（拼写错误？）"
            elif err.get("type") == "string_pattern_mismatch":
                msg = f"格式不对：{err.get('input')!r}"
            elif err.get("type") == "literal_error":
                msg = f"取值 {err.get('input')!r} 不在可选范围内"
            fix = _fix(err)
            line = index.line(path) if loc else None
            at = f"（第 {line} 行）" if line else ""
            lines.append(f"  {path}{at}: {msg}" + (f" → {fix}" if fix else ""))
        raise ConfigError(
            f"站点配置 {origin} 有 {len(lines)} 处问题：\n" + "\n".join(lines), hint="格式见 docs/adapters.md"
        ) from None


def url_matches(pattern: str, url: str) -> bool:
    """Whether ``url`` matches a profile URL pattern.

    ``/path`` matches when the URL's path (with query) starts with it — so ``/tickets`` does not match
    ``/login?next=/tickets``; ``re:…`` is a regular expression searched in the whole URL; anything else
    is a substring of the whole URL.
    """
    if pattern.startswith("re:"):
        return re.search(pattern[3:], url) is not None
    if pattern.startswith("/"):
        parts = urlsplit(url)
        path = unquote(parts.path) + (f"?{unquote(parts.query)}" if parts.query else "")
        return path.startswith(pattern) or unquote(parts.path).startswith(pattern)
    return pattern in url


@cache
def _load_cached(name: str, mtime: float) -> Profile:
    sources = profile_sources()
    _, entry = sources[name]
    return read_profile(entry)


def read_profile(entry: Any, origin: str | None = None) -> Profile:
    """Read and validate one profile file; every failure is a ``ConfigError`` naming the file."""
    from kameng_filer.filing.profile_file import checked_text

    text, where = checked_text(entry, origin)
    try:
        return parse_profile(text, origin=where)
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:  # YAML constructors, deep nesting
        raise ConfigError(
            f"站点配置 {where} 的 YAML 无法读取", detail=type(exc).__name__, hint="检查文件内容与缩进"
        ) from None


def load_profile(name_or_path: str) -> Profile:
    """A profile by name (user folder, plugins, built-in) or by file path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return read_profile(p)
    sources = profile_sources()
    if name_or_path not in sources:
        known = "、".join(sorted(sources)) or "（无）"
        raise ConfigError(
            f"找不到站点配置「{name_or_path}」。已有：{known}", hint="用 kameng adapters list 查看"
        )
    entry = sources[name_or_path][1]
    mtime = Path(str(entry)).stat().st_mtime if Path(str(entry)).exists() else 0.0
    return _load_cached(name_or_path, mtime)


def fmt(template: str, values: dict[str, Any]) -> str:
    """Fill ``{key}`` placeholders; ``ConfigError`` naming an unknown key."""

    class _Strict(dict):
        def __missing__(self, key: str) -> str:
            raise ConfigError(f"站点配置引用了未知的变量 {{{key}}}", hint=f"可用:{', '.join(sorted(values))}")

    return template.format_map(_Strict(values))
