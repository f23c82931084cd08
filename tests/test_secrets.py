"""Secrets come from keyring or the environment only; a machine without keyring gets a clear message."""

from __future__ import annotations

import pytest

from kameng_filer.config import load_config, save_config
from kameng_filer.errors import ConfigError, SecretMissing
from kameng_filer.secrets import env_name, get_secret, set_secret
from tests import canaries


def test_env_variable_per_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    name = env_name("card_platform@xingchen", "demo-user")
    assert name == "KAMENG_SECRET_CARD_PLATFORM_XINGCHEN_DEMO_USER"
    monkeypatch.setenv(name, canaries.ENV_SECRET)
    assert get_secret("card_platform@xingchen", "demo-user") == canaries.ENV_SECRET


def test_no_keyring_backend_gives_the_alternatives() -> None:
    # conftest selects keyring's null backend, as on a headless CI machine
    with pytest.raises(SecretMissing) as err:
        get_secret("email", "me@example.com")
    text = str(err.value)
    assert "KAMENG_SECRET_EMAIL_ME_EXAMPLE_COM" in text
    with pytest.raises(SecretMissing) as err2:
        set_secret("email", "me@example.com", "x")
    assert "keyrings.alt" in str(err2.value) and "不加密" in str(err2.value)


def test_config_file_refuses_passwords(kameng_home) -> None:
    with pytest.raises(ConfigError, match="密钥环或环境变量"):
        save_config({"channels": {"email": {"smtp_host": "x", "password": "oops"}}})
    (kameng_home / "config.yaml").write_text("channels:\n  email:\n    token: abc\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config()
