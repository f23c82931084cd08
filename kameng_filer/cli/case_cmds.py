"""CLI commands for the case record: ``kameng check``, ``kameng new`` and ``kameng schema``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from string import Template
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.prompt import Prompt
from rich.text import Text

from kameng_filer.case.loader import CASE_FILE_NAMES
from kameng_filer.case.model import (
    PROBLEM_FAMILY,
    PROBLEM_LABELS,
    Case,
    ContactWith,
    DemandType,
    EvidenceKind,
    PaymentMethod,
    ProblemType,
)
from kameng_filer.checks import check_path
from kameng_filer.checks.channel_severity import TEXT_CODES
from kameng_filer.cli.common import console, err_console, fail, handle_errors, parse_now, print_json
from kameng_filer.findings import SEVERITY_LABEL, Finding, has_errors
from kameng_filer.timeutil import now as now_shanghai

DEFAULT_DIR = "kameng-case"
COMMENT_COLUMN = 34
PAYMENT_LABELS = {
    PaymentMethod.alipay: "支付宝",
    PaymentMethod.wechat_pay: "微信支付",
    PaymentMethod.bank_card: "银行卡",
    PaymentMethod.balance: "平台余额",
    PaymentMethod.other: "其他",
}
_STYLE = {"error": "bold red", "warning": "yellow", "hint": "cyan"}
_MARK = {"error": "✗", "warning": "!", "hint": "·"}


def register(app: typer.Typer) -> None:
    """Add ``check``, ``new`` and ``schema`` to the ``kameng`` app."""
    app.command("check")(check_cmd)
    app.command("new")(new_cmd)
    app.command("schema")(schema_cmd)


# ---------------------------------------------------------------- check


@handle_errors
def check_cmd(
    case: Annotated[Path, typer.Argument(help="案件文件（case.yaml / case.json）或包含它的文件夹")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出检查结果（stdout 只有 JSON）")] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="把这个时间当作“现在”，例如 2026-11-03T10:00:00")
    ] = None,
    no_read: Annotated[
        bool, typer.Option("--no-read", help="不识别证据截图（不核对截图与案件记录是否一致）")
    ] = False,
) -> None:
    """检查案件（三明确）：必填信息、证据链、沟通记录、诉求、措辞、时限。有错误时退出码为 1。"""
    at = parse_now(now)
    result, findings = check_path(case, now=at, read_evidence=not no_read)
    if as_json:
        print_json({"findings": [f.to_dict() for f in findings]})
    else:
        _print_findings(result.source or case, findings, at, schema_ok=result.case is not None)
    raise typer.Exit(1 if has_errors(findings) else 0)


def _print_findings(source: Path, findings: list[Finding], at: datetime, *, schema_ok: bool) -> None:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "hint")}
    console.print(Text(f"案件检查：{source}（以 {at:%Y-%m-%d %H:%M} 为当前时间）", style="bold"))
    summary = " · ".join(f"{SEVERITY_LABEL[s]} {n}" for s, n in counts.items())
    console.print(Text(summary))
    for f in findings:
        console.print()
        head = Text()
        head.append(f"{_MARK[f.severity]} {SEVERITY_LABEL[f.severity]}", style=_STYLE[f.severity])
        head.append(f"  {f.path}")
        if f.line is not None:
            head.append(f"（第 {f.line} 行）", style="dim")
        head.append(f"  [{f.code}]", style="dim")
        console.print(head)
        console.print(Text(f"    {f.message}"))
        if f.hint:
            console.print(Text(f"    建议：{f.hint}", style="dim"))
    console.print()
    if counts["error"]:
        console.print(Text(f"有 {counts['error']} 个错误：修正后才能提交投诉。", style="bold red"))
        if not schema_ok:
            console.print(Text("格式错误修正后，还会检查证据链、沟通记录、诉求、措辞和时限。", style="dim"))
    elif any(f.code in TEXT_CODES for f in findings):
        console.print(
            Text(
                "没有错误，但上面的情绪化或含糊表述要先改写：向 12315、消协、黑猫投诉提交时是错误；"
                '其他渠道要加 --force "理由" 才会原样提交。',
                style="bold yellow",
            )
        )
    elif counts["warning"]:
        console.print(Text("没有错误，可以提交；处理上面的警告会让投诉更有力。", style="bold yellow"))
    else:
        console.print(Text("没有错误，可以提交。", style="bold green"))


# ---------------------------------------------------------------- new


@handle_errors
def new_cmd(
    directory: Annotated[Path, typer.Argument(help="要创建的案件文件夹")] = Path(DEFAULT_DIR),
    plain: Annotated[bool, typer.Option("--plain", help="不提问，只生成带注释的模板")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="不提问，以 JSON 输出 {case_file, evidence_dir}")
    ] = False,
    from_images: Annotated[
        list[Path] | None,
        typer.Option("--from", help="从截图起草案件：识别订单号、金额、时间、交易号等（--from 后可跟多张截图）"),
    ] = None,
    more_images: Annotated[list[Path] | None, typer.Argument(help="--from 的其余截图", show_default=False)] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不询问，直接采用从截图识别出的值")] = False,
) -> None:
    """创建案件文件夹：带中文注释的 case.yaml 模板和 evidence/ 文件夹（在终端中会逐项提问）。"""
    if directory.exists() and not directory.is_dir():
        fail(f"{directory} 已存在且不是文件夹", hint="换一个文件夹名")
    existing = [directory / n for n in CASE_FILE_NAMES if (directory / n).exists()]
    if existing:
        fail(f"{existing[0]} 已存在，不会覆盖", hint="换一个文件夹，或直接编辑已有的案件文件")
    images = [*(from_images or []), *(more_images or [])]
    if more_images and not from_images:
        fail(f"多余的参数：{more_images[0]}", hint="从截图起草案件时写 kameng new 文件夹 --from 截图1 截图2")
    interactive = not plain and not as_json and _interactive()
    drafted = None
    answers: dict[str, str] = {}
    if interactive and not images:
        from kameng_filer.cli.draft_view import ask_screenshots

        images = ask_screenshots()
    if images:
        from kameng_filer.cli.draft_view import confirm_draft

        drafted = confirm_draft(images, directory, interactive=interactive, yes=yes, as_json=as_json)
        answers = drafted.answers() if drafted is not None else {}
    if interactive:
        answers = {**_ask(skip=set(answers)), **answers}
    text = render_template(answers, case_dir=str(directory))
    if drafted is not None:
        from kameng_filer.ocr.draft import apply

        text = apply(text, drafted)
    try:
        (directory / "evidence").mkdir(parents=True, exist_ok=True)
        target = directory / "case.yaml"
        with target.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        fail(f"{directory / 'case.yaml'} 已存在，不会覆盖")
    except OSError as exc:
        fail(f"无法创建 {directory}:{exc.strerror or exc}", hint="检查路径和写权限")
    if as_json:
        print_json({"case_file": str(target), "evidence_dir": str(directory / "evidence")})
        return
    console.print(Text(f"已创建 {target} 和 {directory / 'evidence'}/", style="bold green"))
    console.print(Text("下一步:"))
    console.print(Text("  1. 把订单、支付、聊天、问题截图放进 evidence/ 文件夹"))
    console.print(Text(f"  2. 编辑 {target}，按注释补全信息"))
    from kameng_filer.cli.suggest import command

    check = command("kameng", "check", str(directory))
    console.print(Text(f"  3. 按提示修改直到没有错误：{check}"))


def _yaml_str(value: str) -> str:
    """A YAML scalar for text: JSON string syntax is valid YAML double-quoted style."""
    return json.dumps(value, ensure_ascii=False)


def render_template(answers: dict[str, str], *, case_dir: str = DEFAULT_DIR) -> str:
    """The commented ``case.yaml`` template, filled with ``answers`` where given (blank elsewhere)."""
    template = resources.files("kameng_filer.case").joinpath("template.yaml").read_text("utf-8")
    problem_lines = "\n".join(
        f"  #   {t.value:<26} {PROBLEM_LABELS[t]}"
        + (f"({PROBLEM_FAMILY[t]})" if t != ProblemType.other else "")
        for t in ProblemType
    )
    amount = answers.get("amount", "")
    ptype = answers.get("problem_type", "")
    values = dict(
        case_dir=case_dir,
        case_id=answers.get("case_id") or f"km-{now_shanghai():%Y%m%d-%H%M%S}",
        title=_yaml_str(answers.get("title", "")),
        complainant_name=_yaml_str(answers.get("complainant_name", "")),
        complainant_phone=_yaml_str(answers.get("complainant_phone", "")),
        platform=_yaml_str(answers.get("platform", "")),
        order_no=_yaml_str(answers.get("order_no", "")),
        product=_yaml_str(answers.get("product", "")),
        amount=amount,
        payment_method=answers.get("payment_method", ""),
        problem_type=ptype,
        summary=_yaml_str(answers.get("summary", "")),
        problem_types=problem_lines,
        payment_methods=" | ".join(m.value for m in PaymentMethod),
        contact_with=" | ".join(c.value for c in ContactWith),
        evidence_kinds=" | ".join(k.value for k in EvidenceKind),
        demand_types=" | ".join(d.value for d in DemandType),
    )
    return "".join(_fill_line(line, values) for line in template.splitlines(keepends=True))


def _fill_line(line: str, values: dict[str, str]) -> str:
    """Substitute one template line, keeping its trailing comment aligned at ``COMMENT_COLUMN``."""
    code, sep, comment = line.partition("  # ")
    if not sep or not code.strip() or code.lstrip().startswith("#"):
        return Template(line).substitute(values)
    filled = Template(code.rstrip()).substitute(values)
    pad = max(2, COMMENT_COLUMN - cell_len(filled))
    return f"{filled}{' ' * pad}# {Template(comment).substitute(values)}"


def _interactive() -> bool:
    """True when questions can be asked (standard input is a terminal)."""
    return sys.stdin.isatty()


def _ask(skip: set[str] | None = None) -> dict[str, str]:
    """Interactive questions (rich prompts); empty answers stay blank for later editing.

    Keys in ``skip`` (already drafted from screenshots) are not asked again.
    """
    console.print(Text("逐项回答（直接回车跳过，之后可以在 case.yaml 里补）：", style="bold"))
    skip = skip or set()

    def ask(label: str) -> str:
        return Prompt.ask(label, default="", show_default=False, console=console).strip()

    questions: dict[str, Callable[[], str]] = {
        "title": lambda: ask("案件标题（如：王者荣耀点券充值未到账）"),
        "complainant_name": lambda: ask("你的真实姓名"),
        "complainant_phone": lambda: ask("你的手机号"),
        "platform": lambda: ask("被投诉平台名称（如：星辰卡盟）"),
        "order_no": lambda: ask("订单号"),
        "product": lambda: ask("商品名称（如：王者荣耀点券 1000点）"),
        "amount": _ask_amount,
        "payment_method": lambda: _ask_choice(
            "支付方式", [(m.value, PAYMENT_LABELS[m]) for m in PaymentMethod]
        ),
        "problem_type": _ask_problem_type,
        "summary": lambda: ask("一句话说明发生了什么（只写事实）"),
    }
    answers = {k: q() for k, q in questions.items() if k not in skip}
    return {k: v for k, v in answers.items() if v}


def _ask_amount() -> str:
    while True:
        raw = Prompt.ask("实付金额（元）", default="", show_default=False, console=console).strip()
        value = raw.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
        if not value:
            return ""
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal(-1)
        if amount.is_finite() and 0 <= amount < Decimal(10) ** 12:
            return f"{amount.quantize(Decimal('0.01'))}"
        err_console.print(Text(f"“{raw}”不是有效金额，请写成 100.00", style="red"))


def _ask_problem_type() -> str:
    choices = [
        (t.value, PROBLEM_LABELS[t] + (f"({PROBLEM_FAMILY[t]})" if t != ProblemType.other else ""))
        for t in ProblemType
    ]
    return _ask_choice("问题类型", choices)


def _ask_choice(title: str, choices: list[tuple[str, str]]) -> str:
    """A numbered list; the answer is a number or the value itself (empty = leave blank)."""
    console.print(Text(f"{title}:", style="bold"))
    for i, (value, label) in enumerate(choices, 1):
        console.print(Text(f"  {i:>2}. {label}  {value}"))
    values = [v for v, _ in choices]
    while True:
        raw = Prompt.ask("选择编号", default="", show_default=False, console=console).strip()
        if not raw:
            return ""
        if raw.isdigit() and 1 <= int(raw) <= len(choices):
            return values[int(raw) - 1]
        if raw in values:
            return raw
        err_console.print(Text(f"请输入 1–{len(choices)} 之间的编号", style="red"))


# ---------------------------------------------------------------- schema


@handle_errors
def schema_cmd() -> None:
    """输出案件文件的 JSON Schema（供编辑器补全和校验）。"""
    schema = Case.model_json_schema(by_alias=True)
    print_json({"$schema": "https://json-schema.org/draft/2020-12/schema", **schema})
