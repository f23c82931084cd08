"""Write ASCII punctuation between Chinese words full-width in the product's own messages.

Usage: ``python scripts/fullwidth_sources.py [ROOT] [--check] [--exclude PATH ...] [--no-tests]``

Every string literal of ``ROOT/kameng_filer`` and ``ROOT/adapters/*.py`` (a whole implicit concatenation at once) and the text
nodes of the UI's Jinja templates go through ``render.punct.fullwidth_prose``. Left alone:

* f-string fields (``{value!r:>8}``) are kept as written; string literals inside a field's
  expression are rewritten by the same rules;
* raw and byte strings, docstrings and every other bare string statement;
* dict keys, subscripts, ``match`` patterns, both sides of comparisons (``==``, ``in``) and the
  arguments of ``re.*``, logging calls and string methods that look text up (site text, data);
* literals whose text also appears on a twin site or in a site configuration (labels we look for
  on a channel's page stay as the site writes them);
* URLs, ``{name}`` format fields, YAML-like ``key: value`` colons and ``a,b`` lists that the
  person copies (``--channels card_platform@站点,email``);
* the twin sites, OCR, masking and PII modules and the other modules listed in ``SKIP_FILES``.

Test literals under ``ROOT/tests`` that quote a rewritten product text get the same rewrite, so
assertions keep matching. ``--check`` lists what would change and exits 1 if anything would.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOLE = "\ue000"
"""Stands for a frozen span (an f-string field, a URL...): never Chinese, never rewritten."""

MARKS = ",:;?!()"
FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SKIP_PARTS = frozenset({"twins", "ocr", "scaffold_templates"})
SKIP_FILES = frozenset({"mask.py", "textforms.py", "punct.py", "lexicon.py", "pii.py", "ics.py"})
"""Data modules (their words are matched against the person's text or screenshots) and file formats."""
TEMPLATE_DIRS = ("kameng_filer/ui/templates",)
SITE_TEXT_GLOBS = ("kameng_filer/twins/**/*", "adapters/profiles/**/*", "tests/profiles/**/*", "tests/twins_*.py")
"""Where channel sites' own words live: a literal quoting them is not ours to rewrite."""
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
LOOKUP_METHODS = frozenset(
    {
        "startswith", "endswith", "split", "rsplit", "partition", "rpartition", "replace", "strip",
        "lstrip", "rstrip", "index", "rindex", "find", "rfind", "count", "removeprefix", "removesuffix",
        "get_by_text", "get_by_label", "get_by_role", "get_by_placeholder", "get_by_title", "locator",
        "filter", "wait_for_selector", "query_selector", "query_selector_all", "select_option",
    }
)  # fmt: skip
LOOKUP_KEYWORDS = frozenset({"has_text", "has_not_text", "selector", "pattern"})
RE_MODULES = frozenset({"re", "regex"})
_FROZEN = (
    re.compile(r"[A-Za-z][\w+.-]*://[^\s\ue000]*"),  # URLs
    re.compile(r"\{[A-Za-z_][\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}"),  # str.format fields, {role: x}
    re.compile(r"(?<=[A-Za-z0-9_\])])[:](?=[ \t])"),  # YAML-like "key: value"
    re.compile(r"(?m)^[A-Z][A-Z0-9-]+[:;]"),  # "X-WR-CALNAME:", "SUBJECT:" protocol lines
    re.compile(r"(?<= )[,:;?!()](?= )"),  # a mark named on its own: "文字里有 : 或 # 时"
    re.compile(r"(?<=[^\s,])[,;](?=[A-Za-z_-])"),  # "a,b" lists the person types
)


@dataclass
class Unit:
    """One character of a literal's value, with the source text that writes it."""

    shown: str
    src: str


@dataclass
class Literal:
    """One string token of a group: its prefix and quotes around the units of its body."""

    head: str
    tail: str
    units: list[Unit]
    raw: bool


@dataclass
class Change:
    """A product text before and after, with the new text of each old character."""

    old: str
    new: str
    mapping: list[str]
    where: str


@dataclass
class Report:
    """What a run changed (or would change)."""

    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    files: dict[Path, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------- scanning


def _skip_string(src: str, i: int) -> int:
    """Index just past the string literal (any prefix) starting at ``src[i]``."""
    m = re.compile(r"(?i)[rbuf]*('''|\"\"\"|'|\")").match(src, i)
    if not m:
        raise ValueError(f"no string literal at {i}")
    q, j = m.group(1), m.end()
    prefix = m.group(0)[: -len(q)].lower()
    depth = 0
    while j < len(src):
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if "f" in prefix:
            if c == "{" and src.startswith("{{", j) and depth == 0:
                j += 2
                continue
            if c == "}" and src.startswith("}}", j) and depth == 0:
                j += 2
                continue
            if c in "{[(" and (depth or c == "{"):
                depth += 1
            elif c in "}])" and depth:
                depth -= 1
            elif depth and c in "'\"":
                j = _skip_string(src, j)
                continue
        if depth == 0 and src.startswith(q, j):
            return j + len(q)
        j += 1
    raise ValueError("unterminated string literal")


def _field_end(body: str, i: int) -> int:
    """Index just past the f-string field opening at ``body[i]`` (``{``)."""
    depth, j = 0, i
    while j < len(body):
        c = body[j]
        if c in "'\"":
            j = _skip_string(body, j)
            continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ValueError("unterminated f-string field")


_ESCAPE = re.compile(r"\\(?:\n|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|[0-7]{1,3}|.)", re.S)


def parse_literal(tok: str, fix_field: Callable[[str], str]) -> Literal:
    """Split one string token into units; f-string fields become single holes (``fix_field`` rewrites them)."""
    m = re.match(r"(?i)([rbuf]*)('''|\"\"\"|'|\")", tok)
    assert m, tok
    prefix, q = m.group(1).lower(), m.group(2)
    head, body = tok[: m.end()], tok[m.end() : len(tok) - len(q)]
    raw, fmt = "r" in prefix or "b" in prefix, "f" in prefix
    units: list[Unit] = []
    i = 0
    while i < len(body):
        c = body[i]
        if fmt and body.startswith(("{{", "}}"), i):
            units.append(Unit(c, body[i : i + 2]))
            i += 2
        elif fmt and c == "{":
            j = _field_end(body, i)
            units.append(Unit(HOLE, fix_field(body[i:j])))
            i = j
        elif c == "\\" and not raw:
            esc = _ESCAPE.match(body, i)
            text = esc.group(0) if esc else c
            value = "" if text == "\\\n" else ast.literal_eval('"' + text + '"')
            units.append(Unit(value if len(value) == 1 else (value and HOLE), text))
            i += len(text)
        else:
            units.append(Unit(c, c))
            i += 1
    return Literal(head, q, units, raw)


# -------------------------------------------------------------------------------------- rewriting


def _freeze(units: list[Unit]) -> list[Unit]:
    """Hide URLs, format fields and copyable syntax from the rewrite (each frozen char becomes a hole)."""
    shown = "".join(u.shown for u in units)
    starts, pos = [], 0
    for u in units:
        starts.append(pos)
        pos += len(u.shown)
    frozen = [False] * len(units)
    for rx in _FROZEN:
        for m in rx.finditer(shown):
            for k, s in enumerate(starts):
                if m.start() <= s < m.end() and units[k].shown:
                    frozen[k] = True
    return [Unit(HOLE, u.src) if f else u for u, f in zip(units, frozen, strict=True)]


def align(units: list[Unit], new: str) -> list[str] | None:
    """New source text for each unit, given the rewritten value ``new`` (None if they do not line up)."""
    out: list[str] = []
    j = 0
    for u in units:
        if not u.shown:
            out.append(u.src)
            continue
        if j < len(new) and new[j] == u.shown:
            out.append(u.src)
            j += 1
        elif u.shown in " \t":
            out.append("")
        elif u.shown in FULL and j < len(new) and new[j] == FULL[u.shown]:
            out.append(new[j])
            j += 1
        else:
            return None
    return out if j == len(new) else None


def _prose() -> Callable[[str], str]:
    from kameng_filer.render.punct import fullwidth_prose

    return fullwidth_prose


def _settled(text: str) -> str:
    """``fullwidth_prose`` until nothing changes (a converted comma can make a bracket pair touch Chinese)."""
    prose = _prose()
    for _ in range(5):
        new = prose(text)
        if new == text:
            break
        text = new
    return text


_ENGLISH = re.compile(r"\b(?:the|an?|of|to|is|are|be|for|and|or|with|when|as|in|on|by|from|its?|this|that|not)\b", re.I)


def english(text: str) -> bool:
    """True for English prose that quotes a few Chinese words (code notes passed around as data)."""
    letters = sum(c.isascii() and c.isalpha() for c in text)
    return len(set(m.lower() for m in _ENGLISH.findall(text))) >= 2 and len(CJK.findall(text)) < letters


def rewrite_units(units: list[Unit], where: str, report: Report) -> list[str] | None:
    """Rewrite one text (a literal group or a template's text); None when nothing changes."""
    plain = "".join(u.shown for u in units)
    frozen = _freeze(units)
    old = "".join(u.shown for u in frozen)
    wanted = CJK.search(old) and any(c in old for c in MARKS) and not english(plain) and "``" not in plain
    new = _settled(old) if wanted else old
    mapping = align(frozen, new) if new != old else None
    if new != old and mapping is None:
        print(f"{where}: skipped, could not line up {old!r}", file=sys.stderr)
    if mapping is None:
        if wanted:
            report.unchanged.append(plain)  # output text that stays as written (docstrings, notes are not)
        return None
    shown_map = [u.shown if src == u.src else src for u, src in zip(units, mapping, strict=True)]
    report.changes.append(Change(plain, "".join(shown_map), shown_map, where))
    return mapping


class _Context(ast.NodeVisitor):
    """Finds the string nodes whose text must stay as written (see the module docstring)."""

    def __init__(self) -> None:
        self.keep: set[int] = set()
        self.help_docs: set[int] = set()

    def _keep(self, node: ast.AST | None) -> None:
        if node is None:
            return
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant | ast.JoinedStr):
                self.keep.add(id(sub))

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant | ast.JoinedStr) and not _is_help(node, self.help_docs):
            self._keep(node.value)  # docstrings and other bare strings
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        body = node.body
        if node.decorator_list and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            doc = body[0].value.value
            if isinstance(doc, str) and CJK.match(doc.strip()[:1]):
                self.help_docs.add(id(body[0]))  # a command's Chinese docstring is its --help text
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Dict(self, node: ast.Dict) -> None:
        for key in node.keys:
            self._keep(key)
        self.generic_visit(node)

    def _keep_values(self, node: ast.AST) -> None:
        """Keep a string operand, or the strings of a tuple/list/set operand (not deeper calls)."""
        if isinstance(node, ast.Constant | ast.JoinedStr):
            self._keep(node)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            for elt in node.elts:
                self._keep_values(elt)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self._keep_values(node.slice)  # labels["金额(元)"]; not Annotated[..., Option(help=...)]
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for side in (node.left, *node.comparators):
            self._keep_values(side)
        self.generic_visit(node)

    def visit_MatchValue(self, node: ast.MatchValue) -> None:
        self._keep(node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (
                name in RE_MODULES
                or func.attr in LOOKUP_METHODS
                or (func.attr in LOG_METHODS and "log" in name.lower())
            ):
                for arg in (*node.args, *(k.value for k in node.keywords)):
                    self._keep(arg)
            elif isinstance(owner, ast.Constant):
                self._keep(owner)  # "sep".join(...), "{}".format(...)
        for kw in node.keywords:
            if kw.arg in LOOKUP_KEYWORDS:
                self._keep(kw.value)
        self.generic_visit(node)


def _plain(node: ast.Constant | ast.JoinedStr) -> str:
    """A string node's text, fields as holes."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    return "".join(v.value if isinstance(v, ast.Constant) else HOLE for v in node.values)


def _is_help(node: ast.Expr, help_docs: set[int]) -> bool:
    return id(node) in help_docs


def _offsets(src: str) -> list[int]:
    starts = [0]
    for line in src.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _index(src: str, lines: list[str], starts: list[int], lineno: int, col: int) -> int:
    return starts[lineno - 1] + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8"))


def _literal_spans(src: str, a: int, b: int) -> Iterator[tuple[int, int]]:
    """The string tokens between ``a`` and ``b`` (one implicit concatenation)."""
    i = a
    while i < b:
        c = src[i]
        if c in " \t\r\n\f()":
            i += 1
        elif c == "\\" and src.startswith(("\\\n", "\\\r\n"), i):
            i += 2
        elif c == "#":
            i = src.index("\n", i)
        else:
            j = _skip_string(src, i)
            yield i, j
            i = j


class Site:
    """The words of the channel sites (twins, site configurations): never rewritten."""

    def __init__(self, root: Path) -> None:
        chunks = []
        for pattern in SITE_TEXT_GLOBS:
            for p in sorted(root.glob(pattern)):
                if p.is_file() and p.suffix in {".py", ".html", ".yaml", ".yml", ".json", ".j2", ".txt"}:
                    chunks.append(p.read_text(encoding="utf-8", errors="replace"))
        self.text = "\n".join(chunks)

    def quotes(self, units: list[Unit]) -> bool:
        """True when a stretch of the literal that holds Chinese and a mark appears on a site."""
        old = "".join(u.shown for u in units)
        for part in old.split(HOLE):
            for piece in re.split(r"[\n]", part):
                if CJK.search(piece) and any(c in piece for c in MARKS) and piece.strip() in self.text:
                    return True
        return False


def rewrite_python(
    src: str, where: str, report: Report, site: Site | None = None, accept: Callable[..., object] | None = None
) -> str:
    """``src`` with its product string literals rewritten (see the module docstring)."""
    tree = ast.parse(src)
    ctx = _Context()
    ctx.visit(tree)
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for sub in ast.walk(node):
                if sub is not node:
                    nested.add(id(sub))
    lines = src.splitlines(keepends=True)
    starts = _offsets(src)
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant | ast.JoinedStr) or id(node) in nested:
            continue
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            continue
        if id(node) in ctx.keep:
            report.kept.append(_plain(node))
            continue
        a = _index(src, lines, starts, node.lineno, node.col_offset)
        b = _index(src, lines, starts, node.end_lineno or node.lineno, node.end_col_offset or 0)
        lineno = node.lineno

        def fix_field(text: str, lineno: int = lineno) -> str:
            return _rewrite_field(text, f"{where}:{lineno}", report, site)

        literals = [(s, e, parse_literal(src[s:e], fix_field)) for s, e in _literal_spans(src, a, b)]
        if any(lit.raw for _, _, lit in literals):
            continue
        units = [u for _, _, lit in literals for u in lit.units]
        mapping = None
        if site is None or not site.quotes(units):
            mapping = rewrite_units(units, f"{where}:{lineno}", report)
        else:
            report.unchanged.append("".join(u.shown for u in units))
        k = 0
        for s, e, lit in literals:
            n = len(lit.units)
            body = "".join(mapping[k : k + n]) if mapping else "".join(u.src for u in lit.units)
            k += n
            new = lit.head + body + lit.tail
            if new != src[s:e]:
                edits.append((s, e, new))
    out = src
    for s, e, new in sorted(edits, reverse=True):
        out = out[:s] + new + out[e:]
    return out


def _rewrite_field(text: str, where: str, report: Report, site: Site | None) -> str:
    """An f-string field with the string literals of its expression rewritten (spec kept)."""
    inner = text[1:-1]
    for cut in [len(inner), *[i for i, c in enumerate(inner) if c in ":!"]]:
        expr = inner[:cut]
        try:
            ast.parse(f"({expr})", mode="eval")
        except SyntaxError:
            continue
        if not any(c in expr for c in "'\""):
            return text
        new = rewrite_python(f"({expr})", where, report, site)[1:-1]
        return "{" + new + inner[cut:] + "}"
    return text


# -------------------------------------------------------------------------------------- templates

_TEMPLATE_FROZEN = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->|<[^>]*>", re.S
)


def rewrite_template(src: str, where: str, report: Report) -> str:
    """A Jinja/HTML template with its text nodes rewritten (tags, attributes and Jinja kept)."""
    units: list[Unit] = []
    i = 0
    for m in _TEMPLATE_FROZEN.finditer(src):
        units.extend(Unit(c, c) for c in src[i : m.start()])
        units.append(Unit(HOLE, m.group(0)))
        i = m.end()
    units.extend(Unit(c, c) for c in src[i:])
    mapping = rewrite_units(units, where, report)
    return "".join(mapping) if mapping else src


# -------------------------------------------------------------------------------------------- tests


class Quotes:
    """Maps a test's quote of an old product text to the same stretch of the new text."""

    def __init__(self, changes: Iterable[Change], unchanged: Iterable[str], site: str = "") -> None:
        self.site = site
        self.changes = list(changes)
        self.text = "\x00".join(c.old for c in self.changes)
        self.starts = []
        pos = 0
        for c in self.changes:
            self.starts.append(pos)
            pos += len(c.old) + 1
        self.unchanged = "\x00".join(unchanged)

    def new_for(self, piece: str) -> str | None:
        """The rewritten form of ``piece`` when every product text that holds it agrees.

        ``piece`` itself when it is ambiguous; None when no product text holds it.
        """
        found: set[str] = set()
        i = self.text.find(piece)
        while i >= 0:
            k = bisect.bisect_right(self.starts, i) - 1
            c, off = self.changes[k], i - self.starts[k]
            found.add("".join(c.mapping[off : off + len(piece)]))
            i = self.text.find(piece, i + 1)
        if piece in self.unchanged:
            found.add(piece)
        if not found:
            return None
        return found.pop() if len(found) == 1 else piece


def _quoted(part: str, quotes: Quotes) -> str | None:
    """The new form of a test's text ``part``; None when no product text holds it."""
    if len(part) < 2 or not any(c in part for c in MARKS) or not CJK.search(part):
        return part
    return quotes.new_for(part)


TEST_TEXTS = {
    # asserted output that the product puts together around f-string fields (``{label}:{value}``),
    # from schedules/*.yaml or from a twin site: written as the output really is (found by running)
    "催办 email(已完成)": "催办 email(已完成)",
    "通知(等待本人操作)": "通知(等待本人操作)",
    "提醒 12315(已完成)": "提醒 12315(已完成)",
    "正在生成\\n正在生成:第 1 页\\n": "正在生成\\n正在生成:第 1 页\\n",
    "截止:2026年2月25日(星期三) 23:59:59 北京时间": "截止:2026年2月25日（星期三） 23:59:59 北京时间",
    "截止(暂定):2027年2月11日(星期四) 23:59:59 北京时间": "截止（暂定）:2027年2月11日（星期四） 23:59:59 北京时间",
    "平台处理(给出结果)": "平台处理(给出结果)",
    "期限临近:诉讼时效(3 年) · km-2026-0001": "期限临近：诉讼时效(3 年) · km-2026-0001",
    "问题描述(content)": "问题描述(content)",
    "没有这些孪生站点:nope": "没有这些孪生站点：nope",
    "仅支持JPG、PNG、PDF格式:a.txt": "仅支持JPG、PNG、PDF格式:a.txt",
    "上传 1 个文件(payment)": "上传 1 个文件（payment）",
    "其他截图:上传 3 个文件(": "其他截图：上传 3 个文件（",
    # the same texts once rewritten: a second run leaves them alone
    "截止:2026年2月25日（星期三） 23:59:59 北京时间": "截止:2026年2月25日（星期三） 23:59:59 北京时间",
    "截止（暂定）:2027年2月11日（星期四） 23:59:59 北京时间": "截止（暂定）:2027年2月11日（星期四） 23:59:59 北京时间",
    "期限临近：诉讼时效(3 年) · km-2026-0001": "期限临近：诉讼时效(3 年) · km-2026-0001",
    "options.priority:": "options.priority：",
    # a twin site's own words or the masking module's output: as written
    "密码:****56": "密码:****56",
    "标题长度需为 4–100 个字,当前 1 个字": "标题长度需为 4–100 个字,当前 1 个字",
    '<label for="images">图片凭证(选填)</label>': '<label for="images">图片凭证(选填)</label>',
    "补充与商家的聊天记录(附件:chat.png)": "补充与商家的聊天记录(附件:chat.png)",
    "该投诉已不予受理,不能补充材料": "该投诉已不予受理,不能补充材料",
    "图片仅支持 JPG/PNG/WebP 图片:scan.pdf": "图片仅支持 JPG/PNG/WebP 图片:scan.pdf",
    # a test's pattern for the commands printed inside messages: a full-width mark ends one too
    "kameng(?: (?!\\s)[^\\s,。;:()、]+)+": "kameng(?: (?!\\s)[^\\s,。;:()、，；：（）]+)+",
    "运行:kameng (restore[^\\n]*)\\n": "运行：kameng (restore[^\\n]*)\\n",
}
"""A test literal's source (between its quotes) → what it becomes, where the rules cannot know."""

TEST_LINES = {
    'cmd = next(line.split(":", 1)[1] for line in out.splitlines() if "kameng check" in line)': (
        'cmd = next(line.split("：", 1)[1] for line in out.splitlines() if "kameng check" in line)'
    ),
}
"""A test's source line → its new form, where a message's full-width mark is split on."""


def _site_words(text: str, site: str) -> bool:
    """True when a mark of ``text`` with the Chinese next to it is written so on a site (twin output)."""
    for m in re.finditer(r"[\u3400-\u9fff]{3}[,:;?!()]|[,:;?!()][\u3400-\u9fff]{3}", text):
        if m.group(0) in site:
            return True
    return False


def _balanced(text: str) -> bool:
    """True unless a bracket pair came out half full-width (``（第 5 行)``)."""
    return text.count("（") == text.count("）") and text.count("(") == text.count(")")


def _expected_strings(tree: ast.AST) -> set[int]:
    """Strings a test asserts the output holds: operands of an assert's comparisons, not call arguments."""
    found: set[int] = set()

    def operands(node: ast.AST) -> None:
        if isinstance(node, ast.Constant | ast.JoinedStr):
            found.add(id(node))
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            for elt in node.elts:
                operands(elt)

    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            for sub in ast.walk(node.test):
                if isinstance(sub, ast.Compare):
                    for side in (sub.left, *sub.comparators):
                        operands(side)
                elif (
                    isinstance(sub, ast.Call)
                    and isinstance(sub.func, ast.Attribute)
                    and sub.func.attr in {"startswith", "endswith"}
                ):
                    for arg in sub.args:
                        operands(arg)
    return found


def _whole(lit: Literal, s: int, e: int, edits: set[tuple[int, int, str]]) -> None:
    """Rewrite a test's whole literal by the product's rules; a mark touching an f-string field stays."""
    units = [Unit(HOLE, u.src) if u.shown in MARKS and _by_hole(lit.units, k) else u for k, u in enumerate(lit.units)]
    mapping = rewrite_units(units, "test", Report())
    if mapping is not None:
        edits.add((s, e, lit.head + "".join(mapping) + lit.tail))


def _by_hole(units: list[Unit], k: int) -> bool:
    near = [units[j].shown for j in (k - 1, k + 1) if 0 <= j < len(units)]
    return HOLE in near and units[k].src in ",:;"


def _string_nodes(tree: ast.AST) -> Iterator[ast.Constant | ast.JoinedStr]:
    """Top-level string nodes (not the parts of an f-string)."""
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            nested.update(id(sub) for sub in ast.walk(node) if sub is not node)
    for node in ast.walk(tree):
        if id(node) in nested:
            continue
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            yield node


def rewrite_test(src: str, quotes: Quotes) -> str:
    """A test module whose literals quoting rewritten product texts follow them."""
    tree = ast.parse(src)
    lines = src.splitlines(keepends=True)
    starts = _offsets(src)
    edits: set[tuple[int, int, str]] = set()
    asserted = _expected_strings(tree)
    inputs = "\x00".join(_plain(n) for n in _string_nodes(tree) if id(n) not in asserted)
    for node in _string_nodes(tree):
        a = _index(src, lines, starts, node.lineno, node.col_offset)
        b = _index(src, lines, starts, node.end_lineno or node.lineno, node.end_col_offset or 0)
        expected = id(node) in asserted
        for s, e in _literal_spans(src, a, b):
            lit = parse_literal(src[s:e], lambda t: t)
            body = "".join(u.src for u in lit.units)
            if body in TEST_TEXTS:
                edits.add((s, e, lit.head + TEST_TEXTS[body] + lit.tail))
                continue
            if lit.raw:
                continue
            old = "".join(u.shown for u in lit.units)
            parts = [_quoted(part, quotes) for part in old.split(HOLE)]
            if None in parts:
                # a message put together from several product literals (``路径(第 5 行)``)
                if not expected or english(old) or _site_words(old, quotes.site):
                    continue
                if any(part in inputs for part in old.split(HOLE) if CJK.search(part)):
                    continue
                _whole(lit, s, e, edits)
                continue
            new = HOLE.join(p for p in parts if p is not None)
            if new == old:
                continue
            if not _balanced(new) and _balanced(old):
                if expected:
                    _whole(lit, s, e, edits)
                continue
            mapping = align(lit.units, new)
            if mapping is not None:
                mapping = [u.src if _by_hole(lit.units, k) else m for k, (u, m) in enumerate(zip(lit.units, mapping, strict=True))]
                edits.add((s, e, lit.head + "".join(mapping) + lit.tail))
    out = src
    for s, e, new in sorted(edits, reverse=True):
        out = out[:s] + new + out[e:]
    for old_line, new_line in TEST_LINES.items():
        out = out.replace(old_line, new_line)
    return out


# --------------------------------------------------------------------------------------------- run


def product_files(root: Path) -> Iterator[Path]:
    """The product's Python modules (package and built-in channel adapters) and UI templates."""
    for p in sorted([*(root / "kameng_filer").rglob("*.py"), *(root / "adapters").glob("*.py")]):
        rel = p.relative_to(root)
        if not (SKIP_PARTS & set(rel.parts)) and p.name not in SKIP_FILES:
            yield p
    for d in TEMPLATE_DIRS:
        yield from sorted((root / d).rglob("*.html"))


def run(root: Path, *, tests: bool = True, exclude: Iterable[str] = ()) -> Report:
    """Rewrite (in memory) every product file and, if asked, the tests; ``Report.files`` has the new texts."""
    root = root.resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    skip = {(root / e).resolve() for e in exclude}
    report = Report()
    site = Site(root)
    for p in product_files(root):
        src = p.read_text(encoding="utf-8")
        where = str(p.relative_to(root))
        before = len(report.changes)
        new = rewrite_template(src, where, report) if p.suffix == ".html" else rewrite_python(src, where, report, site)
        if p.resolve() in skip:
            del report.changes[before:]
            continue
        if new != src:
            if p.suffix == ".py":
                compile(new, str(p), "exec")
            report.files[p] = new
    if tests:
        quotes = Quotes(report.changes, [*report.unchanged, site.text], site.text)
        for p in sorted((root / "tests").rglob("*.py")):
            if p.resolve() in skip or p.name == "test_fullwidth_messages.py":
                continue
            src = p.read_text(encoding="utf-8")
            new = rewrite_test(src, quotes)
            if new != src:
                compile(new, str(p), "exec")
                report.files[p] = new
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: rewrite ROOT in place, or with --check list what would change."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parent.parent))
    ap.add_argument("--check", action="store_true", help="only list what would change; exit 1 if anything would")
    ap.add_argument("--exclude", action="append", default=[], help="a file (relative to ROOT) to leave alone")
    ap.add_argument("--no-tests", action="store_true", help="do not touch tests/")
    args = ap.parse_args(argv)
    root = Path(args.root)
    report = run(root, tests=not (args.check or args.no_tests), exclude=args.exclude)
    if args.check:
        for c in report.changes:
            print(f"{c.where}: {c.old!r} -> {c.new!r}")
        return 1 if report.changes else 0
    for p, text in report.files.items():
        p.write_text(text, encoding="utf-8")
        print(p.relative_to(root.resolve()))
    print(f"texts rewritten: {len(report.changes)}, files: {len(report.files)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
