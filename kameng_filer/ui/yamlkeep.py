"""Change a hand-written YAML file in place: only the values that changed are written again.

The case file stays the person's own: comments (Chinese ones too), key order, quoting, indentation and
every untouched value are kept byte for byte, using ruamel.yaml's round-trip mode. ``before`` is what
the form (or the text editor) read from the file and ``after`` what it saves; a value equal in both is
left exactly as the file writes it, whatever its spelling (``100.00`` stays ``100.00``).
"""

from __future__ import annotations

import difflib
import io
import json
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = pyyaml.resolver.Resolver()


def _yaml(text: str) -> YAML:
    """A round-trip YAML reader/writer set to the file's own indentation, never wrapping lines."""
    _data, indent, seq_indent = load_yaml_guess_indent(text)
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1 << 16
    y.allow_unicode = True
    y.indent(mapping=seq_indent or 2, sequence=indent or 2, offset=seq_indent or 0)
    return y


def update(text: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    """``text`` with the differences between ``before`` and ``after`` applied, all else as written."""
    crlf = "\r\n" in text
    if crlf:
        text = text.replace("\r\n", "\n")
    y = _yaml(text)
    y.explicit_start = text.lstrip("\ufeff").startswith("---")
    doc = y.load(text)
    if not isinstance(doc, CommentedMap):
        raise ValueError("not a mapping")
    _apply_map(doc, before, after)
    out = io.StringIO()
    y.dump(doc, out)
    written = out.getvalue()
    return written.replace("\n", "\r\n") if crlf else written  # the file's own line endings


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _apply_map(node: CommentedMap, before: dict[str, Any], after: dict[str, Any]) -> None:
    for key in [k for k in before if k not in after]:
        node.pop(key, None)
    keys = list(after)
    for i, key in enumerate(keys):
        new = after[key]
        if key in before and key in node:
            if not _same(before[key], new):
                node[key] = _apply(node[key], before[key], new)
            continue
        if key in node:
            node[key] = _apply(node[key], None, new)
            continue
        # a new key: after the nearest earlier key the file already has, else first
        at = 0
        for prev in reversed(keys[:i]):
            if prev in node:
                at = list(node).index(prev) + 1
                break
        node.insert(at, key, _fresh(new))


def _apply(old: Any, before: Any, new: Any) -> Any:
    """The node to write for ``new`` where the file has ``old`` (read as ``before``)."""
    if isinstance(old, CommentedMap) and isinstance(new, dict) and isinstance(before, dict):
        _apply_map(old, before, new)
        return old
    if (
        isinstance(old, CommentedSeq)
        and isinstance(new, list)
        and isinstance(before, list)
        and len(old) == len(before)
    ):
        _apply_seq(old, before, new)
        return old
    return _scalar(old, new) if not isinstance(new, dict | list) else _fresh(new)


def _apply_seq(node: CommentedSeq, before: list[Any], after: list[Any]) -> None:
    """Rows kept as they are where equal (a removed row does not shift the others' comments)."""
    keyed = [json.dumps(v, sort_keys=True, default=str, ensure_ascii=False) for v in before]
    wanted = [json.dumps(v, sort_keys=True, default=str, ensure_ascii=False) for v in after]
    ops = difflib.SequenceMatcher(a=keyed, b=wanted, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(ops):
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            node[i1 + k] = _apply(node[i1 + k], before[i1 + k], after[j1 + k])
        for k in reversed(range(i1 + pairs, i2)):
            del node[k]
        for k in range(j1 + pairs, j2):
            node.insert(i1 + (k - j1), _fresh(after[k]))


def _scalar(old: Any, new: Any) -> Any:
    """``new`` spelled as the file spelled ``old`` where it can be: a number stays a plain number,
    a literal block stays a block."""
    if isinstance(new, str) and isinstance(old, int | float) and not isinstance(old, bool):
        parsed = _plain(new)
        if isinstance(parsed, int | float) and not isinstance(parsed, bool):
            return parsed
    if isinstance(new, str) and "\n" in new and isinstance(old, LiteralScalarString):
        return LiteralScalarString(new)
    return _fresh(new)


def _plain(text: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except Exception:  # not a plain scalar: keep it a string
        return None


def _fresh(value: Any) -> Any:
    """A value the file did not have, written readably and read back as the same value by the loader."""
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _fresh(v)
        return m
    if isinstance(value, list):
        return CommentedSeq([_fresh(v) for v in value])
    if isinstance(value, str):
        if "\n" in value:
            return LiteralScalarString(value)
        if _RESOLVER.resolve(pyyaml.nodes.ScalarNode, value, (True, False)) != _STR_TAG:
            return SingleQuotedScalarString(value)
    return value
