"""Run each bare filing script once against fresh in-process twins and check what each twin stored.

Run: .venv/bin/python bench/check_bare_scripts.py
Exits non-zero (with the reason) unless every twin received exactly one complaint with the expected
fields and files; prints each script's wall time.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bare_scripts import (  # noqa: E402
    EVIDENCE,
    ORDER_NO,
    TEXTS,
    bare_association,
    bare_card_a_http,
    bare_gov12315,
    bare_heimao,
)
from kameng_filer.twins.registry import start_twins  # noqa: E402

TWIN_OPTIONS = {"gov12315": {"notice_seconds": 2}}
NAMES = [p.name for p in EVIDENCE]


def _check_gov12315(rec: dict[str, Any], number: str) -> None:
    assert re.fullmatch(r"\d{25}", number) and rec["number"] == number, number
    assert rec["enterprise_id"] == "E0001" and rec["enterprise_manual"] is False
    assert rec["consumer_address"] == "北京市朝阳区望京街道某小区3号楼502"
    assert (rec["product_name"], rec["category_code"]) == ("王者荣耀点券 1000点", "1301")
    assert (rec["sales_method"], rec["platform_name"], rec["merchant_name"]) == (
        "网购",
        "星辰卡盟",
        "小王点卡",
    )
    assert rec["problem_category"] == "合同"
    assert (rec["unit_code"], rec["unit_path"]) == ("330110", "浙江省/杭州市/余杭区")
    assert rec["request"] == TEXTS["12315"]["request"]
    assert rec["content"].replace("\r\n", "\n") == TEXTS["12315"]["content"]
    assert rec["typing"]["typed_events"] * 2 >= len(rec["content"])
    assert rec["order_no"] == ORDER_NO
    assert [f["name"] for f in rec["attachments"]] == NAMES


def _check_heimao(rec: dict[str, Any], number: str) -> None:
    assert re.fullmatch(r"\d{11}", number) and rec["number"] == number, number
    assert (rec["company_id"], rec["company_name"]) == ("C1001", "星辰卡盟")
    assert rec["issues"] == ["未发货"] and rec["demands"] == ["退款", "道歉赔偿"]
    assert rec["amount"] == "100.00"
    assert rec["title"] == TEXTS["heimao"]["title"]
    assert rec["description"].replace("\r\n", "\n") == TEXTS["heimao"]["description"]
    assert [f["name"] for f in rec["images"]] == NAMES


def _check_association(rec: dict[str, Any], number: str) -> None:
    assert re.fullmatch(r"XH\d{12}", number) and rec["number"] == number, number
    assert (rec["name"], rec["phone"]) == ("张三", "13800138000")
    assert rec["respondent_name"] == "星辰网络科技有限公司"
    assert (rec["purchase_date"], rec["goods"], rec["amount"]) == (
        "2026-11-02",
        "王者荣耀点券 1000点",
        "100.00",
    )
    assert rec["facts"].replace("\r\n", "\n") == TEXTS["consumer_association"]["facts"].strip()
    assert rec["demand"].replace("\r\n", "\n") == TEXTS["consumer_association"]["demand"].strip()
    assert [f["name"] for f in rec["attachments"]] == NAMES


def _check_card_a(rec: dict[str, Any], number: str) -> None:
    assert re.fullmatch(r"TK\d{12}[0-9A-F]{8}", number) and rec["ticket_no"] == number, number
    assert (rec["ticket_type"], rec["order_no"], rec["priority"]) == ("售后支持", ORDER_NO, "中")
    assert rec["title"] == TEXTS["card_platform"]["title"]
    assert rec["content"] == TEXTS["card_platform"]["content"].strip()
    assert [f["name"] for f in rec["files"]] == NAMES


Check = Callable[[dict[str, Any], str], None]
SCRIPTS: list[tuple[str, str, Callable[[str], Awaitable[str]], Check]] = [
    ("bare_gov12315", "gov12315", bare_gov12315, _check_gov12315),
    ("bare_heimao", "heimao", bare_heimao, _check_heimao),
    ("bare_association", "association", bare_association, _check_association),
    ("bare_card_a_http", "card_a", bare_card_a_http, _check_card_a),
]


def main() -> int:
    """Start the twins, run every bare script once, check the twins' state; 0 when all pass."""
    failed = 0
    with tempfile.TemporaryDirectory(prefix="kameng-bare-check-") as tmp:
        twins = start_twins(
            [twin for _, twin, _, _ in SCRIPTS], data_dir=Path(tmp) / "twins", options=TWIN_OPTIONS
        )
        try:
            for label, twin_name, script, check in SCRIPTS:
                twin = twins[twin_name]
                t0 = time.perf_counter()
                try:
                    number = asyncio.run(script(twin.url))
                    wall = time.perf_counter() - t0
                    state = twin.snapshot()  # type: ignore[attr-defined]
                    subs = state["submissions"]
                    assert len(subs) == 1 and len(state["records"]) == 1, (
                        f"{len(subs)} submissions, rejections: {state['rejections']}"
                    )
                    assert subs[0]["number"] == number
                    check(state["records"][0], number)
                except Exception as exc:  # report every script, then fail
                    failed += 1
                    print(f"  {label:18s} FAILED after {time.perf_counter() - t0:6.2f} s: {exc!r}")
                    continue
                print(f"  {label:18s} {wall:6.2f} s   receipt {number}")
        finally:
            twins.stop()
    print("all bare scripts OK" if not failed else f"{failed} bare script(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
