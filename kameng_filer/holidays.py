"""Where holiday data comes from: chinese_calendar's notices, a computed statutory fallback, the override file.

The fallback for a year whose State Council notice is not known covers the statutory holidays only
(全国年节及纪念日放假办法, 2025 revision, 13 days): 元旦 1/1; 春节 除夕 + 初一~初三; 清明 (solar term);
劳动节 5/1–5/2; 端午 (lunar 5/5); 中秋 (lunar 8/15); 国庆 10/1–10/3. The real notice adds bridge days
and make-up working days (调休) that cannot be computed, so results for such a year are provisional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import yaml
from lunardate import LunarDate

from kameng_filer.errors import ConfigError

MIN_YEAR = 1901
MAX_YEAR = 2099
"""Years the lunar conversion (lunardate) supports."""

MAX_OVERRIDE_BYTES = 256 * 1024
MAX_RANGE_DAYS = 31

LIBRARY_HOLIDAYS: dict[date, object] = chinese_calendar.holidays
LIBRARY_WORKDAYS: dict[date, object] = chinese_calendar.workdays
LIBRARY_YEARS: frozenset[int] = frozenset(d.year for d in LIBRARY_HOLIDAYS)
"""Years whose official notice chinese_calendar carries (2004–2026 in version 1.11)."""


def library_is_workday(day: date) -> bool:
    """Whether ``day`` is a working day per chinese_calendar's data (only meaningful for LIBRARY_YEARS)."""
    return day in LIBRARY_WORKDAYS or (day.weekday() < 5 and day not in LIBRARY_HOLIDAYS)


def _solar(lunar: LunarDate) -> date:
    convert = getattr(lunar, "to_solar_date", None) or lunar.toSolarDate
    return convert()


def qingming(year: int) -> date:
    """The date of the 清明 solar term (April 4 or 5 in this century), via chinese_calendar's formula."""
    for day, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)):
        if name == "清明":
            return day
    raise ValueError(f"no Qingming found for {year}")  # pragma: no cover - formula always yields one


def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory public holidays of ``year`` computed from the rules (no bridge or make-up days)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} outside {MIN_YEAR}–{MAX_YEAR}")
    out: dict[date, str] = {date(year, 1, 1): "元旦"}
    eve = _solar(LunarDate(year, 1, 1)) - timedelta(days=1)
    for i in range(4):
        out[eve + timedelta(days=i)] = "春节"
    out[qingming(year)] = "清明节"
    out[date(year, 5, 1)] = out[date(year, 5, 2)] = "劳动节"
    out[_solar(LunarDate(year, 5, 5))] = "端午节"
    out[_solar(LunarDate(year, 8, 15))] = "中秋节"
    for d in (1, 2, 3):
        out.setdefault(date(year, 10, d), "国庆节")
    return out


@dataclass(frozen=True)
class HolidayOverrides:
    """Extra holidays and make-up working days from the person's override file."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    complete_years: frozenset[int] = frozenset()
    source: Path | None = None
    years: frozenset[int] = field(default=frozenset())
    """Years the file mentions (holidays, make-up days or complete_years)."""


class _TextLoader(yaml.SafeLoader):
    """Safe loader used only to compose nodes (scalars stay text; we parse dates ourselves)."""


_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_RANGE_RE = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*(?:\.\.|~|～|/|至|到|—|–)\s*(\d{4}-\d{1,2}-\d{1,2})\s*$"
)
_SECTION_KEYS = ("holidays", "workdays")


class _OverrideParser:
    """Walks the composed YAML nodes so every problem can name its line and entry."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.holidays: dict[date, int] = {}
        self.workdays: dict[date, int] = {}
        self.complete: set[int] = set()
        self.years: set[int] = set()

    def fail(self, node: yaml.Node | None, message: str, hint: str | None = None) -> ConfigError:
        where = f" 第 {node.start_mark.line + 1} 行" if node is not None else ""
        return ConfigError(
            f"节假日覆盖文件 {self.path}{where}:{message}",
            hint=hint or "格式见 docs/deadlines.md「覆盖文件」一节；修正后重新运行",
        )

    def parse_date(self, node: yaml.Node, text: str) -> date:
        text = text.strip()
        if not _DATE_RE.match(text):
            raise self.fail(
                node, f"「{text}」不是日期", "日期写成 2027-02-05，区间写成 2027-02-05..2027-02-11"
            )
        y, m, d = (int(p) for p in text.split("-"))
        try:
            day = date(y, m, d)
        except ValueError:
            raise self.fail(node, f"「{text}」不是真实存在的日期") from None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise self.fail(node, f"「{text}」超出支持的年份范围 {MIN_YEAR}–{MAX_YEAR}")
        return day

    def scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what}应当是一个值，不是列表或映射")
        return str(node.value)

    def entry(self, node: yaml.Node) -> list[date]:
        """One list entry: a date, a range text, or a mapping {from, to}."""
        if isinstance(node, yaml.MappingNode):
            parts: dict[str, yaml.Node] = {}
            for k, v in node.value:
                key = self.scalar(k, "键")
                if key not in ("from", "to", "name"):
                    raise self.fail(k, f"未知的键「{key}」", "区间写成 {from: 2027-02-05, to: 2027-02-11}")
                parts[key] = v
            if "from" not in parts or "to" not in parts:
                raise self.fail(node, "区间需要同时写 from 和 to")
            a = self.parse_date(parts["from"], self.scalar(parts["from"], "from"))
            b = self.parse_date(parts["to"], self.scalar(parts["to"], "to"))
        else:
            text = self.scalar(node, "条目")
            m = _RANGE_RE.match(text)
            if not m:
                day = self.parse_date(node, text)
                return [day]
            a = self.parse_date(node, m.group(1))
            b = self.parse_date(node, m.group(2))
        if b < a:
            raise self.fail(node, f"区间 {a}..{b} 的结束日期早于开始日期")
        if (b - a).days >= MAX_RANGE_DAYS:
            raise self.fail(node, f"区间 {a}..{b} 超过 {MAX_RANGE_DAYS} 天，不像一次放假")
        return [a + timedelta(days=i) for i in range((b - a).days + 1)]

    def day_list(self, node: yaml.Node, kind: str) -> None:
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
            return
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{kind} 应当是列表（每项以 - 开头）")
        target = self.holidays if kind == "holidays" else self.workdays
        for item in node.value:
            for day in self.entry(item):
                target.setdefault(day, item.start_mark.line + 1)
                self.years.add(day.year)

    def section(self, node: yaml.Node, year: int | None) -> None:
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
            return
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{year} 年的内容应当是映射，包含 holidays / workdays")
        if year is not None:
            self.years.add(year)
        for k, v in node.value:
            key = self.scalar(k, "键")
            if key not in _SECTION_KEYS:
                raise self.fail(k, f"未知的键「{key}」", "每年只能写 holidays（放假日）和 workdays（调休上班日）")
            self.day_list(v, key)

    def year_of(self, node: yaml.Node) -> int:
        text = self.scalar(node, "年份").strip()
        if not re.fullmatch(r"\d{4}", text) or not MIN_YEAR <= int(text) <= MAX_YEAR:
            raise self.fail(node, f"「{text}」不是有效年份（{MIN_YEAR}–{MAX_YEAR}）")
        return int(text)

    def parse(self, text: str) -> HolidayOverrides:
        try:
            root = yaml.compose(text, Loader=_TextLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = f" 第 {mark.line + 1} 行" if mark else ""
            raise ConfigError(
                f"节假日覆盖文件 {self.path}{line}：不是有效的 YAML", detail=str(exc), hint="检查缩进和冒号"
            ) from None
        except (yaml.YAMLError, RecursionError) as exc:
            raise ConfigError(f"节假日覆盖文件 {self.path} 不是有效的 YAML", detail=str(exc)) from None
        if root is None:
            return HolidayOverrides(source=self.path)
        if not isinstance(root, yaml.MappingNode):
            raise self.fail(root, "文件顶层应当是映射（键：值）")
        for k, v in root.value:
            key = self.scalar(k, "键").strip()
            if key == "complete_years":
                if not isinstance(v, yaml.SequenceNode):
                    raise self.fail(v, "complete_years 应当是年份列表，例如 [2027]")
                for item in v.value:
                    year = self.year_of(item)
                    self.complete.add(year)
                    self.years.add(year)
            elif key in _SECTION_KEYS:
                self.day_list(v, key)
            elif key == "years":
                if not isinstance(v, yaml.MappingNode):
                    raise self.fail(v, "years 应当是「年份：内容」的映射")
                for yk, yv in v.value:
                    self.section(yv, self.year_of(yk))
            elif re.fullmatch(r"\d{4}", key):
                self.section(v, self.year_of(k))
            else:
                raise self.fail(
                    k, f"未知的键「{key}」", "顶层只能有 complete_years、holidays、workdays 或年份（如 2027：）"
                )
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            day = both[0]
            raise ConfigError(
                f"节假日覆盖文件 {self.path} 第 {self.workdays[day]} 行：{day} 同时写成了放假日"
                f"（第 {self.holidays[day]} 行）和调休上班日",
                hint="一天只能是放假或上班之一",
            )
        return HolidayOverrides(
            holidays=frozenset(self.holidays),
            workdays=frozenset(self.workdays),
            complete_years=frozenset(self.complete),
            source=self.path,
            years=frozenset(self.years),
        )


def load_overrides(path: Path) -> HolidayOverrides:
    """Read the override file; a missing file means no overrides, a bad one raises ``ConfigError``."""
    try:
        if not path.exists():
            return HolidayOverrides()
        if path.is_dir():
            raise ConfigError(f"节假日覆盖文件 {path} 是文件夹", hint="删除该文件夹或换成 YAML 文件")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"无法读取节假日覆盖文件 {path}", detail=str(exc)) from None
    if len(raw) > MAX_OVERRIDE_BYTES:
        raise ConfigError(f"节假日覆盖文件 {path} 太大（{len(raw)} 字节）", hint="只需写放假日和调休上班日")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"节假日覆盖文件 {path} 不是 UTF-8 文本", hint="用 UTF-8 编码保存") from None
    return _OverrideParser(path).parse(text)
