"""`kameng demo` files both bundled disputes on all seven built-in channels (all three 卡盟 twin families)
and exits 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
KAMENG = str(Path(sys.executable).parent / "kameng")


def test_demo_files_on_every_builtin_channel(kameng_home: Path) -> None:
    run = subprocess.run(
        [KAMENG, "demo", "--json"], capture_output=True, stdin=subprocess.DEVNULL, timeout=600
    )
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    data = json.loads(run.stdout)
    states = {f["channel"]: f["state"] for f in data["filings"]}
    assert states == {
        "card_platform@demo-a": "submitted",
        "card_platform@demo-b": "submitted",
        "card_platform@demo-c": "submitted",
        "email": "submitted",
        "alipay": "submitted",
        "12315": "submitted",
        "heimao": "submitted",
        "wechat_pay": "submitted",
        "consumer_association": "submitted",
    }
    bases = {c.split("@")[0] for c in states}
    assert bases == {
        "card_platform",
        "email",
        "alipay",
        "wechat_pay",
        "12315",
        "consumer_association",
        "heimao",
    }
    for f in data["filings"]:
        if f["receipt"].get("screenshot"):
            assert Path(f["receipt"]["screenshot"]).exists()
    assert Path(data["home"]).is_relative_to(kameng_home)
