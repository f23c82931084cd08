"""E-mail twin over real SMTP (smtplib): storage with attachments, AUTH, faults, loopback only."""

from __future__ import annotations

import hashlib
import json
import smtplib
import socket
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from kameng_filer.twins.email_twin import EmailTwin

ROOT = Path(__file__).resolve().parent.parent
ORDER_PNG = (ROOT / "examples" / "evidence" / "order.png").read_bytes()


def complaint_mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "张三 <zhangsan@example.com>"
    msg["To"] = "complaint@xingchen-km.example.com"
    msg["Subject"] = "投诉:订单 KM20261102150012 点券未到账"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("您好:\n我于 2026-11-02 购买的王者荣耀点券至今未到账,请退款 100 元。\n张三")
    msg.add_attachment(ORDER_PNG, maintype="image", subtype="png", filename="订单截图.png")
    msg.add_attachment(b"%PDF-1.4 test", maintype="application", subtype="pdf", filename="complaint.pdf")
    return msg


def test_message_with_attachments_is_stored(email_twin) -> None:
    msg = complaint_mail()
    with smtplib.SMTP(email_twin.host, email_twin.port, timeout=10) as smtp:
        refused = smtp.send_message(msg)
        assert refused == {}
    [got] = email_twin.messages()
    assert got["message_id"] == msg["Message-ID"]
    assert got["subject"] == "投诉:订单 KM20261102150012 点券未到账"
    assert got["from"] == "张三 <zhangsan@example.com>"
    assert got["to"] == ["complaint@xingchen-km.example.com"]
    assert got["envelope_to"] == ["complaint@xingchen-km.example.com"]
    assert "请退款 100 元" in got["body"]
    names = {a["name"]: a for a in got["attachments"]}
    assert names["订单截图.png"] == {
        "name": "订单截图.png",
        "size": len(ORDER_PNG),
        "sha256": hashlib.sha256(ORDER_PNG).hexdigest(),
        "mime": "image/png",
    }
    assert names["complaint.pdf"]["mime"] == "application/pdf"
    assert got["queue_id"] and got["auth_user"] is None
    raw = email_twin.raw(got["seq"])
    assert msg["Message-ID"].encode() in raw and len(raw) == got["size"]
    line = (email_twin.data_dir / "messages.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert json.loads(line)["message_id"] == msg["Message-ID"]
    assert (email_twin.messages_dir / got["file"]).exists()


def test_server_answer_carries_queue_id(email_twin) -> None:
    msg = complaint_mail()
    with smtplib.SMTP(email_twin.host, email_twin.port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("a@example.com")
        smtp.rcpt("b@example.com")
        code, answer = smtp.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    assert code == 250
    assert email_twin.messages()[0]["queue_id"] in answer.decode()


def test_auth_required_when_configured(tmp_path) -> None:
    with EmailTwin(tmp_path, username="kameng", password="s3cret") as twin:
        with (
            smtplib.SMTP(twin.host, twin.port, timeout=10) as smtp,
            pytest.raises(smtplib.SMTPSenderRefused) as exc,
        ):
            smtp.send_message(complaint_mail())
        assert exc.value.smtp_code == 530
        with (
            smtplib.SMTP(twin.host, twin.port, timeout=10) as smtp,
            pytest.raises(smtplib.SMTPAuthenticationError),
        ):
            smtp.login("kameng", "wrong")
        with smtplib.SMTP(twin.host, twin.port, timeout=10) as smtp:
            smtp.login("kameng", "s3cret")
            smtp.send_message(complaint_mail())
        assert [m["auth_user"] for m in twin.messages()] == ["kameng"]
        assert twin.info()["auth"] == {"username": "kameng", "password": "s3cret"}


def test_tempfail_then_success(email_twin) -> None:
    email_twin.set_faults(tempfail=1)
    with smtplib.SMTP(email_twin.host, email_twin.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as exc:
            smtp.send_message(complaint_mail())
        assert exc.value.smtp_code == 451
        smtp.send_message(complaint_mail())
    assert len(email_twin.messages()) == 1


def test_permanent_rejection(email_twin) -> None:
    email_twin.set_faults(reject=2)
    with smtplib.SMTP(email_twin.host, email_twin.port, timeout=10) as smtp:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPDataError) as exc:
                smtp.send_message(complaint_mail())
            assert exc.value.smtp_code == 554
    assert email_twin.messages() == []
    assert email_twin.faults() == {
        "tempfail": 0,
        "reject": 0,
        "drop": 0,
        "drop_after_data": 0,
        "auth_fail": 0,
        "delay": 0.0,
        "refuse": False,
    }


def test_refuse_and_resume_on_same_port(email_twin) -> None:
    port = email_twin.port
    email_twin.set_faults(refuse=True)
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(email_twin.host, port, timeout=5)
    email_twin.set_faults(refuse=False)
    assert email_twin.port == port
    with smtplib.SMTP(email_twin.host, port, timeout=10) as smtp:
        smtp.send_message(complaint_mail())
    assert len(email_twin.messages()) == 1


def test_bad_fault_switches(email_twin) -> None:
    with pytest.raises(ValueError, match="未知"):
        email_twin.set_faults(explode=1)
    with pytest.raises(ValueError, match="非负整数"):
        email_twin.set_faults(tempfail=-1)


def test_loopback_only(tmp_path, email_twin) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        EmailTwin(tmp_path).start(host="0.0.0.0")
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", email_twin.port), timeout=2):
        pass
    assert email_twin.url == f"smtp://127.0.0.1:{email_twin.port}"


def test_reset_forgets_messages(email_twin) -> None:
    with smtplib.SMTP(email_twin.host, email_twin.port, timeout=10) as smtp:
        smtp.send_message(complaint_mail())
    email_twin.reset()
    assert email_twin.messages() == [] and list(email_twin.messages_dir.iterdir()) == []
