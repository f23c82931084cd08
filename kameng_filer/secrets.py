"""Secrets (channel passwords, SMTP passwords, webhook tokens) from keyring or environment variables only.

Environment variable per secret: ``KAMENG_SECRET_<SCOPE>_<KEY>`` in upper case with non-alphanumerics as
``_`` (e.g. ``KAMENG_SECRET_CARD_PLATFORM_DEMO`` for the card_platform account ``demo``). Secrets never
enter case files, logs, the database or exports.
"""

from __future__ import annotations

import os
import re

from kameng_filer import home
from kameng_filer.errors import SecretMissing

SERVICE = "kameng-filer"

NO_KEYRING_HINT = (
    "本机没有可用的系统密钥环（keyring）。可选：① 设置环境变量 {env};"
    "② pip install keyrings.alt 并设置 PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring"
    "（注意：该后端只做编码、不加密，文件落在本机磁盘上）。"
)


_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pass",
        "pwd",
        "pw",
        "secret",
        "secrets",
        "token",
        "tokens",
        "auth",
        "authorization",
        "bearer",
        "cookie",
        "cookies",
        "session",
        "sessions",
        "sessionid",
        "sid",
        "credential",
        "credentials",
        "otp",
        "pin",
        "jwt",
        "apikey",
    }
)
"""Words (split on ``_``, ``-``, ``.``, spaces and camelCase) that make a settings key look like a secret."""

_SECRET_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "cookie",
    "credential",
    "bearer",
    "sessionid",
    "密码",
    "口令",
    "令牌",
    "密钥",
    "秘钥",
)
"""Fragments that mark a key as secret even when glued to other words (``smtppassword``, ``authtoken``)."""


_NAMING_WORDS = frozenset(
    {
        "field",
        "header",
        "name",
        "path",
        "pattern",
        "selector",
        "label",
        "env",
        "url",
        "type",
        "method",
        "mode",
    }
)
"""A last word that makes the key describe *where* or *what kind* a secret is (``token_field``,
``csrf_token_header``, ``password_env``, ``auth_type``), not hold one."""


def looks_secret(key: object) -> bool:
    """True when a settings key looks like it holds a secret (``passwd``, ``smtp_pass``, ``apiKey``, …).

    Matching is by pattern, not by an exact list: any word of the key that is a secret word, any secret
    fragment inside the key, or a key whose last word is ``key`` (``api_key``, ``secret_key``) — unless the
    last word only names the secret's place or kind (``token_field``, ``password_env``, ``auth_type``).
    """
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(key)).lower()
    words = re.findall(r"[a-z0-9]+|[^\x00-\x7f]+", text)
    if not words or (len(words) > 1 and words[-1] in _NAMING_WORDS):
        return False
    if any(w in _SECRET_WORDS for w in words) or words[-1] == "key":
        return True
    joined = "".join(words)
    return any(part in joined for part in _SECRET_PARTS)


def env_name(scope: str, key: str) -> str:
    """The environment variable that may hold the secret ``scope``/``key``."""
    return "KAMENG_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", f"{scope}_{key}").upper()


def _username(scope: str, key: str) -> str:
    return f"{scope}:{key}"


def keyring_usable() -> bool:
    """False when keyring has no real backend (null / fail backends, e.g. a headless server or CI)."""
    import keyring
    from keyring.backends import fail, null

    return not isinstance(keyring.get_keyring(), null.Keyring | fail.Keyring)


def get_secret(scope: str, key: str) -> str:
    """The secret ``scope``/``key`` from the environment or keyring; ``SecretMissing`` when absent."""
    if not str(key or "").strip():  # no account configured: there is no password to look for
        raise SecretMissing(
            f"渠道 {scope} 需要登录，但还没有配置登录账号",
            hint=f'在 config.yaml 的 channels 下写上 "{scope}": {{account: 你的账号}}（渠道名加引号），'
            f"再保存密码（把“你的账号”换成账号）：kameng login {scope} --account 你的账号",
        )
    env = env_name(scope, key)
    given = home.current().secrets.get(env)  # a workspace's own secrets (the demo's accounts)
    if given:
        return given
    if os.environ.get(env):
        return os.environ[env]
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    if not keyring_usable():
        raise SecretMissing(f"没有找到「{scope}」账号 {key} 的密码", hint=NO_KEYRING_HINT.format(env=env))
    try:
        value = keyring.get_password(SERVICE, _username(scope, key))
    except NoKeyringError:
        raise SecretMissing(
            f"没有找到「{scope}」的密码（{key}）", hint=NO_KEYRING_HINT.format(env=env)
        ) from None
    except KeyringError as exc:
        raise SecretMissing(
            f"读取密钥环失败（{scope}）", detail=type(exc).__name__, hint=f"或设置环境变量 {env}"
        ) from None
    if not value:
        raise SecretMissing(
            f"没有找到「{scope}」账号 {key} 的密码",
            hint=f"保存密码：kameng login {scope} --account {key}；或设置环境变量 {env}",
        )
    return value


def set_secret(scope: str, key: str, value: str) -> None:
    """Store a secret in keyring; ``SecretMissing`` with the alternatives when there is no backend."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordSetError

    if not keyring_usable():
        raise SecretMissing(
            "本机没有可用的密钥环，无法保存密码", hint=NO_KEYRING_HINT.format(env=env_name(scope, key))
        )
    try:
        keyring.set_password(SERVICE, _username(scope, key), value)
    except NoKeyringError:
        raise SecretMissing(
            "本机没有可用的密钥环，无法保存密码", hint=NO_KEYRING_HINT.format(env=env_name(scope, key))
        ) from None
    except (PasswordSetError, KeyringError) as exc:
        raise SecretMissing(
            "保存密码失败", detail=type(exc).__name__, hint=NO_KEYRING_HINT.format(env=env_name(scope, key))
        ) from None


def delete_secret(scope: str, key: str) -> bool:
    """Remove a stored secret; False when there was none or no backend."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.delete_password(SERVICE, _username(scope, key))
    except KeyringError:
        return False
    return True
