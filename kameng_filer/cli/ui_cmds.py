"""``kameng ui``: start the local web workspace on 127.0.0.1 and open it in the browser."""

from __future__ import annotations

import contextlib
import signal
import threading
import webbrowser
from typing import Any

import typer
from rich.markup import escape

from kameng_filer.cli.common import console, err_console, handle_errors
from kameng_filer.errors import KamengError


def serve(port: int, *, open_browser: bool, lan: bool = False, demo: Any = None) -> None:
    """Serve on 127.0.0.1:``port`` (0 = any free port), print the URL with its token, run until Ctrl-C.

    ``lan`` also serves the read-only phone guide pages to the local network; ``demo`` is the demo's
    scripted answerer (``--demo``)."""
    from kameng_filer.twins.server import TwinServerError
    from kameng_filer.ui import UiServer, create_app
    from kameng_filer.ui.lan import LanAccess

    access = LanAccess() if lan else None
    server = UiServer(create_app(lan=access, demo=demo), port=port, lan=lan)
    try:
        server.start()
    except TwinServerError:
        raise KamengError(
            f"端口 {port} 已被占用或不能使用",
            hint="换一个端口，例如 kameng ui --port 8765；或不写 --port 自动选择空闲端口",
        ) from None
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        console.print("[bold]卡盟投诉工作台已启动[/]（只在本机 127.0.0.1 上运行，按 Ctrl+C 停止）")
        console.print("在浏览器打开下面的地址（地址里的令牌只用于本次启动，不要分享给别人）：")
        console.print(server.entry_url, markup=False, soft_wrap=True)
        if access is not None:
            console.print(
                f"局域网访问已开启：同一局域网的手机只能打开操作指引页面（地址 {access.host}:{access.port_ref[0]}，"
                "扫描支付宝/微信支付指引页上的二维码）；工作台本身仍只在本机可用。"
            )
        if open_browser:
            webbrowser.open(server.entry_url)
        with contextlib.suppress(KeyboardInterrupt):
            while server.running and not stop.wait(0.5):
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    console.print("工作台已停止。")


def register(app: typer.Typer) -> None:
    """Add ``kameng ui``."""

    @app.command("ui")
    @handle_errors
    def ui_cmd(
        port: int = typer.Option(0, "--port", min=0, max=65535, help="监听的端口（默认自动选择空闲端口）"),
        no_browser: bool = typer.Option(False, "--no-browser", help="不自动打开浏览器，只显示地址"),
        demo: bool = typer.Option(
            False, "--demo", help="演示：启动孪生站点、载入示例纠纷，在单独的演示数据文件夹里打开工作台"
        ),
        lan: bool = typer.Option(
            False,
            "--lan",
            help="启动时就开启局域网访问：同一局域网的手机可扫码打开支付宝/微信支付操作指引（只读，带令牌；也可在设置页随时开关）",
        ),
    ) -> None:
        """打开本机网页工作台：我的纠纷、期限与日历导出、案件详情，在网页里提交投诉（验证码在页面里回答）、记录结果与升级。"""
        if not demo:
            serve(port, open_browser=not no_browser, lan=lan)
            return
        from kameng_filer import paths
        from kameng_filer.ui.demo import demo_workspace

        home = paths.data_dir() / "demo"
        err_console.print("演示模式：启动本地孪生站点，载入两个示例纠纷（与您自己的案件分开）……")
        with demo_workspace(home) as answerer:
            err_console.print(
                f"演示数据保存在：{escape(str(home))}。在网页里选择渠道提交，验证码可由标明“演示”的按钮代读。"
            )
            serve(port, open_browser=not no_browser, lan=lan, demo=answerer)
