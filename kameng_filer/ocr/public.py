"""Images for public channels (黑猫) and public exports: redacted, or left out when redaction is not certain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_reviewed = False


def set_reviewed(flag: bool) -> None:
    """Record that the person checked the public images themselves (``kameng file --public-images-reviewed``)."""
    global _reviewed
    _reviewed = flag


def reviewed() -> bool:
    """True when images that could not be redacted may still go public (the person checked them)."""
    return _reviewed


@dataclass(frozen=True)
class PublicImage:
    """The bytes to publish (None: leave the image out) and a Chinese note for the plan or summary."""

    data: bytes | None
    redacted: bool
    note: str


def for_public(data: bytes, *, case: Any, name: str) -> PublicImage:
    """``data`` with personal data, card keys and codes covered; None when that cannot be done with confidence
    (OCR unavailable, unreadable image), unless the person said they checked the images."""
    from kameng_filer.ocr.redact import redact

    result = redact(data, case=case, name=name)
    if result.confident:
        what = "、".join(result.reasons) if result.reasons else "未发现需要遮盖的内容"
        return PublicImage(result.data, True, f"{name}:已遮盖({what})")
    if _reviewed:
        return PublicImage(data, False, f"{name}:未能自动遮盖({result.problem}),本人已确认检查过,按原图上传")
    return PublicImage(
        None,
        False,
        f"{name}:未能自动遮盖({result.problem}),不上传到公开渠道;检查后可加 --public-images-reviewed 上传",
    )
