"""How a ``kameng file`` / ``kameng demo`` run ended, per channel: state, receipt number, reason, next step.

Receipt numbers and channel names are never cut (see ``cli.tables``); screenshot and receipt paths are
listed below the table, one whole path per line, so they can be copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.text import Text

from kameng_filer import wording
from kameng_filer.cli import verbosity
from kameng_filer.cli.tables import data_table, idcol, textcol

COLORS = {"submitted": "green", "planned": "cyan", "already_filed": "yellow", "in_progress": "yellow"}


def _reason(o: Any) -> str:
    message, detail = wording.split_technical(o.error or "")
    parts = [message] if message else []
    if detail and verbosity.level() > 0:
        parts.append(f"技术细节：{detail}")
    if o.hint and o.state != "submitted":
        parts.append(f"建议：{o.hint}")
    return "\n".join(parts) or "—"


def _paths(o: Any) -> list[str]:
    arts = [str(a) for a in o.artifacts if a]
    shot = (o.receipt or {}).get("screenshot") if isinstance(o.receipt, dict) else None
    if shot and str(shot) not in arts:
        arts.insert(0, str(shot))
    return arts


def outcome_view(outcomes: Sequence[Any], *, console: Console) -> RenderableType:
    """The results table (channel, state, receipt number, reason) and the saved files below it."""
    rows = []
    files: list[Text] = []
    for o in outcomes:
        number = (o.receipt or {}).get("complaint_no") if isinstance(o.receipt, dict) else None
        state = Text(wording.outcome_state(o.state), style=COLORS.get(o.state, "red"))
        rows.append([o.channel, state, number or "—", _reason(o)])
        for path in _paths(o):
            files.append(Text.assemble((f"{o.channel}:", "bold"), path))
    cols = [idcol("渠道"), idcol("状态"), idcol("投诉编号"), textcol("原因 / 建议", min_width=16)]
    table = data_table(cols, rows, title="提交结果", console=console)
    if not files:
        return table
    return Group(table, Text("截图与回执：", style="bold"), *files)
