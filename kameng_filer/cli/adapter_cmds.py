"""``kameng adapter check|try|record|new`` and ``kameng adapters list``: write, test and list channels and site profiles."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from kameng_filer.cli.common import console, err_console, fail, handle_errors, print_json


def register(app: typer.Typer) -> None:
    """Add the ``adapter`` and ``adapters`` command groups."""
    adapter_app = typer.Typer(
        help="站点配置与渠道插件：检查、试填、录制草稿、生成插件骨架。", no_args_is_help=True
    )
    adapters_app = typer.Typer(help="列出所有渠道与站点配置。", no_args_is_help=True)
    app.add_typer(adapter_app, name="adapter")
    app.add_typer(adapters_app, name="adapters")

    @adapter_app.command("check")
    @handle_errors
    def check_cmd(
        profile: str = typer.Argument(..., help="站点配置的名称或 YAML 文件路径"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    ) -> None:
        """检查站点配置：格式错误（字段路径 + 怎么改）和容易失效的写法（警告）。"""
        from kameng_filer.filing.lint import check

        result = check(profile)
        if as_json:
            data = result.to_dict()
            if not result.ok:
                data["error"] = {
                    "code": "profile_invalid",
                    "message": f"站点配置 {profile} 有 {len(result.errors)} 处错误：{result.errors[0]}",
                    "hint": "按 errors 中每一条修改；格式见 docs/adapters.md",
                }
            print_json(data)
            raise typer.Exit(0 if result.ok else 1)
        # selectors such as .empty-list:not([hidden]) are printed literally: every datum is escaped
        where = escape(f"({result.source})") if result.source != profile else ""
        for line in result.errors:
            err_console.print(f"[bold red]错误[/] {escape(line)}", markup=True, highlight=False)
        for line in result.warnings:
            console.print(f"[yellow]警告[/] {escape(line)}")
        if result.ok:
            prof = result.profile
            assert prof is not None
            console.print(
                f"[green]站点配置 {escape(prof.name)} 可以使用[/]{where}:{len(prof.fields)} 个字段，{len(prof.steps)} 个步骤"
                + (f",{len(result.warnings)} 条警告" if result.warnings else "")
            )
            raise typer.Exit(0)
        err_console.print(
            f"站点配置 {escape(profile)}{where} 有 {len(result.errors)} 处错误，格式见 docs/adapters.md"
        )
        raise typer.Exit(1)

    @adapter_app.command("try")
    @handle_errors
    def try_cmd(
        profile: str = typer.Argument(..., help="站点配置的名称或 YAML 文件路径"),
        case: str = typer.Option(..., "--case", help="用哪个案件的值来填（案件文件或已保存的案件编号）"),
        url: str = typer.Option(None, "--url", help="站点地址（覆盖站点配置的 base_url）"),
        account: str = typer.Option(None, "--account", "-a", help="登录账号（密码用 kameng login 保存）"),
        channel: str = typer.Option(
            None, "--channel", help="渠道实例名，默认 <渠道>@<站点配置名>（读取它的配置与登录状态）"
        ),
        headed: bool = typer.Option(False, "--headed", help="显示浏览器窗口"),
        timeout: int = typer.Option(3000, "--timeout", min=200, max=120_000, help="找每个字段最多等多少毫秒"),
        upload: bool = typer.Option(
            False, "--upload", help="真的把证据文件上传到站点（默认只找到上传控件，不上传）"
        ),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    ) -> None:
        """打开真实页面，按案件逐项试填（不提交、默认不上传），报告每个字段找到没有、用哪种方式找到、为什么没找到，并截图。"""
        from kameng_filer.cli.caseref import resolve_case
        from kameng_filer.config import channel_settings, load_config
        from kameng_filer.filing.lint import channel_of
        from kameng_filer.filing.person import default_person
        from kameng_filer.filing.probe import try_profile
        from kameng_filer.filing.profile import load_profile
        from kameng_filer.filing.run import run_sync

        ref = resolve_case(case)
        prof = load_profile(profile)
        instance = channel or f"{channel_of(prof)}@{prof.name}"
        cfg = load_config()
        settings = {**channel_settings(instance.split("@", 1)[0], cfg), **channel_settings(instance, cfg)}
        settings.pop("profile", None)
        if url:
            settings["base_url"] = url
        if account:
            settings["account"] = account
        from kameng_filer.settings_check import check_settings

        settings = check_settings(instance, settings, "站点设置（config.yaml 与 --url/--account）")
        out = err_console if as_json else console
        person = default_person(err_console)
        result = run_sync(
            try_profile(
                profile,
                ref.case,
                person=person,
                channel=instance,
                settings=settings,
                headed=headed,
                timeout_ms=timeout,
                progress=None if as_json else (lambda text: out.print(f"[dim]… {escape(text)}[/]")),
                upload=upload,
            )
        )
        code = 0 if result.ok else (3 if result.needs_person else 1)
        if as_json:
            print_json(result.to_dict())
            raise typer.Exit(code)
        table = Table(title=escape(f"试填 {result.profile}({result.url})—— 没有提交"), show_lines=False)
        table.add_column("项目", style="bold")
        table.add_column("结果")
        table.add_column("怎么找到的 / 为什么没找到", overflow="fold")
        table.add_column("填写的值", overflow="fold")
        for item in result.items:
            if item.skipped:
                mark = "[dim]跳过[/]"
                how = item.reason
            elif item.ok:
                mark = "[green]找到[/]"
            else:
                mark = (
                    "[red]没找到[/]" if item.required or item.kind != "field" else "[yellow]没找到（选填）[/]"
                )
            if item.ok and not item.skipped:
                how = item.strategy + (f"\n{item.reason}" if item.reason else "")
            elif not item.skipped:
                how = item.reason
            if not item.ok:
                if item.tried:
                    how += "\n" + ";".join(item.tried)
                if item.suggestions:
                    how += f"\n页面上相近的文字：{'、'.join(item.suggestions)}"
            name = (
                item.label
                if item.kind == "field"
                else {"step": "步骤", "submit": "提交按钮"}[item.kind] + f" {item.label}"
            )
            table.add_row(escape(name), mark, escape(how), escape(item.value))
        console.print(f"登录:{escape(result.login or '—')}")
        console.print(table)
        if result.screenshot:
            console.print(f"截图：{escape(result.screenshot)}")
        if result.error:
            err_console.print(f"[bold red]错误：[/] {escape(result.error)}")
            if result.hint:
                err_console.print(f"[yellow]建议：[/] {escape(result.hint)}")
        if result.ok:
            console.print("[green]所有必填字段都找到了，提交按钮也在。[/]")
        elif not result.error:
            console.print("[red]有必填字段没找到：按上表修改站点配置，再运行本命令。[/]")
        raise typer.Exit(code)

    @adapter_app.command("record")
    @handle_errors
    def record_cmd(
        url: str = typer.Argument(..., help="表单页面的地址"),
        out: Path = typer.Option(None, "--output", "--out", "-o", help="写入这个文件（默认打印）"),
        headed: bool = typer.Option(False, "--headed", help="显示浏览器窗口"),
    ) -> None:
        """打开页面，按页面上有标签的输入框和按钮起草一份站点配置（草稿，需人工核对）。"""
        from kameng_filer.filing.record import record
        from kameng_filer.filing.run import run_sync

        if not url.startswith(("http://", "https://")):
            fail(f"不是网址：{url}", hint="写完整地址，如 https://example.com/ticket/new", code=2)
        if out is not None and out.exists():
            fail(f"文件已存在：{out}", hint="换一个 --out，或先删除它", code=2)
        result = run_sync(record(url, headed=headed))
        if result.unmapped:
            err_console.print("没能对应到渠道字段的输入框（请在草稿里写 field: 或 value：）：", markup=False)
            for line in result.unmapped:
                err_console.print(f"  {line}", markup=False)
        if out is None:
            console.print(result.text, markup=False, highlight=False, soft_wrap=True)
            return
        out.write_text(result.text, encoding="utf-8")
        console.print(
            f"草稿已写入 {out}。下一步：kameng adapter check {out}，再 kameng adapter try {out} --case 案件.yaml",
            markup=False,
        )

    @adapter_app.command("new")
    @handle_errors
    def new_cmd(
        name: str = typer.Argument(..., help="新渠道的名字（小写字母、数字、下划线），如 acme_shop"),
        folder: Path = typer.Option(Path("."), "--dir", help="在这个目录下生成 kameng-plugin-<名字>/"),
        title: str = typer.Option(None, "--title", help="渠道的中文名称"),
        profiles: bool = typer.Option(False, "--profiles", help="同时生成 profiles/ 包（插件自带站点配置）"),
    ) -> None:
        """生成一个渠道插件骨架：入口点、适配器、模板、期限策略、孪生站点和测试；装上即可通过自带测试。"""
        from kameng_filer.scaffold import files_of, scaffold

        root = scaffold(name, folder, title=title, with_profiles=profiles)
        console.print(f"已生成插件 {root}:", markup=False)
        for rel in files_of(root):
            console.print(f"  {rel}", markup=False)
        console.print(
            f"下一步：cd {root} && pip install -e . && pytest；之后 kameng adapters list 里能看到 {name}",
            markup=False,
        )

    @adapters_app.command("list")
    @handle_errors
    def list_cmd(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
        """列出每个渠道（适配器）和每份站点配置：类型、字段、来源（内置 / 插件 / 用户）。"""
        from kameng_filer import paths
        from kameng_filer.catalog import inventory

        data = inventory()
        if as_json:
            print_json(data)
            return
        from rich.text import Text

        from kameng_filer.cli.tables import data_table, idcol, textcol

        rows: list[list[str | Text]] = []
        for a in data["adapters"]:
            fields = "、".join(f["label"] + ("" if f["required"] else "(选填)") for f in a["fields"])
            rows.append([a["name"], a.get("title", ""), a["kind"], fields or a.get("error", ""), a["source"]])
        cols = [idcol("名称"), textcol("标题"), idcol("类型"), textcol("字段"), textcol("来源")]
        console.print(data_table(cols, rows, title="渠道（适配器）", console=console))
        rows = []
        for item in data["profiles"]:
            if "error" in item:
                error = Text(item["error"].splitlines()[0], style="red")
                rows.append([item["name"], "", error, "", "", item["source"]])
                continue
            fields = "、".join(item["fields"])
            rows.append([item["name"], item["channel"], item["title"], item["kind"], fields, item["source"]])
        cols = [idcol("名称"), idcol("渠道"), textcol("标题"), idcol("方式"), textcol("字段"), textcol("来源")]
        title = "站点配置（用法：--channels <渠道>@<站点配置名>）"
        console.print(data_table(cols, rows, title=title, console=console))
        for item in data["profiles"]:
            if "error" in item:
                err_console.print(
                    f"警告：站点配置文件 {item['path']} 无法使用，已跳过：{item['error'].splitlines()[0]}"
                    f"（详情：kameng adapter check {item['path']}）",
                    markup=False,
                    highlight=False,
                )
        console.print(
            f"自己写的站点配置放在：{paths.user_profiles_dir()}（格式见 docs/adapters.md）", markup=False
        )
