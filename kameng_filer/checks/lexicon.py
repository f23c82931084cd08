"""The word lists behind the language checks: ``lexicon.yaml`` plus an optional user file to extend it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kameng_filer import home
from kameng_filer.errors import ConfigError

USER_FILE = "lexicon.yaml"
SECTIONS = ("emotional", "vague_demands", "vague_problems", "vague_titles")


@dataclass
class Lexicon:
    """Word → factual rewrite hint, per section, with one compiled matcher per section."""

    emotional: dict[str, str]
    vague_demands: dict[str, str]
    vague_problems: dict[str, str]
    vague_titles: dict[str, str]
    problem_keywords: dict[str, tuple[str, ...]]
    _rx: dict[str, re.Pattern[str] | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for section in SECTIONS:
            self._rx[section] = _compile(getattr(self, section))

    def find(self, section: str, text: str) -> list[str]:
        """Distinct words of ``section`` found in ``text`` (longest match first, in order of appearance)."""
        rx = self._rx.get(section)
        if rx is None:
            return []
        words: dict[str, str] = getattr(self, section)
        found: list[str] = []
        for m in rx.finditer(text):
            word = m.group(0)
            if word not in words:
                word = next((w for w in words if w.lower() == word.lower()), word)
            if word not in found:
                found.append(word)
        return found

    def hint(self, section: str, words: list[str]) -> str:
        """The rewrite hints for ``words`` joined into one sentence (duplicates dropped)."""
        table: dict[str, str] = getattr(self, section)
        hints: list[str] = []
        for w in words:
            h = table.get(w, "")
            if h and h not in hints:
                hints.append(h)
        return ";".join(hints)


def _compile(words: dict[str, str]) -> re.Pattern[str] | None:
    parts = []
    for w in sorted(words, key=len, reverse=True):
        esc = re.escape(w)
        # ASCII words must stand alone ("SB" must not match inside "USB").
        parts.append(rf"(?<![A-Za-z]){esc}(?![A-Za-z])" if w.isascii() else esc)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _user_path() -> Path:
    """``lexicon.yaml`` in the current workspace's data folder (``Home.lexicon``, not created)."""
    return home.current().data / USER_FILE


def _section(data: Any, name: str, source: str) -> dict[str, str]:
    value = data.get(name) if isinstance(data, dict) else None
    if value is None:
        return {}
    if isinstance(value, list):
        value = {str(w): "" for w in value}
    if not isinstance(value, dict):
        raise ConfigError(
            f"{source} 的 {name} 应当是“词: 改写建议”的映射", hint="参照内置 lexicon.yaml 的写法"
        )
    return {str(k).strip(): ("" if v is None else str(v)) for k, v in value.items() if str(k).strip()}


def _keywords(data: Any, source: str) -> dict[str, tuple[str, ...]]:
    value = data.get("problem_keywords") if isinstance(data, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise ConfigError(
            f"{source} 的 problem_keywords 应当是“问题类型: [关键词, …]”", hint="参照内置 lexicon.yaml"
        )
    return {str(k): tuple(str(w).strip() for w in v if str(w).strip()) for k, v in value.items()}


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"词库文件 {source} 格式错误", detail=str(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"词库文件 {source} 的最外层应当是映射", hint="参照内置 lexicon.yaml 的写法")
    return data


@lru_cache(maxsize=8)
def _build(user_file: str | None, mtime_ns: int) -> Lexicon:
    builtin = _parse(resources.files("kameng_filer.checks").joinpath(USER_FILE).read_text("utf-8"), USER_FILE)
    layers = [(builtin, "内置 lexicon.yaml")]
    if user_file:
        layers.append((_parse(Path(user_file).read_text("utf-8"), user_file), user_file))
    sections: dict[str, dict[str, str]] = {s: {} for s in SECTIONS}
    keywords: dict[str, tuple[str, ...]] = {}
    for data, source in layers:
        for s in SECTIONS:
            sections[s].update(_section(data, s, source))
        keywords.update(_keywords(data, source))
    return Lexicon(**sections, problem_keywords=keywords)


def load_lexicon() -> Lexicon:
    """The built-in lexicon extended by ``$KAMENG_HOME/lexicon.yaml`` when that file exists."""
    path = _user_path()
    try:
        st = path.stat()
    except (OSError, ValueError):
        return _build(None, 0)
    try:
        return _build(str(path), st.st_mtime_ns)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"无法读取词库文件 {path}", detail=str(exc)) from None
