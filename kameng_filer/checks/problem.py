"""三明确 ①: a specific problem type and summary, and a title that says what happened."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kameng_filer.case.model import PROBLEM_LABELS, ProblemType
from kameng_filer.checks.base import Context
from kameng_filer.findings import Finding

MIN_SPECIFIC_SUMMARY = 12  # characters; shorter "other" summaries rarely say what happened
_PUNCT = re.compile(r"[\s\W_]+")


def check(ctx: Context) -> Iterator[Finding]:
    """Vague ``other`` problems, a better type suggested by keywords, and vague titles."""
    case = ctx.case
    if case is None:
        return
    lex = ctx.lexicon
    summary = case.problem.summary
    if case.problem.type == ProblemType.other:
        suggestion = _suggest(lex.problem_keywords, summary + " " + case.title)
        vague_words = lex.find("vague_problems", summary)
        if vague_words or len(_PUNCT.sub("", summary)) < MIN_SPECIFIC_SUMMARY:
            said = f"(“{'”“'.join(vague_words)}”)" if vague_words else ""
            yield ctx.finding(
                "problem.vague",
                "problem.type",
                f"问题类型为“其他”，描述也比较笼统{said}：平台和监管部门需要知道具体是什么问题",
                (lex.hint("vague_problems", vague_words) + ";" if vague_words else "")
                + "选择具体的问题类型（kameng schema 或 docs/case-format.md 列出全部），"
                "并写清时间、金额和发生了什么",
            )
        elif suggestion is not None:
            yield ctx.finding(
                "problem.other_type",
                "problem.type",
                f"问题描述看起来属于「{PROBLEM_LABELS[suggestion]}」，但问题类型填的是“其他”",
                f"把 problem.type 改为 {suggestion.value}，投诉文本和证据要求会更贴切",
            )
    title = _PUNCT.sub("", case.title)
    vague_titles = lex.vague_titles
    if title and (title in vague_titles or not _PUNCT.sub("", _strip_all(case.title, vague_titles))):
        yield ctx.finding(
            "title.vague",
            "title",
            f"标题“{case.title}”过于笼统，看不出是什么问题",
            lex.hint("vague_titles", lex.find("vague_titles", case.title))
            or "标题写订单号和问题，例如“订单XX-商品未到账，附支付凭证”",
        )


def _strip_all(text: str, words: dict[str, str]) -> str:
    for w in sorted(words, key=len, reverse=True):
        text = text.replace(w, "")
    return text


def _suggest(keywords: dict[str, tuple[str, ...]], text: str) -> ProblemType | None:
    """The first problem type whose keywords appear in ``text``."""
    for value, words in keywords.items():
        if value in ProblemType.__members__ and any(w and w in text for w in words):
            return ProblemType(value)
    return None
