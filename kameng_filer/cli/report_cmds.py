"""``kameng report``: record what the person sees in an app or on a site (complaint number, status, note).

For the assisted channels (支付宝, 微信支付) this is how a complaint filed in the app enters the store:
``--number`` records the complaint number and marks the filing ``submitted``; ``--status`` records
each status change (商家已回复, 平台介入, 已完成, 撤诉 …) as a ``status`` event with its time and the
normalised state the tracker uses. Works for every channel (a person may report what they saw).
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from kameng_filer import paths
from kameng_filer.adapter import Adapter, Receipt
from kameng_filer.cli.caseref import resolve_case
from kameng_filer.cli.common import console, handle_errors, parse_now, print_json
from kameng_filer.errors import KamengError
from kameng_filer.filing.assisted import AssistedAdapter, safe_name, screenshot_validator
from kameng_filer.filing.status_words import STATES, known_words, normalise_status
from kameng_filer.vocab import REPORTER_KEY, Reporter

_GENERIC_NUMBER = re.compile(r"\S{1,200}")


def validate_number(adapter: Adapter, text: str) -> str | None:
    """The channel's own check for assisted channels; otherwise any 1–200 visible characters."""
    if isinstance(adapter, AssistedAdapter):
        return adapter.validate_number(text)
    if not _GENERIC_NUMBER.fullmatch(text.strip()):
        return f"「{text}」不是有效的投诉编号（不能为空、不能含空格）"
    return None


def keep_screenshot(case_id: str, channel: str, text: str, at: datetime) -> Path | None:
    """Copy a reported screenshot into the data folder (the original may be deleted later)."""
    problem = screenshot_validator(text)
    if problem:
        raise KamengError(problem, hint="--screenshot 写截图文件的路径")
    value = text.strip().strip("'\"")
    if not value:
        return None
    src = Path(value).expanduser()
    folder = paths.artifacts_dir() / safe_name(case_id) / f"{safe_name(channel)}-reports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{at:%Y%m%d-%H%M%S}-{safe_name(src.name)}"
    shutil.copyfile(src, target)
    return target


def record_number(
    store: Any,
    case_id: str,
    adapter: Adapter,
    channel: str,
    number: str,
    *,
    at: datetime,
    screenshot: Path | None,
    note: str | None,
) -> tuple[Any, bool]:
    """Mark the complaint filing ``submitted`` with ``number``; returns (filing, changed)."""
    problem = validate_number(adapter, number)
    if problem:
        raise KamengError(problem, hint="按 App / 网站上显示的投诉单号原样填写")
    number = number.strip()
    filing = store.get_filing(case_id, channel)
    if filing is not None and filing.state == "submitted":
        if filing.complaint_no == number:
            return filing, False
        raise KamengError(
            f"案件 {case_id} 在「{adapter.spec.title}」已记录投诉编号 {filing.complaint_no}，与 {number} 不同",
            hint=(
                f"如果这是一次新的投诉，先建立新的记录：kameng file {case_id} --channels {channel} --again；"
                "否则检查单号是否抄错"
            ),
        )
    if filing is None:
        filing = store.create_filing(case_id, channel, state="planned", at=at)
    receipt = Receipt(
        complaint_no=number,
        filed_at=at,
        status=None,
        screenshot=screenshot,
        extra={"reported_by": "person", "note": note} if note else {"reported_by": "person"},
    )
    updated = store.update_filing(
        filing.id,
        expect_state=filing.state,
        state="submitted",
        complaint_no=number,
        receipt=receipt.to_dict(),
        submitted_at=at,
        error=None,
        retryable=False,
        at=at,
        event_data={"reported_by": "person"},
    )
    return updated, True


def record_status(
    store: Any,
    case_id: str,
    adapter: Adapter,
    channel: str,
    filing: Any,
    *,
    status: str | None,
    state: str | None,
    note: str | None,
    shot: Path | None,
    at: datetime,
) -> dict[str, Any]:
    """Record a status the person saw (``kameng report --status``) as a ``status`` event; the recorded item."""
    if filing is None:
        raise KamengError(
            f"案件 {case_id} 在「{adapter.spec.title}」还没有投诉记录，无法记录状态",
            hint=f"先记录投诉单号：kameng report {case_id} --channel {channel} --number 投诉单号",
        )
    raw = (status or "").strip() or state or ""
    meaning = normalise_status(channel, raw) if status else None
    if meaning is None and not state:
        words = "、".join(known_words(channel))
        raise KamengError(
            f"不认识「{adapter.spec.title}」的状态「{raw}」",
            hint=f"已知状态：{words}；或加 --state {'/'.join(STATES)} 指定它的含义",
        )
    norm = state or (meaning.state if meaning else "open")
    data = {
        "channel": channel,
        "raw": raw,
        "state": norm,
        "event": meaning.event if meaning and not state else None,
        "complaint_no": filing.complaint_no,
        REPORTER_KEY: Reporter.PERSON,
    }
    if note:
        data["note"] = note
    if shot:
        data["screenshot"] = str(shot)
    ev = store.add_event(case_id, "status", data, filing_id=filing.id, at=at)
    return {"kind": "status", "event_id": ev.id, "at": at.isoformat(), **data}


def register(app: typer.Typer) -> None:
    """Add ``report``."""

    @app.command("report")
    @handle_errors
    def report_cmd(
        case: str = typer.Argument(..., help="已保存的案件编号，或案件文件（或文件夹）路径"),
        channel: str = typer.Option(..., "--channel", "-c", help="渠道名，如 alipay、wechat_pay、12315"),
        status: str = typer.Option(
            None, "--status", "-s", help="App / 网站上看到的状态，如 商家已回复、平台介入、已完成、撤诉"
        ),
        number: str = typer.Option(
            None, "--number", "-n", help="App / 网站显示的投诉单号（记录后该渠道视为已提交）"
        ),
        screenshot: str = typer.Option(None, "--screenshot", help="截图文件路径（会复制到数据目录保存）"),
        note: str = typer.Option(None, "--note", help="备注，如 商家答复的要点"),
        state: str = typer.Option(None, "--state", help=f"状态词无法识别时指定标准状态：{'/'.join(STATES)}"),
        at: str = typer.Option(None, "--at", help="看到该状态的时间（ISO，默认现在）"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出记录结果"),
    ) -> None:
        """记录本人在 App 或网站上看到的投诉单号、状态变化和备注（支付宝、微信支付等需本人操作的渠道）。"""
        from kameng_filer.filing.channels import resolve
        from kameng_filer.store import Store

        if not any((status, number, note, screenshot, state)):
            raise KamengError(
                "没有要记录的内容", hint="用 --number 记录投诉单号,--status 记录状态,--note 记录备注"
            )
        if state and state not in STATES:
            raise KamengError(
                f"--state 只能是：{'/'.join(STATES)}", hint="、".join(f"{k}={v}" for k, v in STATES.items())
            )
        inst = resolve(channel)
        adapter = inst.adapter
        stamp = parse_now(at, option="--at")
        store = Store.open()
        ref = resolve_case(case, store, import_file=True)
        case_id = ref.id
        shot = keep_screenshot(case_id, inst.name, screenshot, stamp) if screenshot else None
        recorded: list[dict[str, Any]] = []
        filing = store.get_filing(case_id, inst.name)

        if number:
            filing, changed = record_number(
                store, case_id, adapter, inst.name, number, at=stamp, screenshot=shot, note=note
            )
            recorded.append({"kind": "number", "complaint_no": filing.complaint_no, "changed": changed})

        if status or state:
            item = record_status(
                store,
                case_id,
                adapter,
                inst.name,
                filing,
                status=status,
                state=state,
                note=note,
                shot=shot,
                at=stamp,
            )
            recorded.append(item)
        elif note or (shot and not number):
            data = {"channel": inst.name, "note": note or "", REPORTER_KEY: Reporter.PERSON}
            if shot:
                data["screenshot"] = str(shot)
            ev = store.add_event(case_id, "note", data, filing_id=filing.id if filing else None, at=stamp)
            recorded.append({"kind": "note", "event_id": ev.id, "at": stamp.isoformat(), **data})

        if as_json:
            print_json(
                {
                    "case": case_id,
                    "channel": inst.name,
                    "filing": None
                    if filing is None
                    else {
                        "id": filing.id,
                        "state": filing.state,
                        "complaint_no": filing.complaint_no,
                    },
                    "recorded": recorded,
                }
            )
            return
        for item in recorded:
            if item["kind"] == "number":
                verb = "已记录" if item["changed"] else "此前已记录"
                console.print(
                    f"{verb}「{adapter.spec.title}」投诉单号 {item['complaint_no']}，该渠道状态：已提交"
                )
            elif item["kind"] == "status":
                console.print(
                    f"已记录状态「{item['raw']}」（{STATES[item['state']]}），时间 {stamp:%Y-%m-%d %H:%M}"
                )
            else:
                console.print(f"已记录备注，时间 {stamp:%Y-%m-%d %H:%M}")
        if shot:
            console.print(f"截图已保存：{escape(str(shot))}")
