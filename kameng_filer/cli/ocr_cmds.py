"""``kameng read`` and ``kameng redact``: read evidence screenshots offline; cover personal data before posting."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from kameng_filer.cli.common import console, fail, handle_errors, print_json

_FIELD_NAMES = {
    "order.order_no": "订单号",
    "order.amount": "金额(元)",
    "order.ordered_at": "下单时间",
    "order.paid_at": "支付时间",
    "order.product": "商品",
    "order.payment.method": "支付方式",
    "order.payment.transaction_no": "交易号",
    "respondent.platform": "平台",
    "respondent.merchant.name": "商家",
    "order.card_key": "卡密（敏感）",
    "complainant.phone": "手机号",
}


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, or a clear error naming it."""
    if not path.is_file():
        fail(f"找不到图片文件：{path}", hint="检查路径是否正确（可以一次给多张截图）")
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"无法读取图片文件：{path}({exc.strerror})", hint="检查文件权限")
    return b""


def _masked(value: str) -> str:
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:] if len(value) > 4 else "****"


@handle_errors
def read(
    images: list[Path] = typer.Argument(..., help="要识别的截图（PNG/JPEG/WebP），可以多张"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
    show_secrets: bool = typer.Option(False, "--show-secrets", help="完整显示卡密（默认只显示首尾）"),
) -> None:
    """识别证据截图（离线 OCR）：截图类型、文字、能填入案件记录的字段（订单号、金额、时间、交易号等）。"""
    from kameng_filer.ocr.engine import read_image
    from kameng_filer.ocr.fields import KINDS, extract, merge

    results = []
    for path in images:
        data = _read_bytes(path)
        results.append(extract(str(path), read_image(data, name=str(path))))
    if as_json:
        print_json({"files": [r.as_json() for r in results], "case": merge(results)})
        return
    for r in results:
        console.print(f"[bold]{escape(r.file)}[/] —— {KINDS.get(r.kind, r.kind)}({r.kind})")
        if not r.lines:
            console.print("  [yellow]没有识别出文字[/]（图片可能太模糊或太小）")
        for path, f in r.fields.items():
            value = str(f["value"])
            if f.get("secret") and not show_secrets:
                value = _masked(value)
            label = _FIELD_NAMES.get(path, path)
            console.print(f"  {label} [dim]{path}[/]:{escape(value)}  [dim]置信度 {f['confidence']:.2f}[/]")
        secrets = [str(f["value"]) for f in r.fields.values() if f.get("secret")] if not show_secrets else []
        console.print("  [dim]文字：[/]")
        for ln in r.lines:
            text = ln.text
            for s in secrets:
                text = text.replace(s, _masked(s))
            console.print(f"    {escape(text)}")


@handle_errors
def redact(
    image: Path = typer.Argument(..., help="要遮盖的截图"),
    output: Path = typer.Option(..., "--output", "-o", help="遮盖后的图片保存到这里（原图不变）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
) -> None:
    """遮盖截图中的手机号、身份证号、卡密、邮箱、QQ/微信号、游戏账号、姓名、地址和二维码（黑色实心框），另存一份。"""
    from kameng_filer.ocr.redact import redact as run_redact

    data = _read_bytes(image)
    if output.exists() and not force:
        fail(f"输出文件已存在：{output}", hint="换一个文件名，或加 --force 覆盖")
    if output.resolve() == image.resolve():
        fail("输出文件不能是原图本身", hint="用 -o 指定另一个文件名，原图保持不变")
    result = run_redact(data, name=str(image))
    if not result.confident:
        fail(
            f"无法可靠地遮盖 {image}:{result.problem}",
            hint="没有写出任何文件；请手动检查并遮盖这张图片",
        )
    try:
        output.write_bytes(result.data)
    except OSError as exc:
        fail(f"无法写入 {output}({exc.strerror})", hint="检查文件夹是否存在并且可写")
    if as_json:
        print_json({"file": str(image), "output": str(output), **result.as_json()})
        return
    if result.boxes:
        console.print(
            f"[green]已遮盖[/] {len(result.boxes)} 处（{'、'.join(result.reasons)}），"
            f"占画面 {result.covered * 100:.1f}% → {escape(str(output))}"
        )
    else:
        console.print(f"没有发现需要遮盖的内容，已另存 → {escape(str(output))}")


def register(app: typer.Typer) -> None:
    """Add ``read`` and ``redact`` to the ``kameng`` app."""
    app.command("read")(read)
    app.command("redact")(redact)
