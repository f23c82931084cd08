"""E-mail twin: an aiosmtpd SMTP server on 127.0.0.1 that keeps every message it accepts.

Reproduces channels.md §7: plain SMTP submission with attachments; the receipt is the Message-ID
and the server's ``250 … queued as <id>`` answer. Optional AUTH (PLAIN/LOGIN, allowed without TLS
because it only ever listens on 127.0.0.1). Fault switches: ``refuse`` (server stopped → connection
refused), ``tempfail`` (next n messages get ``451``), ``reject`` (next n messages get ``554``),
``delay`` (seconds before answering each message), ``drop`` (next n sessions are cut at ``MAIL FROM``),
``drop_after_data`` (next n messages are kept but the connection is cut before the ``250``), ``auth_fail``
(next n logins get ``535`` even with the right password: the account's credentials expired).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import json
import logging
import secrets
import shutil
import socket
import threading
from pathlib import Path
from typing import Any, ClassVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from kameng_filer.twins.clock import TwinClock
from kameng_filer.twins.server import LOOPBACK, check_host

SMTP_FAULTS = {
    "refuse": "true:停止监听(连接被拒绝);false:恢复",
    "tempfail": "接下来 n 封邮件以 451 临时失败拒收(不保存)",
    "reject": "接下来 n 封邮件以 554 永久拒收(不保存)",
    "delay": "每封邮件先等待这么多秒再答复(0 关闭;模拟响应慢)",
    "drop": "接下来 n 次会话在 MAIL FROM 时被断开(没有发送任何内容)",
    "drop_after_data": "接下来 n 封邮件照常保存,但在答复 250 之前断开连接(模拟回执丢失)",
    "auth_fail": "接下来 n 次登录(AUTH)以 535 拒绝,即使密码正确(模拟凭据过期)",
}
SMTP_COUNTERS = ("tempfail", "reject", "drop", "drop_after_data", "auth_fail")


class _DropLoginDataNotice(logging.Filter):
    """aiosmtpd logs a deprecation notice on every successful AUTH; it is not ours to act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_DropLoginDataNotice())


def parse_message(raw: bytes) -> dict[str, Any]:
    """Headers, plain-text body and attachments (name, size, sha256, mime) of an RFC 5322 message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    attachments = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        attachments.append(
            {
                "name": part.get_filename() or "",
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
                "mime": part.get_content_type(),
            }
        )
    return {
        "message_id": str(msg.get("Message-ID", "")).strip(),
        "from": str(msg.get("From", "")),
        "to": [str(v) for v in msg.get_all("To", [])],
        "cc": [str(v) for v in msg.get_all("Cc", [])],
        "subject": str(msg.get("Subject", "")),
        "date": str(msg.get("Date", "")),
        "body": body_part.get_content() if body_part is not None else "",
        "html": html_part.get_content() if html_part is not None else "",
        "attachments": attachments,
    }


class _Handler:
    """aiosmtpd handler: AUTH check, fault switches, storage."""

    def __init__(self, twin: EmailTwin) -> None:
        self.twin = twin

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        self.twin.count("mail")
        if self.twin.username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if self.twin.take_fault("drop"):
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        twin = self.twin
        twin.count("data")
        if twin.delay:
            await asyncio.sleep(twin.delay)
        if twin.take_fault("tempfail"):
            return "451 4.3.0 Temporary failure, please try again later"
        if twin.take_fault("reject"):
            return "554 5.7.1 Message rejected"
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        auth = session.auth_data
        user = auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None
        entry = twin.store(raw, envelope.mail_from or "", list(envelope.rcpt_tos), user)
        if twin.take_fault("drop_after_data"):
            server.transport.close()
        return f"250 2.0.0 Ok: queued as {entry['queue_id']}"


class _BoundController(Controller):
    """aiosmtpd Controller serving on a socket we bound ourselves (so port 0 works)."""

    def __init__(self, handler: _Handler, sock: socket.socket, **smtp_kwargs: Any) -> None:
        self._sock = sock
        super().__init__(handler, hostname=LOOPBACK, port=sock.getsockname()[1], **smtp_kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


class EmailTwin:
    """The complaint mailbox twin (SMTP on 127.0.0.1)."""

    name: ClassVar[str] = "email"
    title: ClassVar[str] = "投诉邮箱(SMTP)"

    def __init__(
        self,
        data_dir: Path | str,
        *,
        username: str | None = None,
        password: str | None = None,
        server_hostname: str = "mail.kameng-twin.local",
    ) -> None:
        self.data_dir = Path(data_dir) / self.name
        self.messages_dir = self.data_dir / "messages"
        self.messages_dir.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password
        self.server_hostname = server_hostname
        self.clock = TwinClock()
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._faults = dict.fromkeys(SMTP_COUNTERS, 0)
        self.delay = 0.0
        self._applied = dict.fromkeys(SMTP_COUNTERS, 0)
        self._seen = {"mail": 0, "data": 0, "auth": 0}
        self._controller: _BoundController | None = None
        self._port: int | None = None

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self, port: int = 0, *, host: str = LOOPBACK) -> EmailTwin:
        """Listen on ``127.0.0.1:port`` (0 = a free port; after a stop the same port again)."""
        check_host(host)
        if self._controller is not None:
            return self
        if port == 0 and self._port is not None:
            port = self._port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        controller = _BoundController(
            _Handler(self),
            sock,
            server_hostname=self.server_hostname,
            authenticator=self._authenticate,
            auth_require_tls=False,
            auth_required=False,
            ready_timeout=10.0,
        )
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            sock.close()
            raise
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening (clients now get "connection refused")."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def astart(self, port: int = 0) -> EmailTwin:
        """``start`` from inside a running event loop."""
        await asyncio.to_thread(self.start, port)
        return self

    async def astop(self) -> None:
        """``stop`` from inside a running event loop."""
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> EmailTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> EmailTwin:
        return await self.astart()

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()

    @property
    def running(self) -> bool:
        """True while listening."""
        return self._controller is not None

    @property
    def host(self) -> str:
        """Always 127.0.0.1."""
        return LOOPBACK

    @property
    def port(self) -> int:
        """The SMTP port."""
        if self._port is None:
            raise RuntimeError("邮件孪生站点尚未启动")
        return self._port

    @property
    def url(self) -> str:
        """``smtp://127.0.0.1:<port>`` (for display)."""
        return f"smtp://{self.host}:{self.port}"

    def info(self) -> dict[str, Any]:
        """Where to send, the AUTH account (if any) and where messages are kept."""
        auth = {"username": self.username, "password": self.password} if self.username else None
        return {"host": self.host, "port": self.port, "auth": auth, "messages_dir": str(self.messages_dir)}

    # ---- AUTH ----------------------------------------------------------------------------------
    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if self.username is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.count("auth")
        if self.take_fault("auth_fail"):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login.decode("utf-8", "replace") == self.username and auth_data.password.decode(
            "utf-8", "replace"
        ) == (self.password or "")
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    # ---- faults and storage --------------------------------------------------------------------
    def set_faults(self, spec: dict[str, Any] | None = None, **switches: Any) -> dict[str, Any]:
        """``refuse`` (bool), ``delay`` (seconds), ``tempfail`` / ``reject`` / ``drop`` / ``drop_after_data`` /
        ``auth_fail`` (n)."""
        spec = {**(spec or {}), **switches}
        unknown = set(spec) - set(SMTP_FAULTS)
        if unknown:
            raise ValueError(f"未知的故障开关:{', '.join(sorted(unknown))};可用:{', '.join(SMTP_FAULTS)}")
        if "delay" in spec:
            value = spec["delay"]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError("故障开关 delay 需要非负秒数")
            self.delay = float(value)
        for key in SMTP_COUNTERS:
            if key in spec:
                value = spec[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"故障开关 {key} 需要非负整数")
                with self._lock:
                    self._faults[key] = value
        if "refuse" in spec:
            if spec["refuse"]:
                self.stop()
            else:
                self.start()
        return self.faults()

    def faults(self) -> dict[str, Any]:
        """Current switches."""
        with self._lock:
            return {**self._faults, "delay": self.delay, "refuse": not self.running}

    def take_fault(self, key: str) -> bool:
        """Consume one unit of ``key``."""
        with self._lock:
            if self._faults.get(key, 0) > 0:
                self._faults[key] -= 1
                self._applied[key] += 1
                return True
            return False

    def count(self, what: str) -> None:
        """Count one ``mail`` / ``data`` / ``auth`` command (see ``stats``)."""
        with self._lock:
            self._seen[what] += 1

    def stats(self) -> dict[str, Any]:
        """What the server saw since the last reset: MAIL / DATA / AUTH commands and faults applied."""
        with self._lock:
            return {**self._seen, "applied": dict(self._applied)}

    def store(self, raw: bytes, mail_from: str, rcpt_tos: list[str], user: str | None) -> dict[str, Any]:
        """Keep an accepted message: ``NNNN.eml`` plus a line in ``messages.jsonl``."""
        with self._lock:
            seq = len(self._messages) + 1
            queue_id = secrets.token_hex(5).upper()
            path = self.messages_dir / f"{seq:04d}.eml"
            path.write_bytes(raw)
            entry = {
                "seq": seq,
                "queue_id": queue_id,
                "received_at": self.clock.now().isoformat(timespec="seconds"),
                "envelope_from": mail_from,
                "envelope_to": rcpt_tos,
                "auth_user": user,
                "size": len(raw),
                "file": path.name,
                **parse_message(raw),
            }
            self._messages.append(entry)
            with (self.data_dir / "messages.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            return entry

    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages, oldest first (parsed: from, to, subject, body, attachments, message_id…)."""
        with self._lock:
            return [dict(m) for m in self._messages]

    def raw(self, seq: int) -> bytes:
        """The message exactly as received."""
        return (self.messages_dir / f"{seq:04d}.eml").read_bytes()

    def reset(self) -> None:
        """Forget every message and fault."""
        with self._lock:
            self._messages.clear()
            self._faults = dict.fromkeys(SMTP_COUNTERS, 0)
            self.delay = 0.0
            self._applied = dict.fromkeys(SMTP_COUNTERS, 0)
            self._seen = {"mail": 0, "data": 0, "auth": 0}
            shutil.rmtree(self.messages_dir, ignore_errors=True)
            self.messages_dir.mkdir(parents=True, exist_ok=True)
            (self.data_dir / "messages.jsonl").unlink(missing_ok=True)


def create_twin(data_dir: Path, **options: Any) -> EmailTwin:
    """Registry factory: options ``username``, ``password``, ``server_hostname``."""
    return EmailTwin(data_dir, **options)
