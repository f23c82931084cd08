"""``kameng file`` (file a case on channels) and ``kameng login`` (store a channel password in keyring)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

import typer
from rich.markup import escape

from kameng_filer.cli import verbosity
from kameng_filer.cli.common import console, err_console, fail, handle_errors, parse_now, print_json
from kameng_filer.cli.outcomes import outcome_view
from kameng_filer.cli.progress import working
from kameng_filer.errors import CaseInvalid
from kameng_filer.filing.channels import parse_channels
from kameng_filer.filing.engine import FileOptions
from kameng_filer.filing.person import default_person
from kameng_filer.filing.preflight import check_prepared, raise_if_any
from kameng_filer.filing.run import (
    Prepared,
    execute,
    plan_table,
    prepare,
    prepare_and_execute,
    run_sync,
)
from kameng_filer.secrets import env_name, set_secret


def exit_code(states: list[str]) -> int:
    """0 when every channel ended well, 3 when some need the person, 4 when another run was filing
    some of them (nothing failed), 1 on failures."""
    ok = ("submitted", "planned", "already_filed")
    if all(s in ok for s in states):
        return 0
    if all(s in (*ok, "needs_person") for s in states):
        return 3
    if all(s in (*ok, "needs_person", "in_progress") for s in states):
        return 4
    return 1


def confirm_or_exit(out: Any) -> None:
    """Ask the person to confirm the plans; exit without filing when they decline or cannot answer."""
    if not sys.stdin.isatty():
        fail("需要确认后才会提交，但当前没有终端可以确认", hint="确认内容无误后加 --yes 重新运行", code=1)
    if not typer.confirm("确认按以上内容提交？", default=False):
        out.print("已取消，未提交任何内容。")
        raise typer.Exit(0)


def register(app: typer.Typer) -> None:
    """Add ``file``, ``login`` and ``demo``."""
    register_demo(app)

    @app.command("file")
    @handle_errors
    def file_cmd(
        case: str = typer.Argument(..., help="案件文件（或文件夹）路径，或已保存的案件编号"),
        channels: str = typer.Option(
            ..., "--channels", "-c", help="渠道，逗号分隔；卡盟站点写 card_platform@站点配置名"
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="在浏览器中填写到最后一步，不提交，保存截图"),
        yes: bool = typer.Option(False, "--yes", "-y", help="不再询问确认"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
        again: bool = typer.Option(False, "--again", help="在已提交过的渠道上再提交一次"),
        force: str = typer.Option(None, "--force", help="原样提交情绪化或含糊表述（12315、消协、黑猫除外），或同时向12315和消协提交的理由（会被记录）"),
        headed: bool = typer.Option(False, "--headed", help="显示浏览器窗口"),
        retries: int = typer.Option(2, "--retries", min=0, max=10, help="渠道无法连接时的重试次数"),
        now: str = typer.Option(None, "--now", help="检查时使用的当前时间（ISO）"),
        public_images_reviewed: bool = typer.Option(
            False,
            "--public-images-reviewed",
            help="无法自动遮盖的图片本人已检查过，仍上传到公开渠道（黑猫）",
        ),
    ) -> None:
        """检查案件、展示每个渠道将提交的内容，确认后并发提交，保存回执。"""
        from kameng_filer.ocr.public import set_reviewed
        from kameng_filer.store import Store

        set_reviewed(public_images_reviewed)

        store = Store.open()
        tokens = parse_channels(channels)
        out = err_console if as_json else console
        options = FileOptions(
            dry_run=dry_run, again=again, retries=retries, headed=headed, force_reason=force
        )
        person = default_person(err_console)

        def show_plans(prepared: Prepared) -> None:
            # the case is checked and planned: accounts and passwords of every channel, before the
            # plans are shown, confirmed or sent
            raise_if_any(check_prepared(prepared))
            if not as_json:
                for adapter, plan in prepared.work:
                    out.print(plan_table(adapter, plan))

        try:
            if yes or dry_run:  # no confirmation: Chromium starts while the case is being checked
                _, outcomes = run_sync(
                    prepare_and_execute(
                        store,
                        case,
                        tokens,
                        person,
                        options,
                        now=parse_now(now),
                        console=err_console,
                        show_progress=not as_json and not verbosity.quiet(),
                        on_prepared=show_plans,
                    )
                )
            else:
                with working(err_console, "正在检查案件、准备各渠道的提交内容"):
                    prepared = prepare(store, case, tokens, now=parse_now(now), force_reason=force)
                show_plans(prepared)
                if prepared.work:
                    if prepared.failed:  # say what will not be sent before asking
                        out.print("[yellow]以下渠道不会提交：[/]")
                        for o in prepared.failed:
                            hint = f"（建议：{o.hint}）" if o.hint else ""
                            out.print(f"  · {escape(o.channel)}:{escape(o.error or '')}{escape(hint)}")
                    confirm_or_exit(out)
                outcomes = run_sync(
                    execute(
                        store,
                        prepared,
                        person,
                        options,
                        console=err_console,
                        show_progress=not as_json and not verbosity.quiet(),
                    )
                )
        except CaseInvalid as exc:
            if as_json:
                error = {"code": "case_invalid", "message": exc.message, "hint": "运行 kameng check 查看全部问题"}
                print_json({"filings": [], "findings": [f.to_dict() for f in exc.issues], "error": error})
                raise typer.Exit(1) from None
            else:
                for f in exc.issues:
                    if f.severity == "error":
                        err_console.print(
                            f"[red]错误[/] {escape(f.path)}: {escape(f.message)}  [dim]{escape(f.hint or '')}[/]"
                        )
            fail(exc.message, hint="运行 kameng check 查看全部问题")
        if as_json:
            print_json({"filings": [o.to_dict() for o in outcomes]})
        else:
            console.print(outcome_view(outcomes, console=console))
        raise typer.Exit(exit_code([o.state for o in outcomes]))

    @app.command("login")
    @handle_errors
    def login_cmd(
        channel: str = typer.Argument(..., help="渠道名（卡盟站点写 card_platform@站点配置名）"),
        account: str = typer.Option(..., "--account", "-a", help="账号（用户名/手机号/邮箱）"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 {channel, account, stored}"),
    ) -> None:
        """把渠道账号的密码保存到系统密钥环（不会写入任何文件）。"""
        from kameng_filer.secrets import keyring_usable

        env = env_name(channel, account)
        if not account.strip():
            fail("账号不能为空", hint=f"例如 kameng login {channel} --account 你的账号", code=2)
        if not keyring_usable():  # say so before asking for a password that could not be kept
            fail(
                "本机没有可用的系统密钥环（keyring），无法保存密码",
                hint=f"改用环境变量 {env}（只在当前终端有效）；或 pip install keyrings.alt 并设置 "
                "PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring（只做编码、不加密）后重新运行",
                error="no_keyring",
            )
        if not sys.stdin.isatty():
            fail("需要在终端中输入密码", hint=f"无终端时可改用环境变量 {env}")
        password = getpass.getpass(f"{channel} 账号 {account} 的密码（输入不显示）：")
        if not password:
            fail("密码为空，未保存")
        set_secret(channel, account, password)
        if as_json:
            print_json({"channel": channel, "account": account, "stored": "keyring"})
            return
        console.print(f"已保存到系统密钥环：{escape(channel)} / {escape(account)}")


def register_demo(app: typer.Typer) -> None:
    """Add ``demo``."""

    @app.command("demo")
    @handle_errors
    def demo_cmd(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果")) -> None:
        """启动本地孪生站点，把示例案件提交到每个内置渠道（演示：验证码由脚本代替本人读取）。"""
        from kameng_filer.demo import run_demo

        out = err_console if as_json else console
        if not as_json:
            out.rule("[bold]kameng-filer 演示")
            out.print(
                "本演示只连接本机 127.0.0.1 上的孪生站点；验证码与短信由[magenta]演示脚本[/]代替本人读取，真实使用时由您本人输入。"
            )
        outcomes, info = run_sync(run_demo(console=out, show_progress=not as_json))
        if as_json:
            print_json({"filings": [o.to_dict() for o in outcomes], "home": info["home"]})
        else:
            console.print(outcome_view(outcomes, console=console))
            console.print(f"演示数据（数据库、截图、回执页面）保存在：{escape(str(info['home']))}")
        ok = all(o.state == "submitted" for o in outcomes)
        if not ok and not as_json:
            err_console.print("[red]有渠道没有提交成功，见上表。[/]")
        raise typer.Exit(0 if ok else 1)
