"""``kameng new --from``: show the values read from screenshots, each with its image, and have them confirmed."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm
from rich.table import Table

from kameng_filer.cli.common import console, err_console, fail
from kameng_filer.ocr.draft import LABELS, Draft, draft
from kameng_filer.ocr.fields import KINDS


def image_problem(image: Path) -> str | None:
    """Why ``image`` cannot be used as a screenshot (Chinese), or None when it can."""
    from kameng_filer.store.sniff import sniff_mime

    if not image.is_file():
        return f"找不到截图：{image}"
    try:
        head = image.read_bytes()
    except OSError as exc:
        return f"无法读取截图：{image}（{exc.strerror}）"
    if not sniff_mime(head).startswith("image/"):
        return f"{image} 不是图片"
    return None


def _check_images(images: list[Path]) -> None:
    """Every screenshot exists and is an image; a clear error naming the first that is not."""
    hints = {"找不到": "检查路径；多张截图写成 --from 截图1 截图2", "无法读取": "检查文件权限"}
    for image in images:
        problem = image_problem(image)
        if problem:
            hint = next((h for k, h in hints.items() if problem.startswith(k)), "--from 只接受截图（PNG、JPEG、WebP）")
            fail(problem, hint=hint)


def ask_screenshots() -> list[Path]:
    """The interview's first question: screenshot paths, typed, pasted or dragged in (several, or a folder)."""
    from rich.prompt import Prompt

    from kameng_filer.cli.pathinput import images_in, split_paths

    console.print(
        "[bold]先提供截图[/]（订单页、支付账单、聊天记录、报错页面），可以直接把文件或文件夹拖进终端，"
        "一次可以拖多个；直接回车跳过。"
    )
    chosen: list[Path] = []
    while True:
        label = "截图路径" if not chosen else f"已添加 {len(chosen)} 张，还有吗？（直接回车结束）"
        line = Prompt.ask(label, default="", show_default=False, console=console)
        paths = split_paths(line)
        if not paths:
            return chosen
        found: list[Path] = []
        for p in paths:
            if p.is_dir():
                inside = images_in(p)
                if not inside:
                    err_console.print(f"[red]文件夹 {escape(str(p))} 中没有 PNG、JPEG 或 WebP 截图[/]")
                found += inside
                continue
            problem = image_problem(p)
            if problem:
                err_console.print(f"[red]{escape(problem)}[/]，这一张没有添加；检查路径后重新拖入")
                continue
            found.append(p)
        chosen += [p for p in found if p not in chosen]


def _review(d: Draft, out: Console) -> Draft:
    """Each value confirmed one by one; a rejected value is dropped (asked again later or left blank)."""
    from rich.prompt import Confirm

    for path, v in list(d.values.items()):
        shown = v.value.replace("T", " ") if path.endswith("_at") else v.value
        keep = Confirm.ask(
            f"{LABELS[path]}：{escape(shown)}（来自 {escape(v.source)}）正确吗？", default=True, console=out
        )
        if not keep:
            del d.values[path]
    return d


def confirm_draft(
    images: list[Path], folder: Path, *, interactive: bool, yes: bool, as_json: bool = False
) -> Draft:
    """Read the screenshots, show every value with the image it came from, and return what was accepted.

    With ``as_json`` the table goes to standard error (standard output carries only JSON).
    """
    out: Console = err_console if as_json else console
    if not yes and not interactive:
        fail(
            "从截图识别出的值需要本人确认",
            hint="在终端中运行（会显示每个值来自哪张截图并询问），或加 --yes 直接采用",
        )
    _check_images(images)
    d = draft(images, folder)
    table = Table(title="从截图识别出的信息", show_lines=False)
    for col in ("字段", "值", "来自"):
        table.add_column(col)
    for path, v in d.values.items():
        shown = v.value.replace("T", " ") if path.endswith("_at") else v.value
        table.add_row(f"{LABELS[path]} {path}", escape(shown), escape(v.source))
    out.print(table)
    for r, e in zip(d.readings, d.evidence, strict=True):
        out.print(f"证据 {escape(e.file)}:{KINDS.get(r.kind, r.kind)} → kind: {e.kind}")
    if not d.values:
        out.print("[yellow]截图中没有识别出订单信息[/]（截图可能太模糊）；证据已登记，其余请手动填写。")
    if yes or not d.values:
        return d
    if Confirm.ask("采用这些值吗？（之后仍可在 case.yaml 中修改；选 n 逐项确认）", default=True, console=out):
        return d
    return _review(d, out)
