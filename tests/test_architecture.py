"""The package's shape: no import circles (module-level or deferred inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kameng_filer"
SKIP = ("store/migrations/versions",)


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if any(s in path.as_posix() for s in SKIP):
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.Module, *, deferred: bool) -> list[ast.Import | ast.ImportFrom]:
    """The import statements run when the module (or, with ``deferred``, any of its functions) runs;
    ``if TYPE_CHECKING:`` blocks are left out (they never run)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def walk(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(node)
            elif isinstance(node, ast.If):
                if not _is_type_checking(node):
                    walk(node.body)
                walk(node.orelse)
            elif isinstance(node, ast.Try | ast.With | ast.For | ast.While):
                for block in ("body", "orelse", "finalbody"):
                    walk(getattr(node, block, []))
                for handler in getattr(node, "handlers", []):
                    walk(handler.body)
            elif deferred and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                walk(node.body)

    walk(tree.body)
    return found


def import_graph(*, deferred: bool) -> dict[str, set[str]]:
    """Module -> the package modules it imports (``from pkg import module`` counts as the module)."""
    mods = _modules()

    def owner(name: str) -> str:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")), deferred=deferred):
            if isinstance(node, ast.Import):
                targets.update(owner(a.name) for a in node.names)
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in mods else owner(base))
        graph[name] = {t for t in targets if t and t != name and t.startswith("kameng_filer")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path ``a -> b -> … -> a``, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_cycle_finder_reports_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_import_graph_sees_the_package():
    graph = import_graph(deferred=False)
    assert "kameng_filer.store.models" in graph["kameng_filer.tracker.models"]
    assert "kameng_filer.filing.formfill" in graph


@pytest.mark.parametrize("deferred", [False, True], ids=["module-level", "with-deferred"])
def test_no_import_circles(deferred: bool):
    cycle = find_cycle(import_graph(deferred=deferred))
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


# -- channel knowledge stays in the adapters (issue 13: one channel descriptor) -----------------------

CHANNEL_FREE_SKIP = ("kameng_filer/twins/", "kameng_filer/demo", "kameng_filer/testing.py", "store/migrations/")
"""Where built-in channel names may be written in conditions besides ``adapters/`` (not in the package
folder): the twins stand in for the real sites, the demo and the test helpers drive them."""


def builtin_channels() -> set[str]:
    """The channel names the toolkit itself registers (entry points into ``kameng_filer.adapters``)."""
    from importlib.metadata import entry_points

    return {
        ep.name for ep in entry_points(group="kameng_filer.adapters") if ep.value.startswith("kameng_filer.adapters.")
    }


def _names_channel(node: ast.AST, ids: set[str]) -> list[str]:
    return [
        c.value
        for c in ast.walk(node)
        if isinstance(c, ast.Constant)
        and isinstance(c.value, str)
        and (c.value in ids or c.value.partition("@")[0] in ids or c.value.partition(":")[0] in ids)
    ]


def _is_kind(node: ast.AST) -> bool:
    """``x.kind`` / ``kind``: a channel or field *kind* (``"email"``), not a channel name."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name == "kind"


def channel_conditions(source: str, ids: set[str]) -> list[tuple[int, str]]:
    """``(line, code)`` of every condition in ``source`` that names one of ``ids``: comparisons
    (``== "12315"``, ``in ("email", …)``), ``.startswith("card_platform")`` and ``case "heimao":``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        hits: list[str] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if not any(_is_kind(o) for o in operands):
                for operand in operands:
                    hits += _names_channel(operand, ids)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("startswith", "endswith"):
                for arg in node.args:
                    hits += [
                        c.value
                        for c in ast.walk(arg)
                        if isinstance(c, ast.Constant)
                        and isinstance(c.value, str)
                        and any(c.value.startswith(i) for i in ids)
                    ]
        elif isinstance(node, ast.MatchValue):
            hits += _names_channel(node.value, ids)
        if hits:
            found.append((getattr(node, "lineno", 0), ast.unparse(node)[:120]))
    return found


def test_the_channel_condition_finder_sees_each_form():
    ids = {"12315", "email", "card_platform"}
    source = (
        'if channel == "12315": pass\n'
        'if base in ("email", "x"): pass\n'
        'if token.startswith("card_platform"): pass\n'
        'if kind == "email": pass\n'
        'if spec.kind != "email": pass\n'
        'match channel:\n    case "email":\n        pass\n'
        'TITLES = {"email": "投诉邮件"}\n'
    )
    lines = [line for line, _ in channel_conditions(source, ids)]
    assert sorted(set(lines)) == [1, 2, 3, 7]


def test_no_module_outside_the_adapters_names_a_builtin_channel_in_a_condition():
    ids = builtin_channels()
    assert {"12315", "email", "card_platform", "consumer_association"} <= ids
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if any(s in rel for s in CHANNEL_FREE_SKIP):
            continue
        for line, code in channel_conditions(path.read_text(encoding="utf-8"), ids):
            offenders.append(f"{rel}:{line}: {code}")
    assert not offenders, "channel knowledge outside the adapters:\n" + "\n".join(offenders)


def test_the_planner_names_no_channel_at_all():
    ids = builtin_channels()
    tree = ast.parse((PACKAGE / "planner.py").read_text(encoding="utf-8"))
    named = {c.value for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    assert not {n for n in named if n.partition(":")[0] in ids}
