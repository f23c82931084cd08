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


def _check_images(images: list[Path]) -> None:
    """Every screenshot exists and is an image; a clear error naming the first that is not."""
    from kameng_filer.store.sniff import sniff_mime

    for image in images:
        if not image.is_file():
            fail(f"找不到截图:{image}", hint="检查路径;多张截图写成 --from 截图1 截图2")
        try:
            head = image.read_bytes()
        except OSError as exc:
            fail(f"无法读取截图:{image}({exc.strerror})", hint="检查文件权限")
            return
        if not sniff_mime(head).startswith("image/"):
            fail(f"{image} 不是图片", hint="--from 只接受截图(PNG、JPEG、WebP)")


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
            hint="在终端中运行(会显示每个值来自哪张截图并询问),或加 --yes 直接采用",
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
        out.print("[yellow]截图中没有识别出订单信息[/](截图可能太模糊);证据已登记,其余请手动填写。")
    if yes or not d.values:
        return d
    if Confirm.ask("采用这些值吗?(之后仍可在 case.yaml 中修改)", default=True, console=out):
        return d
    return Draft(values={}, evidence=d.evidence, readings=d.readings)
