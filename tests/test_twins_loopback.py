"""Every twin listens on 127.0.0.1 only — checked from the OS side (/proc/net/tcp, tcp6) — and refuses other hosts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kameng_filer.twins.registry import available, create_twin, start_twins
from kameng_filer.twins.server import LOOPBACK, TwinServer, check_host

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")

LISTEN = "0A"
URL_LINE = re.compile(r"^(\w+) (?:http|smtp)://127\.0\.0\.1:(\d+)$")


def _ipv4(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    return ".".join(str(b) for b in reversed(raw))


def _ipv6(hex_addr: str) -> str:
    import ipaddress

    raw = bytes.fromhex(hex_addr)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))  # four little-endian 32-bit words
    return str(ipaddress.IPv6Address(words))


def listening(pid: int | None = None) -> list[tuple[str, int, int]]:
    """(address, port, inode) of every listening TCP socket (of process ``pid`` when given)."""
    inodes: set[int] | None = None
    if pid is not None:
        inodes = set()
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            m = re.fullmatch(r"socket:\[(\d+)\]", target)
            if m:
                inodes.add(int(m.group(1)))
    out = []
    for table, parse in (("/proc/net/tcp", _ipv4), ("/proc/net/tcp6", _ipv6)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            cols = line.split()
            local, state, inode = cols[1], cols[3], int(cols[9])
            if state != LISTEN or (inodes is not None and inode not in inodes):
                continue
            addr, port = local.rsplit(":", 1)
            out.append((parse(addr), int(port, 16), inode))
    return out


WILDCARDS = {"0.0.0.0", "::"}


def test_proc_parsing_sees_a_known_socket() -> None:
    """The /proc reader itself: a socket bound to 127.0.0.1 and one to 0.0.0.0 are reported as such."""
    import socket

    with socket.socket() as lo, socket.socket() as anyaddr:
        lo.bind(("127.0.0.1", 0))
        lo.listen()
        anyaddr.bind(("0.0.0.0", 0))
        anyaddr.listen()
        mine = {(a, p) for a, p, _ in listening(os.getpid())}
        assert ("127.0.0.1", lo.getsockname()[1]) in mine
        assert ("0.0.0.0", anyaddr.getsockname()[1]) in mine


def test_every_twin_in_process_listens_on_loopback_only(tmp_path: Path) -> None:
    names = available()
    assert {"card_a", "card_b", "email", "gov12315", "heimao", "association"} <= set(names)
    before = {inode for *_, inode in listening(os.getpid())}
    with start_twins(names, data_dir=tmp_path) as twins:
        new = [s for s in listening(os.getpid()) if s[2] not in before]
        ports = {twin.port for twin in twins.values()}
        assert {p for _, p, _ in new} == ports, "each twin has exactly its one listening socket"
        assert len(new) == len(names)
        for addr, port, _ in new:
            assert addr == LOOPBACK, f"port {port} listens on {addr}"
        assert not [s for s in listening(os.getpid()) if s[0] in WILDCARDS]
    after = {inode for *_, inode in listening(os.getpid())}
    assert after <= before, "stopped twins leave no listening socket"


def test_kameng_twins_process_listens_on_loopback_only(tmp_path: Path) -> None:
    """``kameng twins`` (all twins) as a real process: its listening sockets, read from /proc, are all 127.0.0.1."""
    names = available()
    env = {**os.environ, "KAMENG_HOME": str(tmp_path / "home"), "COLUMNS": "120", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kameng_filer.cli import main; main()", "twins"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        printed: dict[str, int] = {}
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while len(printed) < len(names) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = URL_LINE.match(line.strip())
            if m:
                printed[m.group(1)] = int(m.group(2))
        assert set(printed) == set(names), printed
        sockets = listening(proc.pid)
        assert {p for _, p, _ in sockets} == set(printed.values())
        assert {a for a, _, _ in sockets} == {LOOPBACK}, sockets
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "localhost", "192.168.1.10", ""])
def test_binding_elsewhere_is_refused_with_a_clear_message(tmp_path: Path, host: str) -> None:
    before = listening(os.getpid())
    with pytest.raises(ValueError, match=r"孪生站点只能绑定 127\.0\.0\.1") as err:
        check_host(host)
    assert repr(host) in str(err.value)
    for name in available():
        twin = create_twin(name, tmp_path / name)
        with pytest.raises(ValueError, match=r"孪生站点只能绑定 127\.0\.0\.1"):
            twin.start(0, host=host)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="只能绑定"):
        TwinServer(lambda *a: None, "x", host=host)  # type: ignore[arg-type]
    assert listening(os.getpid()) == before, "a refused twin opened no socket"
