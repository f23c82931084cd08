"""12315 when the company search finds nothing: the manual-entry path, end to end, and clear refusals."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from kameng_filer.config import save_config
from kameng_filer.demo import DemoAnswerer
from kameng_filer.filing.person import ScriptedPerson
from kameng_filer.secrets import env_name
from tests import canaries
from tests.filing_support import file_now, twins_running
from tests.terminal import KAMENG, run_answering_captcha

pytestmark = pytest.mark.browser

SMALL_SHOP = {
    "legal_name": "杭州小鹿数字科技有限公司",
    "address": "浙江省杭州市滨江区某路1号",
    "credit_code": "91330108MA2H000000",
}


def _unknown_company(case_path: Path, **respondent: str | None) -> Path:
    """The example case with a respondent the twin's enterprise search does not know."""
    data = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    data["respondent"].update({**SMALL_SHOP, **respondent})
    data["respondent"] = {k: v for k, v in data["respondent"].items() if v is not None}
    case_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return case_path


def _configure(twin) -> ScriptedPerson:
    save_config({"channels": {"12315": {"base_url": twin.url, "account": "demo12315"}}})
    os.environ[env_name("12315", "demo12315")] = canaries.TWIN_PASSWORD
    return ScriptedPerson(DemoAnswerer({"12315": twin.url}), quiet=True)


@pytest.mark.slow
def test_kameng_file_takes_the_manual_entry_path_for_an_unknown_company(
    tmp_path: Path, example_case: Path
) -> None:
    case = _unknown_company(example_case)
    with twins_running(tmp_path, ["gov12315"]) as ts:
        twin = ts["gov12315"]
        _configure(twin)
        r = run_answering_captcha(
            ["file", str(case), "--channels", "12315", "--yes", "--json"],
            lambda: httpx.get(twin.url + "/_twin/captcha").json()["latest"],
            tmp_path,
        )
        err = r.stderr.decode()
        assert r.returncode == 0, (r.stdout.decode(), err)
        assert "网页表单已变化" not in err and "Traceback" not in err
        subs = twin.snapshot()["submissions"]
    assert len(subs) == 1
    f = subs[0]["fields"]
    assert f["enterprise_manual"] is True and f["enterprise_id"] == ""
    assert f["enterprise_name"] == SMALL_SHOP["legal_name"]
    assert f["enterprise_address"] == SMALL_SHOP["address"]
    assert f["enterprise_credit_code"] == SMALL_SHOP["credit_code"]
    assert f["unit_path"] == "浙江省/杭州市/滨江区"
    out = json.loads(r.stdout)
    filing = next(x for x in out["filings"] if x["channel"] == "12315")
    assert filing["state"] == "submitted" and filing["receipt"]["complaint_no"].isdigit()


def test_manual_entry_without_a_credit_code_when_the_site_wants_one_says_what_to_add(
    tmp_path: Path, example_case: Path
) -> None:
    case = _unknown_company(example_case, credit_code=None)
    with twins_running(tmp_path, ["gov12315"], {"gov12315": {"credit_code_required": True}}) as ts:
        twin = ts["gov12315"]
        out = file_now(case, ["12315"], _configure(twin))[0]
        assert twin.snapshot()["submissions"] == []
    assert out.state in ("rejected", "failed"), out
    assert "统一社会信用代码" in out.error and "被投诉企业" in out.error
    assert "credit_code" in (out.hint or "") and "respondent" in (out.hint or "")
    assert "网页表单已变化" not in out.error


def test_a_case_without_the_legal_name_is_refused_before_the_site_with_what_to_add(
    example_case: Path, kameng_home: Path
) -> None:
    case = _unknown_company(example_case, legal_name=None)
    save_config({"channels": {"12315": {"base_url": "http://127.0.0.1:9/", "account": "demo12315"}}})
    r = subprocess.run(
        [KAMENG, "file", str(case), "--channels", "12315", "--yes", "--json"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert "Traceback" not in r.stderr and "内部错误" not in r.stdout + r.stderr
    text = r.stdout + r.stderr
    assert "respondent.legal_name" in text and "手工填写" in text, text
    assert r.returncode != 0


def test_try_walks_the_manual_entry_branch_and_reports_the_pick_as_skipped(
    tmp_path: Path, example_case: Path
) -> None:
    import asyncio

    from kameng_filer.case import load_case
    from kameng_filer.filing.probe import try_profile

    case = load_case(_unknown_company(example_case)).case
    with twins_running(tmp_path, ["gov12315"]) as ts:
        twin = ts["gov12315"]
        os.environ[env_name("12315@gov12315-twin", "demo12315")] = canaries.TWIN_PASSWORD
        person = ScriptedPerson(DemoAnswerer({"12315@gov12315-twin": twin.url}), quiet=True)
        result = asyncio.run(
            try_profile(
                "gov12315-twin",
                case,
                person=person,
                settings={"base_url": twin.url, "account": "demo12315"},
            )
        )
        assert twin.snapshot()["submissions"] == [] and twin.uploads == {}
    assert result.ok, result.to_dict()
    fields = {i.key: i for i in result.items if i.kind == "field"}
    assert fields["ent_pick"].skipped and "条件不满足" in fields["ent_pick"].reason
    assert fields["ent_name"].ok and fields["ent_name"].value == SMALL_SHOP["legal_name"]
    assert fields["ent_address"].ok and fields["ent_credit_code"].value == SMALL_SHOP["credit_code"]
