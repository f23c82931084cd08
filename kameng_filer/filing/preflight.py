"""Before anything is shown for confirmation: does every chosen channel have its account and password?

``kameng file`` used to ask "确认?" and only then find that a channel had no account configured, or no
password in keyring / the environment. ``check_prepared`` finds all of these once the case is checked and
planned, for every channel, before the plans are shown or anything is sent, without contacting any site; a stored login session counts as enough (the password is then only
needed if the session has expired).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kameng_filer.errors import ConfigError, KamengError, SecretMissing
from kameng_filer.secrets import env_name, get_secret, keyring_usable


@dataclass(frozen=True)
class Problem:
    """One thing a channel lacks before it can be filed on."""

    channel: str
    message: str
    hint: str


def _session_exists(channel: str, account: str) -> bool:
    import re

    from kameng_filer.paths import sessions_dir

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{channel}--{account}")  # as FilingContext.session_file
    try:
        folder = sessions_dir()
    except KamengError:  # no usable data folder: no stored session either
        return False
    return (folder / f"{safe}.json").exists() or (folder / f"{safe}.cookies.json").exists()


def _wants_password(adapter: Any) -> bool:
    """True when the channel logs in with a password (site profile login or API login, or SMTP AUTH)."""
    if hasattr(adapter, "profile") and hasattr(adapter, "account"):
        from kameng_filer.filing.web import needs_secret

        prof = adapter.profile()
        api = getattr(prof, "api", None)
        return needs_secret(prof) or bool(getattr(api, "login_url", None))
    return False


def _account(adapter: Any) -> tuple[str, str]:
    """The account name and the settings key it comes from."""
    if hasattr(adapter, "account"):
        return str(adapter.account() or ""), "account"
    settings = getattr(adapter, "settings", None) or {}
    return str(settings.get("username") or ""), "username"


def missing_account(channel: str, key: str = "account") -> Problem:
    """The problem for a channel that logs in but has no account configured."""
    base = channel.split("@", 1)[0]
    return Problem(
        channel,
        f"渠道 {channel} 需要登录，但还没有配置登录账号",
        f'在 config.yaml 的 channels 下写上 "{channel}": {{{key}：你的账号}}（渠道名加引号），'
        f"再保存密码（把“你的账号”换成账号）：kameng login {channel} --account 你的账号"
        + ("" if base == channel else f"；各站点共用的账号也可以写在 {base} 下"),
    )


def missing_password(channel: str, account: str) -> Problem:
    """The problem for an account whose password is neither in keyring nor in the environment."""
    env = env_name(channel, account)
    if keyring_usable():
        hint = f"保存密码：kameng login {channel} --account {account}；或设置环境变量 {env}"
    else:
        hint = (
            f"本机没有可用的系统密钥环：设置环境变量 {env}；"
            "或 pip install keyrings.alt 后设置 PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring，"
            f"再运行 kameng login {channel} --account {account}"
        )
    return Problem(channel, f"渠道 {channel} 的账号 {account} 还没有保存密码", hint)


def check_channel(channel: str, adapter: Any) -> list[Problem]:
    """What ``channel`` lacks (account, password, a loadable site profile); empty when ready."""
    try:
        wants = _wants_password(adapter)
        account, key = _account(adapter)
        if not wants and not (key == "username" and account):
            return []
        if not account:
            return [missing_account(channel, key)]
        if _session_exists(channel, account):
            return []
        try:
            get_secret(channel, account)
        except SecretMissing:
            return [missing_password(channel, account)]
    except (ConfigError, KamengError) as exc:
        return [
            Problem(channel, exc.message, exc.hint or "运行 kameng adapters list 查看可用的渠道和站点配置")
        ]
    return []


def check_channels(instances: list[Any]) -> list[Problem]:
    """Problems of every ``ChannelInstance`` (``name`` + ``adapter``), in order."""
    problems: list[Problem] = []
    for inst in instances:
        problems.extend(check_channel(inst.name, inst.adapter))
    return problems


def check_prepared(prepared: Any) -> list[Problem]:
    """Problems of every channel a ``Prepared`` run would file on (its planned work), in order."""
    problems: list[Problem] = []
    for adapter, plan in prepared.work:
        problems.extend(check_channel(plan.channel, adapter))
    return problems


def raise_if_any(problems: list[Problem]) -> None:
    """One ``ConfigError`` listing every problem (nothing was filed, nothing asked)."""
    if not problems:
        return
    if len(problems) == 1:
        p = problems[0]
        raise ConfigError(f"{p.message}，没有提交任何内容", hint=p.hint)
    lines = "\n".join(f"  · {p.message}:{p.hint}" for p in problems)
    raise ConfigError(
        f"{len(problems)} 个渠道还不能提交，没有提交任何内容：\n{lines}",
        hint="按上面每一条补全后重新运行",
    )
