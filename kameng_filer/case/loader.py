"""Read a case file (YAML or JSON) into a ``Case``, reporting every problem with its path and line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kameng_filer.case.containment import containment_findings
from kameng_filer.case.messages import field_label, message_for
from kameng_filer.case.model import Case
from kameng_filer.errors import CaseUnreadable, KamengError
from kameng_filer.findings import Finding

__all__ = ["field_label"]

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


def dotted(loc: tuple[Any, ...]) -> str:
    """Turn a pydantic ``loc`` into a dotted path like ``evidence[2].file``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A key written twice in one mapping: its dotted path and both 1-based lines."""

    path: str
    line: int
    first_line: int


class LineIndex:
    """Maps dotted paths to 1-based YAML line numbers (built lazily, only when a finding needs it)."""

    def __init__(
        self,
        text: str,
        lines: dict[str, int] | None = None,
        duplicates: list[DuplicateKey] | None = None,
    ) -> None:
        self._text = text
        self._lines: dict[str, int] | None = lines
        self._duplicates = duplicates

    def duplicates(self) -> list[DuplicateKey]:
        """Keys written twice in the same mapping (found while parsing, or by composing the text now)."""
        if self._duplicates is None:
            built = self._build()
            if self._lines is None:
                self._lines = built
        return self._duplicates or []

    def _build(self) -> dict[str, int]:
        lines: dict[str, int] = {}
        dups: list[DuplicateKey] = []
        if self._duplicates is None:
            self._duplicates = dups
        try:
            if "*" in self._text and "&" in self._text:
                _check_aliases(self._text)
            root = yaml.compose(self._text, Loader=_CaseLoader)
        except (yaml.YAMLError, RecursionError, ValueError, CaseUnreadable):
            return lines

        def walk(node: Any, path: str) -> None:
            if isinstance(node, yaml.MappingNode):
                seen: dict[str, int] = {}
                for key, value in node.value:
                    k = str(key.value)
                    sub = f"{path}.{k}" if path else k
                    if key.tag != _MERGE_TAG:
                        _note_key(seen, k, sub, key.start_mark.line + 1, dups)
                    lines[sub] = key.start_mark.line + 1
                    walk(value, sub)
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    sub = f"{path}[{i}]"
                    lines[sub] = item.start_mark.line + 1
                    walk(item, sub)

        if root is not None:
            try:
                walk(root, "")
            except RecursionError:
                return {}
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


def read_text(path: Path) -> str:
    """Read a case file's text, refusing empty, huge, binary or non-UTF-8 files with a clear message."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CaseUnreadable(f"找不到案件文件：{path}", hint="检查路径是否正确") from None
    except OSError as exc:
        raise CaseUnreadable(f"无法读取案件文件：{path}", detail=str(exc)) from None
    if path.is_dir():
        raise CaseUnreadable(f"{path} 是文件夹，不是案件文件", hint="指向文件夹里的 case.yaml")
    if size > MAX_CASE_BYTES:
        raise CaseUnreadable(
            f"案件文件过大（{size / 1024 / 1024:.1f} MB），不像是案件记录",
            hint="案件文件应小于 2 MB；证据请放在 evidence/ 文件夹，在文件中只写路径",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaseUnreadable(f"无法读取案件文件：{path}", detail=str(exc)) from None
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str = "案件文件") -> str:
    """Decode case-file bytes as UTF-8 text, with clear errors for empty or binary content."""
    if not data.strip():
        raise CaseUnreadable(f"{name} 是空的", hint="运行 kameng new 生成带注释的模板")
    if b"\x00" in data:
        raise CaseUnreadable(
            f"{name} 不是文本文件（含二进制内容）", hint="案件文件应为 UTF-8 编码的 YAML 或 JSON"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = data[: exc.start].count(b"\n") + 1
        raise CaseUnreadable(
            f"{name} 不是 UTF-8 编码（第 {line_no} 行附近）",
            hint="用 UTF-8 编码另存该文件",
        ) from None
    return text


def parse_text(text: str, *, is_json: bool = False) -> dict[str, Any]:
    """Parse YAML/JSON text into a mapping; raise ``CaseUnreadable`` with a line number on failure."""
    return _parse(text, is_json=is_json)[0]


def parse_with_lines(text: str, *, is_json: bool = False) -> tuple[dict[str, Any], LineIndex]:
    """Parse YAML/JSON text into (mapping, its line index with any duplicate keys)."""
    raw, lines, dups = _parse(text, is_json=is_json)
    return raw, LineIndex(text, lines, dups)


def _parse(
    text: str, *, is_json: bool = False
) -> tuple[dict[str, Any], dict[str, int] | None, list[DuplicateKey] | None]:
    """(mapping, YAML lines or None for JSON, duplicate keys or None for JSON)."""
    lines: dict[str, int] | None = None
    dups: list[DuplicateKey] | None = None
    if is_json or text.lstrip().startswith("{"):
        try:
            data = json.loads(text, parse_float=str)
        except json.JSONDecodeError as exc:
            raise CaseUnreadable(
                f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}", hint="检查括号、逗号和引号"
            ) from None
        except RecursionError:
            raise CaseUnreadable("JSON 嵌套过深，不像是案件记录") from None
    else:
        dups = []
        data, lines = parse_yaml(text, dups)
    if data is None:
        raise CaseUnreadable("案件文件没有内容", hint="运行 kameng new 生成带注释的模板")
    if not isinstance(data, dict):
        raise CaseUnreadable(
            f"案件文件的最外层应当是字段映射（id: …、order: …），而不是 {type(data).__name__}",
            hint="参照 examples/case.yaml 的结构",
        )
    return data, lines, dups


_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
MAX_DEPTH = 64


def _note_key(seen: dict[str, int], key: str, path: str, line: int, dups: list[DuplicateKey] | None) -> None:
    """Remember ``key``'s line in one mapping; a second occurrence is recorded in ``dups``."""
    if key in seen:
        if dups is not None:
            dups.append(DuplicateKey(path, line, seen[key]))
    else:
        seen[key] = line


def _node_data(
    node: Any,
    path: str,
    lines: dict[str, int] | None,
    depth: int = 0,
    dups: list[DuplicateKey] | None = None,
) -> Any:
    """Plain data from a composed YAML node, recording each dotted path's line on the way.

    The case loader resolves only strings, booleans and nulls (numbers, dates and times stay text
    for pydantic), so building the data from the node tree is all the construction needed — and it
    is several times faster than PyYAML's constructor while giving the line index for free.
    """
    if depth > MAX_DEPTH:
        raise CaseUnreadable("YAML 嵌套过深，不像是案件记录")
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
            items.append(_node_data(item, sub, lines, depth + 1, dups))
        return items
    out: dict[Any, Any] = {}
    merged: list[Any] = []
    seen: dict[str, int] = {}
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
        _note_key(seen, str(key), sub, key_node.start_mark.line + 1, dups)
        out[key] = _node_data(value_node, sub, lines, depth + 1, dups)
    for extra in merged:
        if isinstance(extra, dict):
            for k, v in extra.items():
                out.setdefault(k, v)
    return out


def parse_yaml(text: str, duplicates: list[DuplicateKey] | None = None) -> tuple[Any, dict[str, int]]:
    """Compose YAML once into (data, dotted path → line); ``CaseUnreadable`` with a line number on failure.

    Keys written twice in one mapping are appended to ``duplicates`` (when given); the data keeps the last.
    """
    if "*" in text and "&" in text:
        _check_aliases(text)
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=_CaseLoader)
        data = None if node is None else _node_data(node, "", lines, 0, duplicates)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "某处"
        raise CaseUnreadable(
            f"YAML 格式错误（{where}）：{exc.problem or exc.context}",
            hint="检查缩进（用空格，不要用 Tab）、冒号后的空格和引号是否成对",
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
                    raise CaseUnreadable("YAML 中引用（别名 *）过多，拒绝解析", hint="去掉 & 和 * 引用")
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
            code, message, hint = message_for(err, path)
            result.findings.append(Finding(code, "error", path or "(root)", message, hint, result.line(path)))
        result.findings.extend(load_findings(result))
        return result
    except (RecursionError, TypeError, ValueError, ArithmeticError) as exc:
        result.findings.append(
            Finding(
                "schema.invalid", "error", "(root)", "案件文件结构无法识别", f"参照 examples/case.yaml({exc})"
            )
        )
        return result
    result.case = case.bind(source, base_dir)
    result.findings.extend(load_findings(result))
    return result


def load_findings(result: LoadResult) -> list[Finding]:
    """Problems found while reading, beyond the schema: keys written twice, evidence outside the case folder."""
    out: list[Finding] = []
    if result.lines is not None:
        for dup in result.lines.duplicates():
            out.append(
                Finding(
                    "yaml.duplicate_key",
                    "error",
                    dup.path,
                    f"字段「{field_label(dup.path)}」写了两次（第 {dup.first_line} 行和第 {dup.line} 行）",
                    "删除其中一处，或把两处内容合并成一处；重复的字段不会被悄悄覆盖",
                    dup.line,
                )
            )
    known = [ev.refusal for ev in result.case.evidence] if result.case is not None else None
    out.extend(containment_findings(result.raw, result.base_dir or Path.cwd(), result.line, known))
    return out


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
            f"文件夹 {p} 里没有案件文件（case.yaml / case.yml / case.json）",
            hint="运行 kameng new 创建案件文件夹，或直接指向案件文件",
        )
    return p


def load_case(path: str | Path) -> LoadResult:
    """Load a case file (or a folder holding one); raises ``CaseUnreadable`` only when it cannot be parsed."""
    p = find_case_file(path)
    text = read_text(p)
    raw, index = parse_with_lines(text, is_json=p.suffix.lower() == ".json")
    source = p.resolve()
    return validate(raw, source=source, base_dir=source.parent, lines=index)


def load_case_text(text: str, *, base_dir: Path | None = None, is_json: bool = False) -> LoadResult:
    """Load a case from text (stdin, tests, the store)."""
    raw, index = parse_with_lines(text, is_json=is_json)
    return validate(raw, source=None, base_dir=base_dir or Path.cwd(), lines=index)


def unknown_case(ref: str) -> KamengError:
    """The error for a CASE argument that is neither a file nor a stored case id."""
    return KamengError(
        f"找不到案件「{ref}」：它既不是案件文件/文件夹，也不是已保存的案件编号",
        hint="写案件文件路径（如 case.yaml），或用 kameng cases 查看已保存的案件编号",
    )
