"""Control and bidi characters in any text of the case: they would reach merchants' forms and e-mails."""

from __future__ import annotations

from collections.abc import Iterator

from kameng_filer.checks.base import Context
from kameng_filer.findings import Finding
from kameng_filer.textsafe import BIDI_CHARS, describe_char, has_unsafe, unsafe_chars


def check(ctx: Context) -> Iterator[Finding]:
    """An error per field holding control characters (other than line breaks and tabs) or bidi controls."""
    if not has_unsafe("\n".join(text for _, text in ctx.strings)):
        return  # the usual case: one scan of all the text
    for path, text in ctx.strings:
        found = unsafe_chars(text)
        if not found:
            continue
        names = "、".join(dict.fromkeys(describe_char(ch) for ch in found))
        kind = "双向排版控制字符" if all(ch in BIDI_CHARS for ch in found) else "控制字符"
        yield ctx.finding(
            "text.control_chars",
            path,
            f"含有 {len(found)} 个不可见的{kind}（{names}），会原样发给商家和平台，可能让文字显示错乱或被改写",
            "删除这些字符：重新输入该字段，或从纯文本编辑器复制；换行和制表符可以保留",
        )
