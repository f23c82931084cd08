"""config.yaml is validated at load: field paths, Chinese messages, unknown keys with the closest valid key,
secret-looking keys refused by pattern, e-mail addresses and URLs checked; numeric channel names work; a
broken file in profiles/ is reported and the other profiles keep working."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kameng_filer.cli import app
from kameng_filer.config import channel_settings, load_config, save_config
from kameng_filer.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = re.compile(r"Input should|Value error|Field required|Extra inputs|validation error", re.I)


def write(home: Path, text: str) -> None:
    (home / "config.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


def load_error(home: Path, text: str) -> ConfigError:
    write(home, text)
    with pytest.raises(ConfigError) as info:
        load_config()
    message = info.value.message
    assert not ENGLISH.search(message), message
    return info.value


# ---------------------------------------------------------------- wrong values, with their field path


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ("channels: 5\n", "channels", "应为映射"),
        ("channels: [email]\n", "channels", "现在是列表"),
        ("channels:\n  email:\n    smtp_port: abc\n", "channels.email.smtp_port", "应为整数"),
        ("channels:\n  email:\n    smtp_port: 70000\n", "channels.email.smtp_port", "不能大于 65535"),
        ("channels:\n  email:\n    timeout: -1\n", "channels.email.timeout", "应大于 0"),
        ("channels:\n  card_platform@a:\n    timeout: 0\n", "channels.card_platform@a.timeout", "应大于 0"),
        ("channels:\n  email:\n    smtp_host: [1, 2]\n", "channels.email.smtp_host", "应为文字"),
        ("channels:\n  email:\n    smtp_host: 'a b'\n", "channels.email.smtp_host", "不是主机名"),
        ("channels:\n  email:\n    ssl: maybe\n", "channels.email.ssl", "true 或 false"),
        ("channels:\n  email:\n    to: [1, {a: 2}]\n", "channels.email.to", "不是邮件地址"),
        ("channels:\n  email:\n    to: '2}'\n", "channels.email.to", "不是有效的邮件地址"),
        ("channels:\n  email:\n    to: '<>'\n", "channels.email.to", "不是有效的邮件地址"),
        ('channels:\n  email:\n    to: "a@b.cn\\r\\nBcc: x@evil.cn"\n', "channels.email.to", "换行"),
        ('channels:\n  email:\n    to: ["a@b.cn", "c@d.cn\\rBcc: x@evil.cn"]\n', "channels.email.to", "换行"),
        ('channels:\n  email:\n    cc: "a@b.cn\\nBcc: x@evil.cn"\n', "channels.email.cc", "换行"),
        ('channels:\n  email:\n    from: "me@b.cn\\r\\nX: y"\n', "channels.email.from", "换行"),
        ("channels:\n  email:\n    from: [a@b.cn, c@d.cn]\n", "channels.email.from", "一个邮件地址"),
        ("channels:\n  email:\n    from: 张三 <a@b.cn>\n", "channels.email.from", "只写地址"),
        ("channels:\n  email:\n    to: '\"Doe, J\" <a@b.cn>'\n", "channels.email.to", "逗号"),
        (
            'channels:\n  consumer_association:\n    route: email\n    to: "ts@x.org\\nBcc: y@z.org"\n',
            "channels.consumer_association.to",
            "换行",
        ),
        (
            "channels:\n  consumer_association:\n    route: post\n",
            "channels.consumer_association.route",
            "可选",
        ),
        (
            "channels:\n  card_platform@a:\n    base_url: file:///etc/\n",
            "channels.card_platform@a.base_url",
            "http",
        ),
        ("channels:\n  12315:\n    base_url: javascript:alert(1)\n", "channels.12315.base_url", "http"),
        ("channels:\n  heimao:\n    base_url: [x]\n", "channels.heimao.base_url", "网址"),
        ("channels:\n  card_platform@a:\n    mode: api\n", "channels.card_platform@a.mode", "可选"),
        ("channels:\n  card_platform@a: yes\n", "channels.card_platform@a", "应为映射"),
        ("channels:\n  alipay:\n    text_max_len: 1\n", "channels.alipay.text_max_len", "不能小于 5"),
        (
            "channels:\n  alipay:\n    complaint_no_pattern: '[0-9'\n",
            "channels.alipay.complaint_no_pattern",
            "正则",
        ),
        (
            "channels:\n  wechat_pay:\n    reasons: {not_deliverd: 其他}\n",
            "channels.wechat_pay.reasons",
            "not_delivered",
        ),
        (
            "channels:\n  nosuch-plugin:\n    base_url: file:///etc/\n",
            "channels.nosuch-plugin.base_url",
            "http",
        ),
        ("channels:\n  nosuch-plugin:\n    timeout: -5\n", "channels.nosuch-plugin.timeout", "应大于 0"),
        ("channels:\n  emial:\n    to: a@b.cn\n", "channels.emial", "是不是「email」"),
        ("notify: [x]\n", "notify", "应为映射"),
        ("notify:\n  urls:\n    - {name: n1, ref: cloud}\n", "notify.urls[0].ref", "可选"),
        ("- channels\n", "最外层", "应为映射"),
    ],
)
def test_bad_setting_is_named_by_path_in_chinese(kameng_home: Path, text: str, path: str, words: str) -> None:
    error = load_error(kameng_home, text)
    assert path in error.message and words in error.message, error.message


def test_every_problem_is_listed_with_its_line(kameng_home: Path) -> None:
    error = load_error(
        kameng_home,
        """\
        channels:
          email:
            smtp_host: [1, 2]
            smtp_port: "abc"
            timeout: -1
        """,
    )
    assert "3 处问题" in error.message
    for path, line in (("smtp_host", 3), ("smtp_port", 4), ("timeout", 5)):
        assert f"channels.email.{path}（第 {line} 行）" in error.message, error.message


def test_unknown_keys_get_the_closest_valid_key(kameng_home: Path) -> None:
    error = load_error(kameng_home, "channels:\n  email:\n    smtp_prot: 25\n")
    assert "未知设置「smtp_prot」，是不是「smtp_port」？" in error.message
    error = load_error(kameng_home, "channels:\n  card_platform@a:\n    acount: me\n")
    assert "是不是「account」" in error.message
    error = load_error(kameng_home, "chanels:\n  email: {}\n")
    assert "是不是「channels」" in error.message
    error = load_error(kameng_home, "channels:\n  email:\n    zzzz: 1\n")
    assert "可用的设置" in error.message and "smtp_port" in error.message


SECRET_KEYS = [
    "password",
    "passwd",
    "pwd",
    "smtp_pass",
    "smtp_password",
    "access_token",
    "api_token",
    "apikey",
    "apiKey",
    "api_key",
    "authorization",
    "auth_token",
    "secret_key",
    "secret",
    "token",
    "cookie",
    "session",
    "webhook_token",
    "密码",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_looking_keys_are_refused_without_echoing_the_value(kameng_home: Path, key: str) -> None:
    error = load_error(kameng_home, f"channels:\n  email:\n    smtp_host: x.cn\n    {key}: hunter2-canary\n")
    assert f"channels.email.{key}" in error.message
    assert "密钥环或环境变量" in error.message and "kameng login" in (error.hint or "")
    assert "hunter2-canary" not in str(error) and "hunter2-canary" not in (error.detail or "")
    plugin = load_error(kameng_home, f"channels:\n  nosuch-plugin:\n    {key}: hunter2-canary\n")
    assert "hunter2-canary" not in str(plugin)
    with pytest.raises(ConfigError):
        save_config({"channels": {"email": {key: "hunter2-canary"}}})


def test_secret_pattern_keeps_real_setting_names() -> None:
    from kameng_filer.secrets import looks_secret
    from kameng_filer.settings_model import BUILTIN, NotifyEntry, known_keys

    names = {k for model in [*BUILTIN.values(), NotifyEntry] for k in known_keys(model)}
    assert "account" in names and "username" in names
    assert not [k for k in names if looks_secret(k)]
    assert not any(looks_secret(k) for k in ("passport", "keyword", "monkey", "bypass_proxy", "route"))
    assert all(
        looks_secret(k)
        for k in (
            "SMTP-Password",
            "smtppassword",
            "authToken",
            "private_key",
            "jwt",
            "session_id",
            "client_secret",
        )
    )
    # keys that only say where a secret is, or what kind it is, hold none
    assert not any(looks_secret(k) for k in ("token_field", "csrf_token_header", "password_env", "auth_type"))


def test_a_notification_url_written_into_the_file_is_refused(kameng_home: Path) -> None:
    error = load_error(kameng_home, "notify:\n  urls:\n    - json://host/hook?token=canary-notify\n")
    assert "notify.urls[0]" in error.message and "kameng notify add" in error.message
    assert "canary-notify" not in str(error)
    error = load_error(kameng_home, "notify:\n  urls: json://host/hook?token=canary-notify\n")
    assert "notify.urls" in error.message and "canary-notify" not in str(error)
    write(kameng_home, "notify:\n  urls:\n")
    assert load_config() == {"notify": {"urls": None}}


def test_unusable_config_files_are_clear_errors(kameng_home: Path) -> None:
    (kameng_home / "config.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    with pytest.raises(ConfigError, match="不是文本文件"):
        load_config()
    (kameng_home / "config.yaml").write_bytes(b"channels: {email: {to: \xff\xfe}}")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config()
    (kameng_home / "config.yaml").write_text("[" * 700 + "]" * 700, encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        load_config()
    (kameng_home / "config.yaml").write_text("channels: {email: {timeout: !!float abc}}", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        load_config()
    (kameng_home / "config.yaml").unlink()
    (kameng_home / "config.yaml").mkdir()
    with pytest.raises(ConfigError, match="不是普通文件"):
        load_config()


# ---------------------------------------------------------------- valid settings keep working


def test_numeric_channel_names_are_read_as_text(kameng_home: Path) -> None:
    write(kameng_home, "channels:\n  12315:\n    account: 13800138000\n    timeout: 30\n")
    cfg = load_config()
    assert list(cfg["channels"]) == ["12315"]
    assert channel_settings("12315", cfg) == {"account": "13800138000", "timeout": 30.0}
    # a mapping built in code with the number as key is found too
    assert channel_settings("12315", {"channels": {12315: {"account": "x"}}}) == {"account": "x"}
    error = load_error(kameng_home, "channels:\n  12315: {account: a}\n  '12315': {account: b}\n")
    assert "写了两次" in error.message


def readme_config() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## 配置与机密", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "README 的「配置与机密」一节应有 yaml 例子"
    return block.group(1)


def test_the_readme_config_example_loads_as_printed(kameng_home: Path) -> None:
    (kameng_home / "config.yaml").write_text(readme_config(), encoding="utf-8")
    cfg = load_config()
    raw = yaml.safe_load(readme_config())["channels"]
    assert set(cfg["channels"]) == {str(k) for k in raw}
    assert channel_settings("12315", cfg)["account"] == "my-12315-account"
    assert channel_settings("email", cfg)["smtp_port"] == 465
    assert channel_settings("consumer_association", cfg)["route"] == "email"
    from kameng_filer.filing.channels import resolve

    assert resolve("12315", cfg).adapter.account() == "my-12315-account"
    assert resolve("card_platform@xingchen", cfg).adapter.settings["account"] == "my-user-name"


def test_address_lists_are_normalised_for_sending(kameng_home: Path) -> None:
    write(
        kameng_home,
        """\
        channels:
          email:
            to: [kefu@a.example.cn, 客服 <b@b.example.cn>]
            cc: "x@c.example.cn, y@d.example.cn"
            smtp_port: "587"
            ssl: false
        """,
    )
    settings = channel_settings("email", load_config())
    assert settings == {
        "to": "kefu@a.example.cn, 客服 <b@b.example.cn>",
        "cc": "x@c.example.cn, y@d.example.cn",
        "smtp_port": 587,
        "ssl": False,
    }
    write(kameng_home, "channels:\n  email:\n    to: ''\n    from:\n    cc: []\n")
    assert channel_settings("email", load_config()) == {"to": "", "from": None, "cc": ""}


def test_a_list_of_recipients_reaches_each_recipient(email_twin, example_case: Path) -> None:
    from kameng_filer.testing import file_case

    config = {
        "channels": {
            "email": {
                "smtp_host": email_twin.host,
                "smtp_port": email_twin.port,
                "timeout": 5,
                "to": ["kefu@a.example.cn", "fawu@a.example.cn"],
            }
        }
    }
    out = file_case(example_case, ["email"], config=config)[0]
    assert out.state == "submitted", out
    (message,) = email_twin.messages()
    assert sorted(message["envelope_to"]) == ["fawu@a.example.cn", "kefu@a.example.cn"]


def test_plugin_channels_use_their_declared_model_or_accept_any_plain_key(
    kameng_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kameng_filer import registry

    site = tmp_path / "site"
    site.mkdir()
    (site / "kameng_settings_demo.py").write_text(
        textwrap.dedent(
            """\
            from pydantic import BaseModel, ConfigDict, Field

            from kameng_filer.adapter import Adapter
            from kameng_filer.channels import ChannelSpec


            class DemoSettings(BaseModel):
                model_config = ConfigDict(extra="forbid")
                region: str
                retries: int = Field(3, ge=0, le=9)


            class DemoAdapter(Adapter):
                spec = ChannelSpec(name="settingsdemo", title="演示", kind="api", fields=())
                settings_model = DemoSettings
            """
        ),
        encoding="utf-8",
    )
    dist = site / "kameng_settings_demo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kameng-settings-demo\nVersion: 0.1\n", "utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[kameng_filer.adapters]\nsettingsdemo = kameng_settings_demo:DemoAdapter\n", "utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    registry.cache_clear()
    try:
        write(kameng_home, "channels:\n  settingsdemo:\n    region: 上海\n    retries: 2\n")
        assert channel_settings("settingsdemo", load_config()) == {"region": "上海", "retries": 2}
        error = load_error(kameng_home, "channels:\n  settingsdemo:\n    region: 上海\n    retires: 2\n")
        assert "channels.settingsdemo.retires" in error.message and "是不是「retries」" in error.message
        error = load_error(kameng_home, "channels:\n  settingsdemo:\n    retries: 99\n")
        assert "channels.settingsdemo.region" in error.message and "缺少必填项" in error.message
        assert "channels.settingsdemo.retries" in error.message
        write(
            kameng_home, "channels:\n  other-plugin:\n    anything: 1\n    base_url: https://x.example.cn/\n"
        )
        assert channel_settings("other-plugin", load_config()) == {
            "anything": 1,
            "base_url": "https://x.example.cn/",
        }
    finally:
        sys.modules.pop("kameng_settings_demo", None)
        registry.cache_clear()


def test_existing_channel_settings_still_load(kameng_home: Path) -> None:
    cfg = {
        "channels": {
            "card_platform@a": {
                "profile": "card-a-twin",
                "account": "demo",
                "base_url": "http://127.0.0.1:1/",
            },
            "email": {"smtp_host": "127.0.0.1", "smtp_port": 2525, "username": "kameng", "timeout": 5},
            "heimao": {"base_url": "http://127.0.0.1:2/", "target": "某平台"},
            "12315": {"account": "demo12315", "handling_address": "上海市", "product_category": "游戏点卡"},
            "consumer_association": {
                "route": "email",
                "to": "ts@x.example.org",
                "association_name": "上海市消保委",
            },
            "alipay": {"text_max_len": 300, "complaint_no_pattern": r"\d+"},
            "wechat_pay": {"reasons": {"not_delivered": "未收到货"}},
        },
        "notify": {"urls": [{"name": "n1", "masked": "json://***", "ref": "env"}]},
    }
    save_config(cfg)
    assert load_config() == cfg


# ---------------------------------------------------------------- the CLI shows settings errors clearly


def test_commands_show_bad_settings_as_a_chinese_error(kameng_home: Path, example_case: Path) -> None:
    write(kameng_home, "channels:\n  email:\n    smtp_port: abc\n    smtp_pass: hunter2-canary\n")
    runner = CliRunner()
    for args in (
        ["file", str(example_case), "-c", "email", "--dry-run"],
        ["notify", "list"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code not in (0, 70), (args, res.output)
        assert "channels.email.smtp_port" in res.output and "内部错误" not in res.output, res.output
        assert "hunter2-canary" not in res.output
    res = runner.invoke(app, ["file", str(example_case), "-c", "email", "--dry-run", "--json"])
    assert res.exit_code not in (0, 70), res.output
    error = json.loads(res.stdout)["error"]
    assert "channels.email.smtp_port" in error["message"] and "hunter2-canary" not in res.stdout


# ---------------------------------------------------------------- a broken file in profiles/


@pytest.fixture
def broken_profiles(kameng_home: Path) -> Path:
    folder = kameng_home / "profiles"
    folder.mkdir(exist_ok=True)
    (folder / "binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8")
    (folder / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (folder / "deep.yaml").write_text("[" * 700 + "]" * 700, encoding="utf-8")
    (folder / "tagged.yaml").write_text("name: !!float abc\n", encoding="utf-8")
    (folder / "folder.yaml").mkdir()
    return folder


def test_adapters_list_reports_the_broken_files_and_lists_the_others(broken_profiles: Path) -> None:
    from kameng_filer.catalog import profiles

    items = {p["name"]: p for p in profiles()}
    for name in ("binary", "latin1", "deep", "tagged", "folder"):
        assert f"{name}.yaml" in items[name]["error"], items[name]
    assert "error" not in items["card-a-twin"] and items["card-a-twin"]["fields"]
    res = CliRunner().invoke(app, ["adapters", "list"])
    assert res.exit_code == 0, res.output
    assert "内部错误" not in res.output
    assert "card-a-twin" in res.output and "binary.yaml" in res.output and "警告" in res.output
    res = CliRunner().invoke(app, ["adapters", "list", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {"binary", "card-a-twin"} <= {p["name"] for p in data["profiles"]}


@pytest.mark.parametrize("name", ["binary", "latin1", "deep", "tagged", "folder"])
def test_adapter_check_names_the_broken_file_and_others_still_check(broken_profiles: Path, name: str) -> None:
    res = CliRunner().invoke(app, ["adapter", "check", name])
    assert res.exit_code == 1, res.output
    assert "内部错误" not in res.output and f"{name}.yaml" in res.output, res.output
    res = CliRunner().invoke(app, ["adapter", "check", str(broken_profiles / f"{name}.yaml")])
    assert res.exit_code == 1 and "内部错误" not in res.output, res.output
    res = CliRunner().invoke(app, ["adapter", "check", "card-a-twin"])
    assert res.exit_code == 0, res.output


def test_adapter_try_refuses_a_non_http_url_override(example_case: Path) -> None:
    res = CliRunner().invoke(
        app, ["adapter", "try", "card-a-twin", "--case", str(example_case), "--url", "file:///etc/", "--json"]
    )
    assert res.exit_code == 1, res.output
    error = json.loads(res.stdout)["error"]
    assert "base_url" in error["message"] and "http" in error["message"], error


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
"""A "billion laughs": each level repeats the previous nine times (9⁹ items when expanded)."""


def test_nested_yaml_aliases_are_refused_quickly(kameng_home: Path) -> None:
    (kameng_home / "config.yaml").write_text(
        f"channels:\n  nosuch-plugin:\n    {LAUGHS.replace(chr(10), chr(10) + '    ')}", "utf-8"
    )
    with pytest.raises(ConfigError, match="别名"):
        load_config()
    folder = kameng_home / "profiles"
    folder.mkdir()
    (folder / "laughs.yaml").write_text(LAUGHS, encoding="utf-8")
    res = CliRunner().invoke(app, ["adapter", "check", "laughs"])
    assert res.exit_code == 1 and "别名" in res.output, res.output


def config_examples() -> list[tuple[str, str]]:
    """Every ``yaml`` block in README.md and docs/*.md that is a config.yaml example."""
    out = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)):
            if re.match(r"(channels|notify):", block.lstrip()):
                out.append((f"{doc.name}#{i}", block))
    return out


@pytest.mark.parametrize(("where", "block"), config_examples(), ids=[w for w, _ in config_examples()])
def test_every_config_example_in_the_docs_loads_as_printed(kameng_home: Path, where: str, block: str) -> None:
    (kameng_home / "config.yaml").write_text(block, encoding="utf-8")
    cfg = load_config()
    for name in cfg.get("channels", {}):
        channel_settings(name, cfg)
