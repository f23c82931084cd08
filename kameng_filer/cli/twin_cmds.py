"""``kameng twins``: run the local channel twins until Ctrl-C / SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kameng_filer import paths
from kameng_filer.cli.common import console, fail, handle_errors, print_json_line

if TYPE_CHECKING:
    from kameng_filer.twins.registry import TwinSet


def _accounts(name: str, info: dict[str, Any]) -> list[str]:
    """Human-readable seeded data of one twin (read from what its ``info()`` holds, not from its name)."""
    lines = []
    for acc in info.get("accounts", []):
        lines.append(f"会员账号 {acc['username']} / 密码 {acc['password']}")
    orders = [o for o in info.get("orders", []) if isinstance(o, dict)]
    for o in orders:
        if o.get("phone"):  # guest orders looked up by the purchase phone
            lines.append(f"订单 {o['order_no']}（{o['product']}）下单手机 {o['phone']}")
    owned = [o["order_no"] for o in orders if o.get("owner")]
    if owned:
        lines.append("会员订单 " + "、".join(owned))
    if _is_mail(info):
        auth = info.get("auth")
        lines.append(
            f"SMTP {info['host']}:{info['port']},"
            + (f"AUTH {auth['username']} / {auth['password']}" if auth else "无需登录")
        )
        lines.append(f"收到的邮件保存在 {info['messages_dir']}")
    return lines


def _is_mail(info: dict[str, Any]) -> bool:
    """A mail twin (an SMTP server keeping received messages) rather than a web site."""
    return "messages_dir" in info


def print_twins(twins: TwinSet) -> None:
    """The table of running twins, then each one's seeded data and test-only helpers."""
    from kameng_filer.cli.tables import data_table, idcol, textcol

    rows = [[name, twin.title, twin.url] for name, twin in twins.items()]
    cols = [idcol("名称"), textcol("模拟的渠道"), idcol("地址")]
    console.print(data_table(cols, rows, title="本地孪生站点（仅监听 127.0.0.1）", console=console))
    for name, twin in twins.items():
        console.print(f"\n[bold]{name}[/] {twin.url}")
        info = twin.info()
        notes = _accounts(name, info)
        if not _is_mail(info):
            notes.append(f"短信发件箱（仅测试/演示）：{twin.url}/_twin/outbox")
            notes.append(f"验证码答案（仅测试/演示）：{twin.url}/_twin/captcha")
            notes.append(f"接收记录（仅测试）：{twin.url}/_twin/state")
        for line in notes:
            console.print(f"  · {line}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``kameng twins``."""

    @app.command("twins")
    @handle_errors
    def twins_cmd(
        port: int | None = typer.Option(
            None, "--port", help="第一个孪生站点的端口，其余依次 +1；不填则自动选空闲端口"
        ),
        only: str | None = typer.Option(None, "--only", help="只启动这些（逗号分隔），如 card_a,card_b,email"),
        data_dir: Path | None = typer.Option(
            None, "--data-dir", help="孪生站点保存数据的文件夹（默认在数据目录下 twins/）"
        ),
        as_json: bool = typer.Option(
            False, "--json", help="启动后输出一行 JSON {twins: [{name, title, url}], data_dir}，然后一直运行"
        ),
    ) -> None:
        """启动本地孪生站点（卡盟 A/B 类、邮箱等），按 Ctrl-C 停止。"""
        from kameng_filer.twins.registry import UnknownTwin, available, start_twins
        from kameng_filer.twins.server import TwinServerError

        names = [n.strip() for n in only.split(",") if n.strip()] if only else available()
        unknown = [n for n in names if n not in available()]
        if unknown:
            fail(f"没有这些孪生站点：{', '.join(unknown)}", hint=f"可用:{', '.join(available())}", code=2)
        if port is not None and not 1 <= port <= 65535 - len(names):
            fail(f"端口 {port} 无效", hint="使用 1024–65000 之间的端口，或不填让系统自动选择", code=2)
        folder = data_dir or paths.sub("twins")
        try:
            twins = start_twins(names, data_dir=folder, base_port=port)
        except (TwinServerError, OSError) as exc:
            fail(f"孪生站点启动失败：{exc}", hint="端口可能已被占用；换一个 --port 或不填")
            return
        except UnknownTwin as exc:
            fail(str(exc), code=2)
            return
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if as_json:
                items = [{"name": n, "title": t.title, "url": t.url} for n, t in twins.items()]
                print_json_line({"twins": items, "data_dir": str(folder)})
            else:
                print_twins(twins)
                console.print(f"数据目录：{folder}")
                console.print("孪生站点运行中，按 Ctrl-C 停止。", markup=False)
            while not stop.wait(0.5):
                pass
        finally:
            twins.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not as_json:
            console.print("孪生站点已全部停止。")
