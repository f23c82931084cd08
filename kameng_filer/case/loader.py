"""Read a case file (YAML or JSON) into a ``Case``, reporting every problem with its path and line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kameng_filer.case.model import Case
from kameng_filer.errors import CaseUnreadable, KamengError
from kameng_filer.findings import Finding

MAX_CASE_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 64

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_TAGS: dict[tuple[str, Any], str] = {}
"""(scalar text, implicit flags) → resolved tag, for short scalars (keys and common values repeat)."""


class _CaseLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML loader that keeps timestamps, ints and floats as text (pydantic parses them exactly).

    Ints stay text so that ``order_no: 00123`` or ``phone: 0571…`` are not read as octal numbers.
    Composing calls ``resolve`` for every scalar; with no path resolvers its answer depends only on the
    text and the implicit flags, so answers for short scalars are remembered, and the path-resolver
    bookkeeping (``descend_resolver`` / ``ascend_resolver``) has nothing to do.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """``BaseResolver.resolve``, remembered for short scalars."""
        if kind is yaml.ScalarNode:
            key = (value, implicit)
            tag = _TAGS.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(value) <= 64 and len(_TAGS) < 4096:
                    _TAGS[key] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Nothing to track: this loader has no path resolvers."""

    def ascend_resolver(self) -> None:
        """Nothing to track: this loader has no path resolvers."""


_TEXT_TAGS = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:float", "tag:yaml.org,2002:int")


_CaseLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag not in _TEXT_TAGS]
    for ch, resolvers in _BaseLoader.yaml_implicit_resolvers.copy().items()
}
assert not _CaseLoader.yaml_path_resolvers, "the loader's resolve shortcut assumes no path resolvers"

FIELD_LABELS: dict[str, str] = {
    "id": "案件编号",
    "title": "案件标题",
    "complainant": "投诉人",
    "complainant.name": "投诉人姓名",
    "complainant.phone": "投诉人手机号",
    "complainant.email": "投诉人邮箱",
    "complainant.address": "投诉人地址",
    "respondent": "被投诉方",
    "respondent.platform": "被投诉平台名称",
    "respondent.legal_name": "平台经营主体全称",
    "respondent.address": "被投诉方地址",
    "order": "订单",
    "order.order_no": "订单号",
    "order.product": "商品名称",
    "order.amount": "订单金额",
    "order.quantity": "数量",
    "order.ordered_at": "下单时间",
    "order.paid_at": "支付时间",
    "order.payment.method": "支付方式",
    "order.payment.transaction_no": "支付交易号",
    "problem": "问题",
    "problem.type": "问题类型",
    "problem.summary": "问题概述",
    "problem.discovered_at": "发现问题的时间",
    "platform_policy.complaint_window": "平台投诉时限",
}

_ITEM_LABELS = {
    "timeline": "时间线",
    "contacts": "沟通记录",
    "evidence": "证据",
    "demands": "诉求",
    "rules": "规则",
}


def field_label(path: str) -> str:
    """A Chinese name for a dotted field path (falls back to the path itself)."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    m = re.match(r"^(\w+)\[(\d+)\](?:\.(.+))?$", path)
    if m and m.group(1) in _ITEM_LABELS:
        base = f"{_ITEM_LABELS[m.group(1)]}第{int(m.group(2)) + 1}项"
        return f"{base}的 {m.group(3)}" if m.group(3) else base
    return path


def dotted(loc: tuple[Any, ...]) -> str:
    """Turn a pydantic ``loc`` into a dotted path like ``evidence[2].file``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class LineIndex:
    """Maps dotted paths to 1-based YAML line numbers (built lazily, only when a finding needs it)."""

    def __init__(self, text: str, lines: dict[str, int] | None = None) -> None:
        self._text = text
        self._lines: dict[str, int] | None = lines

    def _build(self) -> dict[str, int]:
        lines: dict[str, int] = {}
        try:
            root = yaml.compose(self._text, Loader=_CaseLoader)
        except (yaml.YAMLError, RecursionError, ValueError):
            return lines

        def walk(node: Any, path: str) -> None:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    k = str(key.value)
                    sub = f"{path}.{k}" if path else k
                    lines[sub] = key.start_mark.line + 1
                    walk(value, sub)
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    sub = f"{path}[{i}]"
                    lines[sub] = item.start_mark.line + 1
                    walk(item, sub)

        if root is not None:
            walk(root, "")
        return lines

    def line(self, path: str) -> int | None:
        """Line of ``path`` or of its nearest existing parent."""
        if self._lines is None:
            self._lines = self._build()
        p = path
        while p:
            if p in self._lines:
                return self._lines[p]
            p = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", p) if re.search(r"(\.[^.\[\]]+|\[\d+\])$", p) else ""
        return None


@dataclass
class LoadResult:
    """What loading a case file produced: the case (when valid), the raw data and the findings."""

    source: Path | None
    raw: dict[str, Any]
    case: Case | None
    findings: list[Finding] = field(default_factory=list)
    lines: LineIndex | None = None
    base_dir: Path | None = None

    def line(self, path: str) -> int | None:
        """YAML line for a dotted path, when known."""
        return self.lines.line(path) if self.lines else None


def _message_for(err: dict[str, Any], path: str) -> tuple[str, str, str]:
    """(code, Chinese message, hint) for one pydantic error."""
    label = field_label(path)
    etype = err.get("type", "")
    ctx = err.get("ctx") or {}
    if etype == "missing":
        return "schema.missing", f"缺少必填字段「{label}」({path})", f"在案件文件中填写 {path}"
    if etype in ("string_too_short",):
        return "schema.empty", f"「{label}」不能为空", f"填写 {path}"
    if etype.startswith("datetime") or etype.startswith("date") or etype.startswith("time"):
        return (
            "schema.datetime",
            f"「{label}」不是有效的日期时间:{err.get('input')!r}",
            "使用 2026-11-02T15:00:12 这样的格式,且日期必须真实存在(无时区时按北京时间)",
        )
    if etype == "enum":
        expected = ctx.get("expected", "")
        return "schema.enum", f"「{label}」的取值 {err.get('input')!r} 不在可选范围内", f"可选值:{expected}"
    if etype.startswith("decimal") or (etype in ("greater_than_equal",) and "amount" in path):
        return "schema.amount", f"「{label}」不是有效金额:{err.get('input')!r}", "金额以元为单位,写成 100.00"
    if etype in ("value_error",) and "amount" in path:
        return (
            "schema.amount",
            f"「{label}」不是有效金额:{err.get('input')!r}",
            "金额以元为单位、不能为负,写成 100.00",
        )
    if etype == "string_pattern_mismatch" and path == "id":
        return (
            "schema.id",
            f"案件编号 {err.get('input')!r} 含有不允许的字符",
            "只用字母、数字、点、横线和下划线,例如 km-2026-0001",
        )
    if etype in ("model_type", "dict_type", "model_attributes_type"):
        return "schema.type", f"「{label}」应当是一组字段(键: 值)", f"按示例把 {path} 写成映射"
    if etype == "list_type":
        return "schema.type", f"「{label}」应当是列表(每项以 - 开头)", f"按示例把 {path} 写成列表"
    if etype in ("int_parsing", "int_type", "int_from_float"):
        return "schema.type", f"「{label}」应当是整数:{err.get('input')!r}", "填写整数,例如 1"
    if etype in ("greater_than_equal", "greater_than"):
        return (
            "schema.range",
            f"「{label}」的值太小:{err.get('input')!r}",
            f"至少为 {ctx.get('ge', ctx.get('gt'))}",
        )
    if etype in ("string_type", "bool_type", "bool_parsing"):
        return (
            "schema.type",
            f"「{label}」的类型不对:{err.get('input')!r}",
            "写成文字;纯数字(如手机号)请加引号",
        )
    if etype in ("time_delta_parsing", "time_delta_type"):
        return (
            "schema.duration",
            f"「{label}」不是有效时长:{err.get('input')!r}",
            "使用 ISO 8601 时长,例如 P7D(7天)、PT1H(1小时)",
        )
    return "schema.invalid", f"「{label}」的值无效:{err.get('msg', '')}", f"检查 {path}"


def read_text(path: Path) -> str:
    """Read a case file's text, refusing empty, huge, binary or non-UTF-8 files with a clear message."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CaseUnreadable(f"找不到案件文件:{path}", hint="检查路径是否正确") from None
    except OSError as exc:
        raise CaseUnreadable(f"无法读取案件文件:{path}", detail=str(exc)) from None
    if path.is_dir():
        raise CaseUnreadable(f"{path} 是文件夹,不是案件文件", hint="指向文件夹里的 case.yaml")
    if size > MAX_CASE_BYTES:
        raise CaseUnreadable(
            f"案件文件过大({size / 1024 / 1024:.1f} MB),不像是案件记录",
            hint="案件文件应小于 2 MB;证据请放在 evidence/ 文件夹,在文件中只写路径",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaseUnreadable(f"无法读取案件文件:{path}", detail=str(exc)) from None
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str = "案件文件") -> str:
    """Decode case-file bytes as UTF-8 text, with clear errors for empty or binary content."""
    if not data.strip():
        raise CaseUnreadable(f"{name} 是空的", hint="运行 kameng new 生成带注释的模板")
    if b"\x00" in data:
        raise CaseUnreadable(
            f"{name} 不是文本文件(含二进制内容)", hint="案件文件应为 UTF-8 编码的 YAML 或 JSON"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = data[: exc.start].count(b"\n") + 1
        raise CaseUnreadable(
            f"{name} 不是 UTF-8 编码(第 {line_no} 行附近)",
            hint="用 UTF-8 编码另存该文件",
        ) from None
    return text


def parse_text(text: str, *, is_json: bool = False) -> dict[str, Any]:
    """Parse YAML/JSON text into a mapping; raise ``CaseUnreadable`` with a line number on failure."""
    return _parse(text, is_json=is_json)[0]


def _parse(text: str, *, is_json: bool = False) -> tuple[dict[str, Any], dict[str, int] | None]:
    """(mapping, YAML lines or None for JSON)."""
    lines: dict[str, int] | None = None
    if is_json or text.lstrip().startswith("{"):
        try:
            data = json.loads(text, parse_float=str)
        except json.JSONDecodeError as exc:
            raise CaseUnreadable(
                f"JSON 格式错误(第 {exc.lineno} 行第 {exc.colno} 列):{exc.msg}", hint="检查括号、逗号和引号"
            ) from None
        except RecursionError:
            raise CaseUnreadable("JSON 嵌套过深,不像是案件记录") from None
    else:
        data, lines = parse_yaml(text)
    if data is None:
        raise CaseUnreadable("案件文件没有内容", hint="运行 kameng new 生成带注释的模板")
    if not isinstance(data, dict):
        raise CaseUnreadable(
            f"案件文件的最外层应当是字段映射(id: …、order: …),而不是 {type(data).__name__}",
            hint="参照 examples/case.yaml 的结构",
        )
    return data, lines


_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
MAX_DEPTH = 64


def _node_data(node: Any, path: str, lines: dict[str, int] | None, depth: int = 0) -> Any:
    """Plain data from a composed YAML node, recording each dotted path's line on the way.

    The case loader resolves only strings, booleans and nulls (numbers, dates and times stay text
    for pydantic), so building the data from the node tree is all the construction needed — and it
    is several times faster than PyYAML's constructor while giving the line index for free.
    """
    if depth > MAX_DEPTH:
        raise CaseUnreadable("YAML 嵌套过深,不像是案件记录")
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _NULL_TAG:
            return None
        if node.tag == _BOOL_TAG:
            return _BOOLS.get(node.value.lower(), node.value)
        return node.value
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            sub = f"{path}[{i}]"
            if lines is not None:
                lines[sub] = item.start_mark.line + 1
            items.append(_node_data(item, sub, lines, depth + 1))
        return items
    out: dict[Any, Any] = {}
    merged: list[Any] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            value = _node_data(value_node, path, None, depth + 1)
            merged.extend(value if isinstance(value, list) else [value])
            continue
        key = _node_data(key_node, path, None, depth + 1)
        key = key if isinstance(key, str | bool | None) else str(key)
        sub = f"{path}.{key}" if path else str(key)
        if lines is not None:
            lines[sub] = key_node.start_mark.line + 1
        out[key] = _node_data(value_node, sub, lines, depth + 1)
    for extra in merged:
        if isinstance(extra, dict):
            for k, v in extra.items():
                out.setdefault(k, v)
    return out


def parse_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """Compose YAML once into (data, dotted path → line); ``CaseUnreadable`` with a line number on failure."""
    if "*" in text and "&" in text:
        _check_aliases(text)
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=_CaseLoader)
        data = None if node is None else _node_data(node, "", lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "某处"
        raise CaseUnreadable(
            f"YAML 格式错误({where}):{exc.problem or exc.context}",
            hint="检查缩进(用空格,不要用 Tab)、冒号后的空格和引号是否成对",
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise CaseUnreadable("YAML 无法解析", detail=f"{type(exc).__name__}: {exc}") from None
    return data, lines


def _check_aliases(text: str) -> None:
    count = 0
    try:
        for event in yaml.parse(text, Loader=_CaseLoader):
            if isinstance(event, yaml.AliasEvent):
                count += 1
                if count > MAX_ALIASES:
                    raise CaseUnreadable("YAML 中引用(别名 *)过多,拒绝解析", hint="去掉 & 和 * 引用")
    except yaml.YAMLError:
        return


def validate(
    raw: dict[str, Any], *, source: Path | None, base_dir: Path, lines: LineIndex | None
) -> LoadResult:
    """Validate raw data into a ``Case``; every schema problem becomes an error finding."""
    result = LoadResult(source=source, raw=raw, case=None, lines=lines, base_dir=base_dir)
    try:
        case = Case.model_validate(_normalise(raw))
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            path = dotted(tuple(err["loc"]))
            code, message, hint = _message_for(err, path)
            result.findings.append(Finding(code, "error", path or "(root)", message, hint, result.line(path)))
        return result
    except (RecursionError, TypeError, ValueError, ArithmeticError) as exc:
        result.findings.append(
            Finding(
                "schema.invalid", "error", "(root)", "案件文件结构无法识别", f"参照 examples/case.yaml({exc})"
            )
        )
        return result
    result.case = case.bind(source, base_dir)
    return result


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_KEYS = {"at", "ordered_at", "paid_at", "discovered_at"}


def _normalise(value: Any, key: str | None = None) -> Any:
    """Small leniencies: date-only values become midnight; keys are strings."""
    if isinstance(value, dict):
        return {str(k): _normalise(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, key) for v in value]
    if key in _TIME_KEYS and isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        return value.strip() + "T00:00:00"
    return value


CASE_FILE_NAMES = ("case.yaml", "case.yml", "case.json")


def find_case_file(path: str | Path) -> Path:
    """The case file for ``path``: the path itself, or ``case.yaml``/``case.yml``/``case.json`` in a folder."""
    p = Path(path).expanduser()
    if p.is_dir():
        for name in CASE_FILE_NAMES:
            if (p / name).is_file():
                return p / name
        raise CaseUnreadable(
            f"文件夹 {p} 里没有案件文件(case.yaml / case.yml / case.json)",
            hint="运行 kameng new 创建案件文件夹,或直接指向案件文件",
        )
    return p


def load_case(path: str | Path) -> LoadResult:
    """Load a case file (or a folder holding one); raises ``CaseUnreadable`` only when it cannot be parsed."""
    p = find_case_file(path)
    text = read_text(p)
    raw, lines = _parse(text, is_json=p.suffix.lower() == ".json")
    source = p.resolve()
    return validate(raw, source=source, base_dir=source.parent, lines=LineIndex(text, lines))


def load_case_text(text: str, *, base_dir: Path | None = None, is_json: bool = False) -> LoadResult:
    """Load a case from text (stdin, tests, the store)."""
    raw, lines = _parse(text, is_json=is_json)
    return validate(raw, source=None, base_dir=base_dir or Path.cwd(), lines=LineIndex(text, lines))


def unknown_case(ref: str) -> KamengError:
    """The error for a CASE argument that is neither a file nor a stored case id."""
    return KamengError(
        f"找不到案件「{ref}」:它既不是案件文件/文件夹,也不是已保存的案件编号",
        hint="写案件文件路径(如 case.yaml),或用 kameng cases 查看已保存的案件编号",
    )
