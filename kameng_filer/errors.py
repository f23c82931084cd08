"""The one exception tree of kameng-filer.

    KamengError                    base; ``message`` is Chinese and shown to the person
    ├── CaseUnreadable             the case file cannot be read or parsed at all (exit 2)
    ├── CaseInvalid                the case parsed but has problems (carries the issues)
    ├── AdapterNotFound            unknown channel name (lists the known ones)
    ├── ConfigError                a bad profile, policy, settings or override file
    ├── SecretMissing              a secret is not in keyring / environment
    ├── StoreError                 the local database cannot be used
    ├── RenderError                a text cannot be rendered or cannot fit its field's limit
    └── FilingError                anything that went wrong while filing on a channel
        ├── ChannelUnreachable     connection refused, timeout, HTTP 5xx, rate limit (retryable)
        ├── ChannelRejected        the channel refused the complaint (validation message etc.)
        ├── FormChanged            a field or button could not be found (names field + selector)
        ├── HumanActionRequired    a captcha / SMS code / QR login needs the person
        ├── AlreadyFiled           a filing for (case, channel) exists; use --again
        └── SessionExpired         the stored login is no longer valid

Third-party errors (Playwright, httpx, smtplib) are translated into this tree at one boundary,
``kameng_filer.filing.boundary``; no raw third-party error reaches a user.
"""

from __future__ import annotations


class KamengError(Exception):
    """Base of every error the toolkit raises on purpose; ``message`` is for the person."""

    exit_code = 1

    def __init__(self, message: str, *, detail: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.message]
        if self.hint:
            parts.append(f"建议：{self.hint}")
        if self.detail:
            parts.append(f"(detail: {self.detail})")
        return "\n".join(parts)


class CaseUnreadable(KamengError):
    """The case file cannot be read or parsed at all."""

    exit_code = 2


class CaseInvalid(KamengError):
    """The case parsed but has problems; ``issues`` lists them all."""

    def __init__(self, message: str, issues: list | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.issues = issues or []


class AdapterNotFound(KamengError, LookupError):
    """An unknown channel name."""


class ConfigError(KamengError):
    """A profile, policy, settings or override file is wrong."""


class SecretMissing(KamengError):
    """A secret could not be found in keyring or the environment."""


class StoreError(KamengError):
    """The local store cannot be used."""


class RenderError(KamengError):
    """A text cannot be rendered, or cannot fit its field's limit."""

    def __init__(self, message: str, *, field: str | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.field = field


class FilingError(KamengError):
    """Something went wrong while filing on a channel."""

    retryable = False

    def __init__(self, message: str, *, channel: str | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.channel = channel


class ChannelUnreachable(FilingError):
    """The channel could not be reached or answered with a server error; retrying may help."""

    retryable = True


class ChannelRejected(FilingError):
    """The channel refused the complaint, e.g. with a validation message."""


class FormChanged(FilingError):
    """A field or button the adapter expects is not on the page any more."""

    def __init__(self, message: str, *, field: str | None = None, selector: str | None = None, **kw):
        super().__init__(message, **kw)
        self.field = field
        self.selector = selector


class HumanActionRequired(FilingError):
    """A step only the person can do (captcha, SMS code, QR login) and no person is available."""


class AlreadyFiled(FilingError):
    """This case was already filed on this channel."""


class SessionExpired(FilingError):
    """The stored login session is no longer valid."""
