"""Fitting a rendered field into its length limit by dropping whole parts in a declared order.

Templates wrap every optional part in ``{% if show.<part> %}``; the order number, the core facts
(problem, summary, amount) and the demand are never wrapped, so they can never be dropped. When a
field is too long, parts are switched off one by one in ``drop_order(channel)`` and the field is
rendered again — text is never cut mid-sentence. When even the core does not fit, ``RenderError``
names the field and its limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kameng_filer.channels import FieldSpec
from kameng_filer.errors import RenderError

PART_LABELS: dict[str, str] = {
    "closing": "结束语",
    "attach": "标题中的附件说明",
    "evidence": "证据清单",
    "prior_detail": "此前投诉的渠道与日期",
    "law_text": "法条内容摘要",
    "rule_text": "平台规则原文",
    "law": "法律依据",
    "rules": "平台规则引用",
    "contacts": "沟通记录",
    "timeline": "时间线细节",
    "order_detail": "订单细节（时间、平台、商品）",
    "promise": "商家承诺",
    "summary": "问题概述与理由的后半部分（已缩写）",
}
"""Every droppable part, with its Chinese name (templates may use exactly these in ``show``)."""

DROP_ORDER: tuple[str, ...] = (
    "closing",
    "attach",
    "evidence",
    "prior_detail",
    "law_text",
    "rule_text",
    "law",
    "rules",
    "contacts",
    "timeline",
    "order_detail",
    "promise",
)
"""Default order: the first part is dropped first."""

AUTHORITY_ORDER: tuple[str, ...] = (
    "closing",
    "attach",
    "evidence",
    "prior_detail",
    "rule_text",
    "law_text",
    "rules",
    "law",
    "contacts",
    "timeline",
    "order_detail",
    "promise",
)
"""Drop order for authorities (12315, 消协): they weigh the law more than a platform's own terms."""


def drop_order(channel: str) -> tuple[str, ...]:
    """The order in which ``channel``'s texts give up parts to fit.

    Authorities (declared ``role="official"``: 12315, 消协) weigh the law more than the platform's own
    terms, so their texts keep the law longest.
    """
    from kameng_filer import registry
    from kameng_filer.errors import KamengError

    try:
        official = registry.spec(channel.split("@", 1)[0]).role == "official"
    except KamengError:
        official = False
    return AUTHORITY_ORDER if official else DROP_ORDER


def all_parts() -> dict[str, bool]:
    """A fresh mapping with every part switched on."""
    return dict.fromkeys(PART_LABELS, True)


class Switches(dict):
    """The ``show`` mapping templates see: part name → on/off; remembers which parts a render looked at.

    A part whose switch was not read while rendering cannot change that text, so fitting skips the
    re-render for it. ``off`` names the parts switched off since the last ``reset`` (in that order):
    together with the fixed start (every part on) it is the whole state, so
    ``kameng_filer.render.memo`` can use it as a key. It becomes None when anything else changes the
    mapping (a template calling ``show.update(…)``, say), and such a state is never remembered.
    """

    def __init__(self) -> None:
        super().__init__(all_parts())
        self.read: set[str] = set()
        self.off: tuple[str, ...] | None = ()

    def __getitem__(self, key: str) -> bool:
        self.read.add(key)
        return super().__getitem__(key)

    def __getattr__(self, name: str) -> bool:
        # ``show.rules`` in a template: Jinja tries the attribute first and falls back to ``show["rules"]``.
        # Answering here (a read like any other) spares that failed attribute lookup its exception.
        if name.startswith("__") or name in ("read", "off"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def switch_off(self, part: str) -> None:
        """Switch ``part`` off (fitting drops it)."""
        if dict.get(self, part) is not False:
            dict.__setitem__(self, part, False)
            if self.off is not None:
                self.off = (*self.off, part)

    def reset(self) -> None:
        """Switch every part on again and forget what was read."""
        dict.update(self, all_parts())
        self.read.clear()
        self.off = () if len(self) == len(PART_LABELS) else None  # a template may have added a key

    def _changed(self, name: str) -> Any:
        self.off = None
        return getattr(super(), name)

    def __setitem__(self, key: str, value: bool) -> None:
        self._changed("__setitem__")(key, value)

    def __delitem__(self, key: str) -> None:
        self._changed("__delitem__")(key)

    def __ior__(self, other: Any) -> Switches:  # type: ignore[override,misc]
        self._changed("__ior__")(other)
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """``dict.update`` (the state is no longer known from ``off``)."""
        self._changed("update")(*args, **kwargs)

    def pop(self, *args: Any) -> Any:  # type: ignore[override]
        """``dict.pop`` (the state is no longer known from ``off``)."""
        return self._changed("pop")(*args)

    def popitem(self) -> tuple[str, bool]:
        """``dict.popitem`` (the state is no longer known from ``off``)."""
        return self._changed("popitem")()

    def setdefault(self, *args: Any) -> Any:  # type: ignore[override]
        """``dict.setdefault`` (the state is no longer known from ``off``)."""
        return self._changed("setdefault")(*args)

    def clear(self) -> None:
        """``dict.clear`` (the state is no longer known from ``off``)."""
        self._changed("clear")()


class FieldTooLong(RenderError):
    """A field is still too long with every droppable part gone; ``over`` says by how many characters."""

    def __init__(self, message: str, *, field: str, over: int, **kw: Any) -> None:
        super().__init__(message, field=field, **kw)
        self.over = over


def _too_long(field: FieldSpec, text: str) -> bool:
    return field.max_len is not None and len(text) > field.max_len


def fit_field(
    render_once: Callable[[], str], show: Switches, field: FieldSpec, order: tuple[str, ...]
) -> tuple[str, list[str]]:
    """Render ``field`` until it fits, switching parts off in ``show`` in ``order``.

    Returns the text and the parts that were dropped (only those whose removal changed the text).
    Raises ``RenderError`` when the text is still too long with every part dropped, or too short.
    """
    show.reset()
    text = render_once()
    dropped: list[str] = []
    for part in order:
        if not _too_long(field, text):
            break
        if not dict.get(show, part, False):
            continue
        looked_at = part in show.read
        show.switch_off(part)
        if not looked_at:
            continue
        show.read.clear()
        shorter = render_once()
        if shorter != text:
            dropped.append(part)
            text = shorter
    if _too_long(field, text):
        gone = "、".join(PART_LABELS[p] for p in dropped) or "（无可省略部分）"
        raise FieldTooLong(
            f"「{field.label}」（{field.name}）最多 {field.max_len} 个字，省略{gone}之后仍有 {len(text)} 个字，"
            "无法在不截断句子的情况下放下",
            field=field.name,
            over=len(text) - (field.max_len or 0),
            hint="精简案件里的问题概述（problem.summary）、商品名称或诉求备注，或改用字数上限更宽的渠道",
        )
    problem = field.check_text(text)
    if problem:
        raise RenderError(
            f"渲染结果不符合字段要求：{problem}",
            field=field.name,
            hint="补充案件里的问题概述（problem.summary）与诉求（demands），或检查自定义模板",
        )
    return text, dropped
