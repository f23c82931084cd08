"""Evidence files: each must exist and really be an image, PDF, video, audio recording or text; ids unique."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

from kameng_filer.case.containment import evidence_refusal, written_path
from kameng_filer.checks.base import Context, items, text_of
from kameng_filer.checks.sniff import KIND_LABELS, sniff_file
from kameng_filer.findings import Finding


def resolve(base_dir: Path, file: str) -> Path:
    """An evidence path as written, resolved against the case file's folder (``~`` expanded)."""
    return written_path(base_dir, file)


def check(ctx: Context) -> Iterator[Finding]:
    """Missing, unreadable or non-evidence files, extension mismatches, and duplicate evidence ids."""
    seen: dict[str, int] = {}
    for i, item in items(ctx.raw, "evidence"):
        ev_id = text_of(item.get("id"))
        if ev_id and ev_id.strip():
            key = ev_id.strip()
            if key in seen:
                yield ctx.finding(
                    "evidence.duplicate_id",
                    f"evidence[{i}].id",
                    f"证据编号「{key}」重复（第 {seen[key] + 1} 项已经用过）",
                    "给每份证据起不同的编号，沟通记录按编号引用证据",
                )
            else:
                seen[key] = i
        file = item.get("file")
        if isinstance(file, str) and file.strip():
            if _refused(ctx, i, file.strip()):
                continue  # reported by the loader (evidence.outside_case); the file is never opened
            yield from _check_file(ctx, f"evidence[{i}].file", file.strip())


def _allowed(raw: dict) -> list[str]:
    value = raw.get("allow_outside")
    value = [value] if isinstance(value, str) else value
    return [f for f in value if isinstance(f, str)] if isinstance(value, list) else []


def _refused(ctx: Context, index: int, file: str) -> bool:
    """True when evidence item ``index`` lies outside the case folder (the case's answer when valid)."""
    case = ctx.case
    if case is not None and index < len(case.evidence) and case.evidence[index].file == file:
        return case.evidence[index].refusal is not None
    return evidence_refusal(ctx.base_dir, file, _allowed(ctx.raw)) is not None


def _check_file(ctx: Context, path: str, file: str) -> Iterator[Finding]:
    p = resolve(ctx.base_dir, file)
    try:
        st = p.stat()
    except FileNotFoundError:
        yield ctx.finding(
            "evidence.file_missing",
            path,
            f"证据文件不存在：{file}（查找位置 {p}）",
            "检查文件名和大小写；相对路径以案件文件所在文件夹为起点，例如 evidence/order.png",
        )
        return
    except (OSError, ValueError) as exc:
        yield ctx.finding(
            "evidence.file_unreadable",
            path,
            f"证据文件无法访问：{file}",
            f"检查路径是否正确、是否有读取权限（{type(exc).__name__}）",
        )
        return
    if not stat.S_ISREG(st.st_mode):
        yield ctx.finding(
            "evidence.file_unreadable", path, f"证据路径不是文件：{file}", "指向具体的文件，而不是文件夹"
        )
        return
    if st.st_size == 0:
        yield ctx.finding(
            "evidence.file_unreadable", path, f"证据文件是空的（0 字节）：{file}", "重新截图或重新导出该证据"
        )
        return
    try:
        sniffed = sniff_file(p)
    except OSError as exc:
        yield ctx.finding(
            "evidence.file_unreadable",
            path,
            f"证据文件无法读取：{file}",
            f"检查文件权限，或重新复制该文件（{type(exc).__name__}）",
        )
        return
    if sniffed.format is None:
        yield ctx.finding(
            "evidence.file_type",
            path,
            f"证据文件不可用：{file} —— {sniffed.problem}",
            "证据请用截图（PNG/JPG）、PDF、录屏视频、录音或纯文本；重新截图或导出后替换该文件",
        )
        return
    if not sniffed.fits_extension(p.suffix):
        label = KIND_LABELS.get(sniffed.kind or "", "")
        yield ctx.finding(
            "evidence.extension_mismatch",
            path,
            f"证据文件 {file} 的扩展名与内容不符：内容是 {sniffed.format.upper()} {label}",
            f"把文件改名为以 {sniffed.extension} 结尾，部分渠道按扩展名识别上传的文件",
        )
