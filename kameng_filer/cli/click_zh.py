"""Chinese for what Click/Typer print themselves: usage errors, ``--help`` screens, "did you mean".

Errors are translated from the exception's structure (class, parameter, option name), not from its
English text where that can be avoided, so a changed English wording in a new Typer release degrades to
a generic Chinese message instead of English. Help screens get Chinese titles through ``install()``,
which sets Typer's rich-help constants and the help option's text; it runs lazily (``ZhContext``) the
first time help is rendered, because importing ``typer.rich_utils`` costs ~0.1 s.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

try:  # typer >= 0.20 vendors click as typer._click; older typer uses click itself
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer
    import click  # type: ignore[no-redef]

HELP_TEXT = "显示此帮助并退出。"
GLOBAL_OPTIONS = ("-v", "-vv", "--verbose", "-q", "--quiet", "--version")
OPTIONS_METAVAR = "[选项]"
COMMAND_METAVAR = "命令 [参数]..."
USAGE_PREFIX = "用法："
_RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "ABORTED_TEXT": "已取消。",
    "REQUIRED_LONG_STRING": "[必填]",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "DEPRECATED_STRING": "（已弃用） ",
    "RICH_HELP": "运行 [blue]{command_path} {help_option}[/] 查看帮助。",
}

# English value messages (pydantic via typer >= 0.20, or click's own types) -> Chinese
_BUILTIN_HELP = {  # Typer's own options
    "install_completion": "为当前 shell 安装命令补全（bash、zsh、fish、PowerShell）",
    "show_completion": "显示当前 shell 的补全脚本，可复制或自行安装",
}

_VALUE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), text)
    for pattern, text in (
        (r"Input should be a valid integer", "应当是整数"),
        (r"'(?P<v>.*)' is not a valid integer", "「{v}」不是整数"),
        (r"Input should be a valid (?:number|decimal)", "应当是数字"),
        (r"'(?P<v>.*)' is not a valid float", "「{v}」不是数字"),
        (r"Input should be a valid boolean", "应当是 true 或 false"),
        (r"'(?P<v>.*)' is not a valid boolean", "「{v}」不是 true 或 false"),
        (r"Input should be less than or equal to (?P<v>\S+)", "不能大于 {v}"),
        (r"Input should be greater than or equal to (?P<v>\S+)", "不能小于 {v}"),
        (r"Input should be less than (?P<v>\S+)", "应当小于 {v}"),
        (r"Input should be greater than (?P<v>\S+)", "应当大于 {v}"),
        (r"(?P<v>\S+) is not in the range (?P<r>.+?)\.?$", "{v} 不在允许的范围 {r} 内"),
        (r"(?:Value error, )?'?(?P<v>.*?)'? is not one of (?P<c>.*?)\.?$", "「{v}」不是可选的值；可选：{c}"),
        (r"(?:File|Directory|Path) '?(?P<v>.*?)'? does not exist", "路径「{v}」不存在"),
        (r"(?:File|Directory|Path) '?(?P<v>.*?)'? is a file", "「{v}」是文件，这里需要文件夹"),
        (r"(?:File|Directory|Path) '?(?P<v>.*?)'? is a directory", "「{v}」是文件夹，这里需要文件"),
        (r"(?:File|Directory|Path) '?(?P<v>.*?)'? is not readable", "「{v}」不可读"),
        (r"(?:File|Directory|Path) '?(?P<v>.*?)'? is not writable", "「{v}」不可写"),
    )
)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class UsageProblem:
    """A Click error in Chinese: the message, the next step and the command's usage line."""

    message: str
    hint: str
    usage: str | None
    detail: str  # the original English text (shown with -v only)


def translate_value_message(text: str) -> str | None:
    """Chinese for a parameter value error text; ``None`` when it is not recognised."""
    text = text.strip()
    if _CJK.search(text):
        return text  # already ours
    for pattern, template in _VALUE_MESSAGES:
        m = pattern.search(text)
        if m:
            return template.format(**{k: v.strip() for k, v in m.groupdict().items()})
    return None


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` close matches of ``word`` (difflib), best first."""
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    if not found:  # a prefix ("--chan") or a missing dash is also a good guess
        bare = word.lstrip("-")
        found = [c for c in pool if bare and c.lstrip("-").startswith(bare)][:n]
    return found


def param_label(param: Any) -> str:
    """How a parameter is named to the person: ``--channels / -c`` or ``CASE``."""
    opts = list(getattr(param, "opts", None) or [])
    if getattr(param, "param_type_name", "") == "argument" or not opts:
        return str(getattr(param, "name", None) or "?").upper()
    opts.sort(key=lambda o: (not o.startswith("--"), o))
    return " / ".join(opts)


def _kind(param: Any) -> str:
    return "参数" if getattr(param, "param_type_name", "") == "argument" else "选项"


def option_names(ctx: Any) -> list[str]:
    """Every option spelling the context's command accepts (``--help`` included)."""
    names: list[str] = []
    command = getattr(ctx, "command", None)
    if command is None:
        return names
    for param in command.get_params(ctx):
        names.extend(getattr(param, "opts", []) or [])
        names.extend(getattr(param, "secondary_opts", []) or [])
    return [n for n in names if n.startswith("-")]


def command_names(ctx: Any) -> list[str]:
    """Visible sub-command names of a group context (empty for a plain command)."""
    command = getattr(ctx, "command", None)
    if command is None or not hasattr(command, "list_commands"):
        return []
    return list(command.list_commands(ctx))


def usage_line(ctx: Any) -> str | None:
    """``kameng check [选项] CASE`` for the context's command."""
    if ctx is None:
        return None
    try:
        pieces = ctx.command.collect_usage_pieces(ctx)
    except Exception:  # never let the usage line hide the error itself
        return None
    text = " ".join(_usage_piece(p) for p in pieces)
    return f"{ctx.command_path} {text}".strip()


def _usage_piece(piece: str) -> str:
    return piece.replace("[OPTIONS]", OPTIONS_METAVAR).replace("COMMAND [ARGS]...", COMMAND_METAVAR)


def describe(exc: Any) -> UsageProblem:
    """The Chinese message and hint for a Click exception (usage error, bad value, missing option…)."""
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "kameng"
    help_hint = f"运行 {path} --help 查看用法。"
    detail = _english(exc)
    name = type(exc).__name__
    if name == "MissingParameter":
        param = getattr(exc, "param", None)
        label = param_label(param) if param is not None else "?"
        what = getattr(param, "help", None) if param is not None else None
        message = f"缺少{_kind(param)} {label}" + (f"({what})" if what else "") + "。"
        return UsageProblem(message, help_hint, usage_line(ctx), detail)
    if name == "NoSuchOption":
        option = str(getattr(exc, "option_name", "") or "")
        guesses = closest(option, option_names(ctx))
        hint = (f"你是不是想用 {'、'.join(guesses)}?" if guesses else "") + help_hint
        if option in GLOBAL_OPTIONS and getattr(ctx, "parent", None) is not None:
            words = path.split()
            hint = f"{option} 是全局选项，写在命令名之前：{words[0]} {option} {' '.join(words[1:])} …"
        return UsageProblem(f"没有这个选项：{option}。", hint, usage_line(ctx), detail)
    if name == "BadOptionUsage":
        option = str(getattr(exc, "option_name", "") or "")
        text = str(getattr(exc, "message", ""))
        if "does not take a value" in text:
            message = f"选项 {option} 不接受值。"
        elif "requires" in text:
            m = re.search(r"requires (\d+) arguments", text)
            message = (
                f"选项 {option} 后面需要 {m.group(1)} 个值。" if m else f"选项 {option} 后面需要一个值。"
            )
        else:
            message = translate_value_message(text) or f"选项 {option} 的用法不对。"
        return UsageProblem(message, help_hint, usage_line(ctx), detail)
    if name in ("BadParameter", "BadArgumentUsage") or hasattr(exc, "param"):
        param = getattr(exc, "param", None)
        hint_names = getattr(exc, "param_hint", None)
        if hint_names:
            label = " / ".join([hint_names] if isinstance(hint_names, str) else list(hint_names))
        else:
            label = param_label(param) if param is not None else ""
        text = str(getattr(exc, "message", ""))
        reason = translate_value_message(text) or "取值无效"
        m = re.search(r"Argument '?(\w+)'? takes (\d+) values", text)
        if m:
            label, reason = m.group(1).upper(), f"需要 {m.group(2)} 个值"
        kind = _kind(param) if param is not None else "参数"
        message = f"{kind} {label} 的值无效：{reason}。" if label else f"值无效：{reason}。"
        return UsageProblem(message.replace("。。", "。"), help_hint, usage_line(ctx), detail)
    return _generic(exc, ctx, path, help_hint, detail)


def _generic(exc: Any, ctx: Any, path: str, help_hint: str, detail: str) -> UsageProblem:
    text = str(getattr(exc, "message", "") or exc)
    m = re.match(r"No such command '(?P<name>.*?)'", text, re.S)
    if m:
        typo = m.group("name")
        guesses = closest(typo, command_names(ctx))
        hint = (
            f"你是不是想用 {'、'.join(f'{path} {g}' for g in guesses)}?运行 {path} --help 查看全部命令。"
            if guesses
            else f"运行 {path} --help 查看全部命令。"
        )
        return UsageProblem(f"没有这个命令：{typo}。", hint, usage_line(ctx), detail)
    if text.startswith("Missing command"):
        return UsageProblem("缺少命令。", f"运行 {path} --help 查看全部命令。", usage_line(ctx), detail)
    m = re.match(r"Got unexpected extra argument(?:\(s\)|s)? \((?P<args>.*)\)", text, re.S)
    if m:
        return UsageProblem(f"多余的参数：{m.group('args')}。", help_hint, usage_line(ctx), detail)
    if _CJK.search(text):
        return UsageProblem(text, help_hint, usage_line(ctx), detail)
    translated = translate_value_message(text)
    message = f"{translated}。" if translated else "命令行用法不对。"
    return UsageProblem(message, help_hint, usage_line(ctx), detail)


def _english(exc: Any) -> str:
    try:
        return str(exc.format_message())
    except Exception:
        return str(exc)


# ---------------------------------------------------------------- help screens

_installed = False


def install() -> None:
    """Give Typer's help screens Chinese titles and texts (idempotent; imports ``typer.rich_utils``)."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        import typer.rich_utils as rich_utils
    except ImportError:  # pragma: no cover - rich not installed: plain click help
        rich_utils = None
    if rich_utils is not None:
        for attr, text in _RICH_TEXTS.items():
            if hasattr(rich_utils, attr):
                setattr(rich_utils, attr, text)
        pattern = getattr(rich_utils, "highlighter", None)
        if pattern is not None and hasattr(pattern, "highlights"):
            pattern.highlights = [h.replace("Usage: ", USAGE_PREFIX) for h in pattern.highlights]
    _patch_usage()
    _patch_help_option()
    _patch_type_labels()


def _patch_usage() -> None:
    original = click.HelpFormatter.write_usage

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        original(self, prog, _usage_piece(args), USAGE_PREFIX if prefix is None else prefix)

    click.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]


_TYPE_WORDS = {
    "str": "文本",
    "int": "整数",
    "float": "数字",
    "int range": "整数",
    "float range": "数字",
    "path": "路径",
    "file": "文件",
    "dir": "文件夹",
    "directory": "文件夹",
    "datetime": "时间",
}


def _patch_type_labels() -> None:
    """``<int>`` -> ``<整数>`` in help screens; switches (``--json``, ``-v``) show no type at all."""
    try:
        from typer.core import _TyperParameter as parameter_class
    except ImportError:  # pragma: no cover - older typer prints click's metavars (already upper case)
        return
    original = getattr(parameter_class, "display_type", None)
    if original is None:  # pragma: no cover
        return

    def display_type(self: Any, ctx: Any) -> str:
        text = original(self, ctx)
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return ""
        if isinstance(text, str) and text.startswith("<") and text.endswith(">"):
            word = _TYPE_WORDS.get(text[1:-1])
            if word:
                return f"<{word}>"
        return text

    parameter_class.display_type = display_type  # type: ignore[method-assign]


def _patch_help_option() -> None:
    original = click.Command.get_help_option

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original(self, ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    click.Command.get_help_option = get_help_option  # type: ignore[method-assign]


class ZhContext(click.Context):
    """A Click context whose help screen is Chinese (installs the texts on first use)."""

    def get_help(self) -> str:
        """Install the Chinese help texts, then render the help as usual."""
        install()
        translate_builtin_options(self.command)  # Typer adds its completion options after __init__
        return super().get_help()

    def get_usage(self) -> str:
        """The usage line, with the Chinese prefix."""
        install()
        return super().get_usage()


def translate_builtin_options(command: Any) -> None:
    """Chinese help for the options Typer adds itself (shell completion)."""
    for param in getattr(command, "params", []):
        text = _BUILTIN_HELP.get(getattr(param, "name", None) or "")
        if text:
            param.help = text


def localize(command: Any) -> None:
    """Make ``command`` and its sub-commands create ``ZhContext`` (Chinese help)."""
    command.context_class = ZhContext
    for sub in (getattr(command, "commands", None) or {}).values():
        localize(sub)
