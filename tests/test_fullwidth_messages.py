"""Guard: the product's Chinese messages use full-width punctuation (scripts/fullwidth_sources.py).

The whole-tree test runs the rewriter's ``--check`` rules on the real sources; the other tests pin
the rewriter's rules on small sources (what it must rewrite and what it must leave alone).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent

ALLOWED: dict[str, str] = {}
"""``where`` (file:line) of a message that keeps ASCII punctuation on purpose → why."""

PENDING: frozenset[str] = frozenset()
"""Files left out of the last rewrite (being edited at the time): rewrite them, then empty this."""


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fullwidth_sources", ROOT / "scripts" / "fullwidth_sources.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


fw = _load()


def _py(src: str, site: str = "") -> str:
    report = fw.Report()
    holder = fw.Site.__new__(fw.Site)
    holder.text = site
    return fw.rewrite_python(src, "x.py", report, holder)


def test_product_messages_are_fullwidth() -> None:
    """No product literal or UI template text still has ASCII ``, : ; ? ! ( )`` touching Chinese."""
    report = fw.run(ROOT, tests=False)
    left = [
        f"{c.where}: {c.old!r} → {c.new!r}"
        for c in report.changes
        if c.where not in ALLOWED and c.where.split(":")[0] not in PENDING
    ]
    assert not left, "运行 python scripts/fullwidth_sources.py 改写：\n" + "\n".join(left[:40])


def test_plain_and_concatenated_literals() -> None:
    """A message is rewritten as a whole, across the pieces of an implicit concatenation."""
    src = 'x = ("找不到文件,请检查路径(或文件名)" "。下一步:" "重新运行")\n'
    assert _py(src) == 'x = ("找不到文件，请检查路径（或文件名）" "。下一步：" "重新运行")\n'
    assert _py('y = ("第一段," "第二段")\n') == 'y = ("第一段，" "第二段")\n'


def test_fstring_fields_and_format_specs_stay() -> None:
    """Only an f-string's literal parts change; fields, conversions and format specs are kept."""
    src = "m = f\"共 {n:,} 个,约 {size / 1024:.1f} KB({name!r}),{'、'.join(xs)}:完成\"\n"
    out = _py(src)
    assert "{n:,}" in out and "{size / 1024:.1f}" in out and "{name!r}" in out and "{'、'.join(xs)}" in out
    assert out == "m = f\"共 {n:,} 个，约 {size / 1024:.1f} KB({name!r}),{'、'.join(xs)}：完成\"\n"


def test_strings_inside_fields_follow_the_rules() -> None:
    """A message inside a field's expression is rewritten; the expression's code is not."""
    src = "m = f\"名称:{value if value else '(无)'}\"\n"
    assert _py(src) == "m = f\"名称：{value if value else '（无）'}\"\n"


@pytest.mark.parametrize(
    "src",
    [
        'def f():\n    """Internal note (见 docs, 第 2 节)."""\n',
        'x = 1\n"""Attribute doc: 平台(名称)."""\n',
        'd = {"金额(元)": 1}\n',
        'v = labels["金额(元)"]\n',
        'ok = text == "提交成功,请等待"\n',
        'ok = "页面不存在:" in text\n',
        'ok = text in ("已受理:处理中", "已办结")\n',
        'rx = re.compile("订单号:(\\\\d+)")\n',
        'log.info("提交完成,编号 %s", no)\n',
        'parts = text.split("编号:")\n',
        'await page.get_by_text("提交投诉(必填)").click()\n',
        'btn = page.locator("button", has_text="确认,提交")\n',
        'r = r"原样(不改)"\n',
        'b = b"\\xe4(x)"\n',
        'match s:\n    case "已受理:处理中":\n        pass\n',
        'word = _words(T, "状态", "A filing state (``planned`` → 待提交).")\n',
        'note = "The 证据清单 of a case version (newest first), as in the 投诉书."\n',
    ],
)
def test_lookups_and_code_stay(src: str) -> None:
    """Docstrings, keys, compared/looked-up text, regexes, log lines and raw strings keep their marks."""
    assert _py(src) == src


def test_command_docstrings_are_help_text() -> None:
    """A decorated function's Chinese docstring is a command's --help text: it is rewritten."""
    src = '@handle_errors\ndef check():\n    """检查案件(三明确):必填信息。"""\n'
    assert _py(src) == '@handle_errors\ndef check():\n    """检查案件（三明确）：必填信息。"""\n'
    plain = 'def values():\n    """交易号, 原因 — as the app asks them."""\n'
    assert _py(plain) == plain


@pytest.mark.parametrize(
    ("src", "kept"),
    [
        ('h = "例如 --channels card_platform@站点配置名,email(见列表)"\n', "站点配置名,email"),
        ('h = "添加 logged_in:只有登录后才看得到的元素(如 {role: link, name: 退出登录})"\n', "{role: link, name: 退出登录}"),
        ('h = "请写 field: 或 value: 之一"\n', "field: 或 value: 之一"),
        ('h = "打开 https://例子.cn/投诉?id=1 查看(详情)"\n', "https://例子.cn/投诉?id=1"),
        ('h = "金额写成 1,200.00,时间 09:20(北京时间)"\n', "1,200.00"),
        ('h = "X-WR-CALNAME:投诉期限"\n', "X-WR-CALNAME:投诉期限"),
        ('h = "检查缩进与冒号;文字里有 : 或 # 时加引号"\n', "文字里有 : 或 # 时"),
    ],
)
def test_copyable_syntax_stays(src: str, kept: str) -> None:
    """Commands, YAML snippets, URLs, numbers and protocol lines the person copies keep ASCII marks."""
    out = _py(src)
    assert kept in out


def test_site_labels_stay() -> None:
    """A literal quoting a channel site's own words is not rewritten (we look for it on the page)."""
    src = 'label = "问题描述(必填)"\nmsg = "请填写描述(必填)"\n'
    out = _py(src, site="<label>问题描述(必填)</label>")
    assert out == 'label = "问题描述(必填)"\nmsg = "请填写描述（必填）"\n'


def test_rewrite_is_settled_and_idempotent() -> None:
    """A comma made full-width can make a bracket pair touch Chinese: the result is a fixed point."""
    src = 'm = f"指向{why}({real}),拒绝读取"\n'
    once = _py(src)
    assert once == 'm = f"指向{why}（{real}），拒绝读取"\n'
    assert _py(once) == once


def test_template_text_nodes_only() -> None:
    """In a template only text nodes change: tags, attributes, Jinja code and scripts are kept."""
    report = fw.Report()
    src = (
        '<p title="说明(可选)">说明(可选):{{ value or "无,空" }}</p>\n'
        "<script>const s = '中文,逗号';</script>{# 备注,不改 #}\n"
    )
    out = fw.rewrite_template(src, "t.html", report)
    assert out == (
        '<p title="说明(可选)">说明（可选）：{{ value or "无,空" }}</p>\n'
        "<script>const s = '中文,逗号';</script>{# 备注,不改 #}\n"
    )


def test_tests_follow_the_product_texts() -> None:
    """A test's quote of a rewritten message gets the same rewrite; an ambiguous quote is left.

    A quote found in no product text (put together at run time) is rewritten by the same rules.
    """
    report = fw.Report()
    product = 'raise Err(f"渠道服务器错误(HTTP {code}),请稍后再试")\nx = "站点需要登录,但没有指定账号"\n'
    fw.rewrite_python(product, "p.py", report, None)
    quotes = fw.Quotes(report.changes, [*report.unchanged, 'label = "需要登录,但"'])
    test = (
        'assert "站点需要登录,但没有指定账号" in out\n'
        'assert "(HTTP 429),请稍后再试" not in out\n'
        'assert "需要登录,但" in out\n'
        'assert f"{x}服务器错误(HTTP" in out\n'
    )
    assert fw.rewrite_test(test, quotes) == (
        'assert "站点需要登录，但没有指定账号" in out\n'
        'assert "（HTTP 429），请稍后再试" not in out\n'
        'assert "需要登录,但" in out\n'
        'assert f"{x}服务器错误（HTTP" in out\n'
    )


def test_check_exit_code_and_exclude(tmp_path: Path) -> None:
    """``--check`` exits 1 and changes nothing; ``--exclude`` leaves a file alone."""
    pkg = tmp_path / "kameng_filer"
    pkg.mkdir()
    (tmp_path / "tests").mkdir()
    a, b = pkg / "a.py", pkg / "b.py"
    a.write_text('A = "第一,第二"\n', encoding="utf-8")
    b.write_text('B = "第三,第四"\n', encoding="utf-8")
    assert fw.main([str(tmp_path), "--check"]) == 1
    assert a.read_text(encoding="utf-8") == 'A = "第一,第二"\n'
    assert fw.main([str(tmp_path), "--exclude", "kameng_filer/b.py"]) == 0
    assert a.read_text(encoding="utf-8") == 'A = "第一，第二"\n'
    assert b.read_text(encoding="utf-8") == 'B = "第三,第四"\n'
    assert fw.main([str(tmp_path), "--check", "--exclude", "kameng_filer/b.py"]) == 0


def test_technical_detail_in_fullwidth_brackets_is_split() -> None:
    """Messages now close with full-width brackets: the technical part is still split off."""
    from kameng_filer.wording import split_technical

    assert split_technical("网页未保存（TimeoutError: page.goto timed out）") == (
        "网页未保存",
        "TimeoutError: page.goto timed out",
    )
    assert split_technical("网页未保存(net::ERR_CONNECTION_REFUSED)") == ("网页未保存", "net::ERR_CONNECTION_REFUSED")


def test_asserted_messages_put_together_follow_the_rules() -> None:
    """An asserted message built from several product pieces is rewritten; the test's own input is not."""
    quotes = fw.Quotes([], [])
    test = (
        'CASE = "商家说:已发货"\n'
        'assert "fields.title.lable(第 5 行)" in err\n'
        'assert "商家说:已发货" in out\n'
        'x = "不是断言,不改"\n'
    )
    assert fw.rewrite_test(test, quotes) == test.replace("lable(第 5 行)", "lable（第 5 行）")
