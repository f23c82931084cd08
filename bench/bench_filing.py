"""Filing speed: both 卡盟 twins + e-mail concurrently vs each alone vs a bare Playwright/smtplib script.

Run: .venv/bin/python bench/bench_filing.py [--rounds 3]
Prints median wall times and the two ratios the issue targets:
  concurrent / slowest-alone  (target ≤ 1.3)    and    kameng per channel / bare script  (target ≤ 1.25)
Every run files for real on fresh local twins (new data folder each round, no stored login), so the
browser start, the login with its captcha/SMS step, the upload and the receipt are all in the figure.
The twins run in their own process (``kameng twins``), as a real site would, so they do not compete
with the filer for the Python interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kameng_filer.browser import launch_options  # noqa: E402
from tests.filing_support import configure, file_now, scripted  # noqa: E402

TWINS = ["card_a", "card_b", "email"]
LATENCY = 0.0
"""Seconds added to every twin request (``--latency``), to model a real site's network round trip."""


def _free_base() -> int:
    for base in range(18700, 19900, 10):
        ok = True
        for port in range(base, base + len(TWINS)):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    ok = False
        if ok:
            return base
    raise SystemExit("no free ports")


@contextmanager
def start_twins(names: list[str], *, data_dir: Path):
    """The twins in a separate ``kameng twins`` process; yields name → object with url/host/port."""
    base = _free_base()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "kameng"),
            "twins",
            "--port",
            str(base),
            "--only",
            ",".join(TWINS),
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    twins = {
        name: SimpleNamespace(url=f"http://127.0.0.1:{base + i}", host="127.0.0.1", port=base + i)
        for i, name in enumerate(TWINS)
    }
    deadline = time.monotonic() + 30
    while True:
        try:
            if all(
                httpx.get(twins[n].url + "/_twin/health", timeout=1).status_code == 200
                for n in ("card_a", "card_b")
            ):
                with socket.create_connection(("127.0.0.1", twins["email"].port), timeout=1):
                    break
        except (httpx.HTTPError, OSError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("twins did not start")
        time.sleep(0.2)
    if LATENCY:
        for name in ("card_a", "card_b"):
            httpx.post(twins[name].url + "/_twin/faults", json={"delay": LATENCY}, timeout=5)
    try:
        yield twins
    finally:
        proc.terminate()
        proc.wait(10)


CASE = ROOT / "examples" / "case.yaml"
EVIDENCE = sorted((ROOT / "examples" / "evidence").glob("*.png"))
CHANNELS = ["card_platform@a", "card_platform@b", "email"]


def kameng_run(channels: list[str]) -> float:
    """Wall time of filing ``channels`` with kameng on fresh twins and a fresh data folder."""
    home = Path(tempfile.mkdtemp(prefix="kameng-bench-"))
    os.environ["KAMENG_HOME"] = str(home)
    try:
        with start_twins(TWINS, data_dir=home / "twins") as ts:
            configure(ts, channels)
            person = scripted(ts, channels)
            t0 = time.perf_counter()
            outcomes = file_now(CASE, channels, person)
            wall = time.perf_counter() - t0
        bad = [o for o in outcomes if o.state != "submitted"]
        if bad:
            raise SystemExit(f"filing failed: {bad}")
        return wall
    finally:
        shutil.rmtree(home, ignore_errors=True)


async def bare_card_a(url: str) -> None:
    """The minimum a hand-written Playwright script does for family A."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        page = await (await browser.new_context()).new_page()
        await page.goto(url + "/login?next=/tickets")
        await page.fill("#username", "demo")
        await page.fill("#password", "demo-pass")
        async with httpx.AsyncClient() as c:
            answer = (await c.get(url + "/_twin/captcha")).json()["latest"]
        await page.fill("#captcha", answer)
        await page.click("#login-submit")
        await page.wait_for_url("**/tickets")
        await page.goto(url + "/tickets/new")
        await page.select_option("#ticket_type", "aftersale")
        await page.select_option("#order_id", "KM20261102150012")
        await page.set_input_files("#proof", [str(p) for p in EVIDENCE])
        await page.check("#priority-medium")
        await page.fill("#title", "订单KM20261102150012-充值未到账,附支付凭证")
        await page.fill(
            "#content", "2026年11月2日支付100.00元购买王者荣耀点券1000点,至今未到账,要求全额退款。" * 5
        )
        await page.click("#ticket-submit")
        await page.wait_for_url("**/tickets/TK*")
        await browser.close()


async def bare_card_b(url: str) -> None:
    """The minimum a hand-written Playwright script does for family B."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        page = await (await browser.new_context()).new_page()
        await page.goto(url + "/complaint")
        await page.fill("#order_no", "KM20261102150012")
        await page.fill("#phone", "13800138000")
        await page.click("#send-code")
        await page.wait_for_selector("#sms-status")
        async with httpx.AsyncClient() as c:
            code = (await c.get(url + "/_twin/outbox")).json()["messages"][-1]["code"]
        await page.fill("#sms_code", code)
        await page.click("#verify-submit")
        await page.wait_for_url("**/complaint/form")
        await page.select_option("#complaint_type", label="未收到货")
        await page.fill(
            "#description",
            "2026年11月2日支付100.00元购买点券,至今未到账,商家以系统延迟为由拖延,要求全额退款。" * 3,
        )
        await page.fill("#contact", "13800138000")
        await page.set_input_files("#images", [str(p) for p in EVIDENCE])
        await page.click("#complaint-submit")
        await page.wait_for_selector("#complaint-no")
        await browser.close()


def bare_email(host: str, port: int) -> None:
    """The minimum smtplib script."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = (
        "zhangsan@example.com",
        "kefu@example.com",
        "订单KM20261102150012-未到账",
    )
    msg.set_content("2026年11月2日支付100.00元,点券未到账,要求全额退款。")
    for p in EVIDENCE:
        msg.add_attachment(p.read_bytes(), maintype="image", subtype="png", filename=p.name)
    with smtplib.SMTP(host, port) as s:
        s.send_message(msg)


def bare_run(channel: str) -> float:
    """Wall time of the bare script for one channel on fresh twins."""
    home = Path(tempfile.mkdtemp(prefix="kameng-bare-"))
    try:
        with start_twins(TWINS, data_dir=home / "twins") as ts:
            t0 = time.perf_counter()
            if channel == "card_platform@a":
                asyncio.run(bare_card_a(ts["card_a"].url))
            elif channel == "card_platform@b":
                asyncio.run(bare_card_b(ts["card_b"].url))
            else:
                bare_email(ts["email"].host, ts["email"].port)
            return time.perf_counter() - t0
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--latency", type=float, default=0.0, help="seconds of simulated network delay per request"
    )
    args = ap.parse_args()
    global LATENCY
    LATENCY = args.latency
    med = statistics.median
    alone = {ch: med([kameng_run([ch]) for _ in range(args.rounds)]) for ch in CHANNELS}
    together = med([kameng_run(CHANNELS) for _ in range(args.rounds)])
    bare = {ch: med([bare_run(ch) for _ in range(args.rounds)]) for ch in CHANNELS}
    print(
        f"rounds: {args.rounds} (median wall seconds, 2-core machine, simulated latency {LATENCY:.2f} s/request)"
    )
    for ch in CHANNELS:
        print(
            f"  {ch:18s} kameng alone {alone[ch]:6.2f}   bare script {bare[ch]:6.2f}   ratio {alone[ch] / bare[ch]:.2f}"
        )
    slowest = max(alone.values())
    print(
        f"  concurrent (3 channels) {together:6.2f}   slowest alone {slowest:6.2f}   ratio {together / slowest:.2f}"
    )
    browser_ratio = max(alone[ch] / bare[ch] for ch in CHANNELS if ch != "email")
    print(f"  worst browser-channel overhead vs bare script: {browser_ratio:.2f} (target ≤ 1.25)")
    print(f"  concurrent / slowest alone: {together / slowest:.2f} (target ≤ 1.3)")


if __name__ == "__main__":
    main()
