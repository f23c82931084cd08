"""Where the form's case file lives, reading it, checking form data, and saving it as ``kameng add`` does.

The case file stays the source of truth: the form is filled from the file on disk (hand edits are seen),
saving writes the file and imports it into the local store, which keeps every earlier version.
A folder is never taken from the browser: ``new:KEY`` names a folder under the data folder's ``cases``,
``case:ID`` the folder the stored case was last imported from.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from kameng_filer import paths
from kameng_filer.atomicfile import replace_bytes
from kameng_filer.errors import KamengError
from kameng_filer.findings import Finding

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CASE_FILE = "case.yaml"
HEADER = (
    "# 案件记录（由 kameng ui 工作台保存；也可以直接编辑本文件，保存后在工作台刷新即可看到）\n"
    "# 字段说明见 docs/case-format.md。无时区的时间按北京时间，金额以元为单位。\n"
)


class FormError(KamengError):
    """A problem with the form's target or file, shown on the page with its hint."""


@dataclass
class Target:
    """The case file a form edits: ``kind`` is ``new`` or ``case``, ``key`` the folder key or case id."""

    kind: str
    key: str
    folder: Path

    @property
    def file(self) -> Path:
        """The case file (``case.yaml`` unless the stored case came from another file name)."""
        return _existing_case_file(self.folder) or self.folder / CASE_FILE

    @property
    def ref(self) -> str:
        """The value of the form's hidden ``target`` field."""
        return f"{self.kind}:{self.key}"


def cases_root() -> Path:
    """The folder new disputes made in the workspace are saved under (not created here)."""
    return paths.home_path() / "cases"


def new_key(now: datetime) -> str:
    """A case id (and folder name) for a new dispute, like ``kameng new`` makes one."""
    base = f"km-{now:%Y%m%d-%H%M%S}"
    key, n = base, 2
    while (cases_root() / key).exists():
        key, n = f"{base}-{n}", n + 1
    return key


def _existing_case_file(folder: Path) -> Path | None:
    for name in ("case.yaml", "case.yml", "case.json"):
        if (folder / name).is_file():
            return folder / name
    return None


def resolve(ref: str, store: Any | None) -> Target:
    """The target named by a form's hidden field; ``FormError`` for anything else."""
    kind, _, key = (ref or "").partition(":")
    if kind not in ("new", "case") or not SAFE_ID.fullmatch(key):
        raise FormError("表单缺少案件信息或已被改动。", hint="请从“我的纠纷”重新打开这个案件。")
    if kind == "new":
        return Target("new", key, cases_root() / key)
    if store is None or not store.has_case(key):
        raise FormError(f"本地存储中没有案件 {key}", hint="回到“我的纠纷”查看已保存的案件。")
    source = store.case_versions(key)[-1].source_path
    folder = Path(source).parent if source else None
    if folder is None or not folder.is_dir():
        raise FormError(
            f"案件 {key} 的文件夹已不存在：{folder or '未记录'}",
            hint="把案件文件夹放回原处，或在新位置运行 kameng add 导入后再在工作台修改。",
        )
    return Target("case", key, folder)


def read(target: Target) -> tuple[dict[str, Any], str]:
    """The case file's data (empty for a new dispute) and the SHA-256 of its text."""
    from kameng_filer.case.loader import parse_text, read_text

    file = _existing_case_file(target.folder)
    if file is None:
        return {}, ""
    text = read_text(file)
    raw = parse_text(text, is_json=file.suffix.lower() == ".json")
    return (raw if isinstance(raw, dict) else {}), _sha(text)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def findings(data: dict[str, Any], folder: Path, now: datetime) -> tuple[list[Finding], bool]:
    """``kameng check`` on the form's data as if saved in ``folder``; and whether it can be saved
    (no error ``kameng add`` would refuse: the schema and the evidence files).

    Remembered by content: the data, the files under ``folder`` (names, sizes, change times) and the
    evidence files it names elsewhere (``allow_outside``), the settings the checks read and the hour of ``now`` (for the time rules), never by time alone.
    """
    import json

    from kameng_filer.ui.casecheck import evidence_stamp, settings_stamp, tree_stamp

    key = (
        hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest(),
        str(folder),
        tree_stamp(folder) if folder.is_dir() else "-",
        evidence_stamp(data, folder),
        settings_stamp(),
        f"{now:%Y%m%d%H}",
    )
    with _LOCK:
        hit = _FOUND.get(key)
        if hit is not None:
            _FOUND.move_to_end(key)
            return list(hit[0]), hit[1]
    found, storable = _findings(data, folder, now)
    with _LOCK:
        _FOUND[key] = (list(found), storable)
        while len(_FOUND) > 64:
            _FOUND.popitem(last=False)
    return found, storable


def _findings(data: dict[str, Any], folder: Path, now: datetime) -> tuple[list[Finding], bool]:
    from kameng_filer.case.loader import validate
    from kameng_filer.checks import check_case

    result = validate(data, source=None, base_dir=folder, lines=None)
    found = check_case(result, now=now)
    storable = result.case is not None and not any(f.severity == "error" for f in result.findings)
    return found, storable


_FOUND: OrderedDict[tuple[str, ...], tuple[list[Finding], bool]] = OrderedDict()
_LOCK = threading.Lock()


def dump(data: dict[str, Any]) -> str:
    """The case file text written for ``data`` (YAML, Chinese kept readable, field order kept)."""
    return HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


class FileChanged(FormError):
    """The case file changed on disk since the page read it (a hand edit or another tab)."""


def save(
    target: Target,
    data: dict[str, Any],
    base_sha: str,
    seen: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Path:
    """Write the case file atomically; refuses when the file changed on disk since the form was read.

    A YAML file is changed in place (``yamlkeep``): only values that differ from what the page saw
    (``seen(file data)``, default the file data itself) are written, comments and order stay.
    Saves run one at a time, so of two pages saving the same version at once one is refused.
    """
    with _SAVING:
        return _save(target, data, base_sha, seen)


_SAVING = threading.Lock()


def _save(
    target: Target,
    data: dict[str, Any],
    base_sha: str,
    seen: Callable[[dict[str, Any]], dict[str, Any]] | None,
) -> Path:
    from kameng_filer.case.loader import read_text

    file = target.file
    old = read_text(file) if file.exists() else None  # as ``read`` hashed it (no BOM, line endings kept)
    current = _sha(old) if old is not None else ""
    if target.kind == "new" and file.exists() and base_sha == "":
        raise FormError(f"{file} 已存在，不会覆盖。", hint="请从“我的纠纷”打开那个案件再修改。")
    if current != base_sha:
        raise FileChanged(
            f"{file.name} 在您打开页面后被修改过（可能是手工编辑或另一个标签页），这次没有保存。",
            hint="页面已载入文件的最新内容，请核对后重新填写您的修改再保存。",
        )
    if target.kind == "case" and data.get("id") != target.key:
        raise FormError("已保存的案件不能改编号。", hint=f"把案件编号改回 {target.key}，或新建一个纠纷。")
    paths.ensure_dir(target.folder)
    if file.suffix.lower() == ".json":
        text = _json(data)
    elif old is None:
        text = dump(data)
    else:
        text = _kept(old, data, seen or (lambda raw: raw))
    if old is not None and file.read_bytes().startswith(codecs.BOM_UTF8):
        text = "\ufeff" + text  # the file's byte-order mark stays
    try:  # the person's file keeps its permissions
        replace_bytes(file, text.encode("utf-8"), keep_mode=old is not None)
    except OSError as exc:
        raise FormError(
            f"无法写入 {file}：{exc.strerror or exc}", hint="检查文件夹的写权限和磁盘空间。"
        ) from None
    return file


def _kept(old: str, data: dict[str, Any], seen: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
    """``old`` with only the changed values rewritten; the whole file again if that cannot be proven
    to read back as ``data`` (never a wrong file for the sake of a kept comment)."""
    from kameng_filer.case.loader import parse_text
    from kameng_filer.ui import yamlkeep

    try:
        text = yamlkeep.update(old, seen(parse_text(old)), data)
        if seen(parse_text(text)) == seen(data):
            return text
    except Exception:  # any surprise in the round trip: write the plain dump instead
        pass
    return dump(data)


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
