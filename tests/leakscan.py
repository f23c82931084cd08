"""Leak scanner (pytest plugin): after the session, no canary secret anywhere, no personal data on public twins.

``pytest_sessionfinish`` walks this session's pytest ``basetemp`` — every ``KAMENG_HOME`` (SQLite raw
bytes and every text/blob column, logs, blobs, artifacts, sessions, config), every export (zip
members, recursively) and every twin's received data — and looks for each canary secret of
``tests.canaries`` as plain text, URL-encoded and base64 (any alignment, standard and URL-safe). In
the ``state.json`` of a twin whose channel is public (黑猫投诉) it also looks for the cases'
unmasked personal data (phones, e-mails, ID numbers, card keys, street addresses) in what the site
received (submissions, messages). Findings are printed (file, kind, 40 characters of context) and
the session fails. ``scan_tree`` is the same scan for one folder, used by the tests themselves.
"""

from __future__ import annotations

import base64
import io
import json
import re
import sqlite3
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

MAX_FILE = 64 * 1024 * 1024
MAX_ZIP_DEPTH = 3
CONTEXT = 20
"""Characters of context either side of a finding (40 in all)."""
SKIP_DIRS = frozenset({"__pycache__", "site-packages", ".venv", "node_modules", ".hypothesis", ".git"})
SOURCE_TREE_MARKER = "pyproject.toml"
"""A folder with this file is a copy of the project's source (packaging tests), not data the program wrote."""
SKIP_SUFFIXES = (".py", ".pyc", ".whl", ".tar.gz", ".dist-info", ".egg-info")
"""Program code and packages built by packaging tests (they contain the twins' seeded passwords)."""
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
PLANTED_MARKER = ".leakscan-planted"
"""A folder holding this file is the scanner's own test data (planted leaks): the session scan skips it."""
PUBLIC_FIELDS = ("submissions", "messages")
"""What a public site publishes of what it received (logins/SMS go to the platform privately)."""


@dataclass(frozen=True)
class Leak:
    """One finding: where, what kind, which canary, and the text around it."""

    path: str
    kind: str
    what: str
    context: str

    def line(self) -> str:
        """One report line."""
        return f"{self.path}: {self.kind} [{self.what}] …{self.context}…"


@dataclass
class ScanReport:
    """What a scan looked at and what it found."""

    leaks: list[Leak] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    databases: int = 0
    db_values: int = 0
    zip_members: int = 0
    public_states: int = 0
    skipped: int = 0
    planted: int = 0
    unreadable_dbs: int = 0
    seconds: float = 0.0

    def merge(self, other: ScanReport) -> None:
        """Add another report's counts and findings to this one."""
        self.leaks += other.leaks
        for name in (
            "files",
            "bytes",
            "databases",
            "db_values",
            "zip_members",
            "public_states",
            "skipped",
            "planted",
            "unreadable_dbs",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.seconds += other.seconds

    def summary(self) -> str:
        """One line of counts."""
        return (
            f"{self.files} files ({self.bytes / 1024 / 1024:.1f} MB), {self.databases} SQLite databases "
            f"({self.db_values} text values, {self.unreadable_dbs} unreadable), {self.zip_members} zip members, "
            f"{self.public_states} public-twin states; {self.skipped} program files/trees and "
            f"{self.planted} planted-leak folders skipped; "
            f"{len(self.leaks)} finding(s) in {self.seconds:.1f} s"
        )


# ---- needles ----------------------------------------------------------------------------------------


def base64_fragments(secret: bytes) -> set[bytes]:
    """The base64 text of ``secret`` wherever it sits in a longer encoded value (3 alignments, std + url-safe).

    Only the characters made of the secret's bits alone are kept, so the fragment appears whatever
    bytes surround the secret in the encoded original.
    """
    out: set[bytes] = set()
    n = len(secret)
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + secret)
        start = -(-8 * k // 6)
        end = (8 * (k + n)) // 6
        frag = enc[start:end]
        if len(frag) >= 6:
            out.add(frag)
            out.add(frag.replace(b"+", b"-").replace(b"/", b"_"))
    return out


def secret_needles(name: str, value: str) -> list[tuple[str, str, bytes]]:
    """(kind, name, bytes) to look for: the secret as is, URL-encoded, base64."""
    raw = value.encode("utf-8")
    needles = [("secret", name, raw)]
    for encoded in {quote(value, safe=""), quote_plus(value, safe="")} - {value}:
        needles.append(("secret (URL-encoded)", name, encoded.encode("ascii")))
    needles += [("secret (base64)", name, frag) for frag in sorted(base64_fragments(raw))]
    return needles


def personal_needles(values: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, text) for each personal value, phones also as ``138 0013 8000`` / ``138-0013-8000``."""
    out = []
    for label, value in values.items():
        out.append((label, value))
        if re.fullmatch(r"1\d{10}", value):
            out += [(label, f"{value[:3]}{sep}{value[3:7]}{sep}{value[7:]}") for sep in (" ", "-")]
    return out


def _context(data: bytes | str, pos: int, length: int) -> str:
    """The finding with ``CONTEXT`` characters (bytes) either side, control characters shown as ``·``."""
    chunk = data[max(0, pos - CONTEXT) : pos + length + CONTEXT]
    text = chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else chunk
    return re.sub(r"[\x00-\x1f\x7f\ufffd]", "·", text)


# ---- the scan ----------------------------------------------------------------------------------------


class Scanner:
    """Scans files for canary secrets (and public twins' states for personal data)."""

    def __init__(
        self,
        secrets: Mapping[str, str],
        personal: Mapping[str, str] | None = None,
        *,
        skip_planted: bool = False,
    ) -> None:
        needles = [n for name, value in secrets.items() for n in secret_needles(name, value)]
        self.plain = [n for n in needles if n[0] != "secret (base64)"]
        self.all = needles
        self.personal = personal_needles(personal or {})
        self.public_twins = public_twin_channels()
        self.skip_planted = skip_planted
        self.report = ScanReport()

    def add(self, where: str, kind: str, what: str, data: bytes | str, pos: int, length: int) -> None:
        leak = Leak(where, kind, what, _context(data, pos, length))
        if leak not in self.report.leaks:
            self.report.leaks.append(leak)

    def search(self, where: str, data: bytes, *, text_like: bool) -> None:
        """Every needle in ``data`` (base64 forms only in text; image bytes are compressed noise)."""
        for kind, name, needle in self.all if text_like else self.plain:
            pos = data.find(needle)
            if pos >= 0:
                self.add(where, kind, name, data, pos, len(needle))

    def search_text(self, where: str, text: str) -> None:
        """Every needle in a decoded text value (e.g. a database column)."""
        self.search(where, text.encode("utf-8", "surrogatepass"), text_like=True)

    def scan_bytes(self, where: str, data: bytes, depth: int = 0) -> None:
        """One file's (or zip member's) content."""
        if data.startswith(ZIP_MAGIC) and depth < MAX_ZIP_DEPTH:
            self.scan_zip(where, data, depth)
        image = data.startswith(IMAGE_MAGIC)
        self.search(where, data, text_like=not image)

    def scan_zip(self, where: str, data: bytes, depth: int) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    if info.is_dir() or info.file_size > MAX_FILE:
                        continue
                    self.report.zip_members += 1
                    self.scan_bytes(f"{where}!{info.filename}", zf.read(info), depth + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError):
            return  # a truncated/encrypted archive: its raw bytes are still searched

    def scan_sqlite(self, path: Path) -> None:
        """Every text and blob value of every table (raw bytes are searched as a file too)."""
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        except sqlite3.Error:
            self.report.unreadable_dbs += 1
            return
        try:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            self.report.databases += 1
            for table in tables:
                for row in con.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        if isinstance(value, str):
                            self.report.db_values += 1
                            self.search_text(f"{path}:{table}", value)
                        elif isinstance(value, bytes):
                            self.report.db_values += 1
                            self.scan_bytes(f"{path}:{table}", value)
        except sqlite3.Error:
            self.report.unreadable_dbs += 1  # its raw bytes were still searched
            return
        finally:
            con.close()

    def scan_public_state(self, path: Path, data: bytes) -> None:
        """Personal data in what a public twin received (its ``state.json``)."""
        try:
            state = json.loads(data)
        except ValueError:
            return
        if not isinstance(state, dict) or state.get("channel") not in self.public_twins:
            return
        self.report.public_states += 1
        for part in PUBLIC_FIELDS:
            for text in _strings(state.get(part)):
                for label, value in self.personal:
                    pos = text.find(value)
                    if pos >= 0:
                        self.add(
                            str(path),
                            f"personal data on public channel ({part})",
                            label,
                            text,
                            pos,
                            len(value),
                        )

    def scan_file(self, path: Path) -> None:
        try:
            size = path.stat().st_size
            if size > MAX_FILE:
                self.report.skipped += 1
                return
            data = path.read_bytes()
        except OSError:
            return
        self.report.files += 1
        self.report.bytes += len(data)
        self.scan_bytes(str(path), data)
        if data.startswith(SQLITE_MAGIC):
            self.scan_sqlite(path)
        if path.name == "state.json" and self.personal:
            self.scan_public_state(path, data)

    def scan_tree(self, root: Path) -> ScanReport:
        """Scan every file under ``root``; returns the report (also kept in ``self.report``)."""
        started = time.monotonic()
        for path in walk(Path(root), self.report, skip_planted=self.skip_planted):
            self.scan_file(path)
        self.report.seconds += time.monotonic() - started
        return self.report


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def walk(root: Path, report: ScanReport, *, skip_planted: bool = False) -> Iterator[Path]:
    """Files under ``root`` (symlinks not followed), skipping program code, built packages and copies of
    the source tree, and with ``skip_planted`` the folders marked ``PLANTED_MARKER``."""
    if root.is_file():
        yield root
        return
    stack = [root]
    while stack:
        folder = stack.pop()
        if skip_planted and (folder / PLANTED_MARKER).exists():
            report.planted += 1
            continue
        if (folder / SOURCE_TREE_MARKER).is_file():
            report.skipped += 1
            continue
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for p in entries:
            if p.is_symlink():
                continue
            if p.name in SKIP_DIRS or p.name.endswith(SKIP_SUFFIXES):
                report.skipped += 1
                continue
            if p.is_dir():
                stack.append(p)
            elif p.is_file():
                yield p


def public_twin_channels() -> set[str]:
    """Channel names of public channels (``spec.public``) — their twins' ``state.json`` carry that name."""
    from kameng_filer import registry

    out = set()
    for name in registry.names():
        try:
            if registry.spec(name).public:
                out.add(name)
        except Exception:  # a broken plugin must not hide the scan
            continue
    return out


def default_secrets() -> dict[str, str]:
    """The suite's canary secrets."""
    from tests.canaries import SECRETS

    return dict(SECRETS)


def default_personal() -> dict[str, str]:
    """The suite's cases' personal values."""
    from tests.canaries import personal_values

    return personal_values()


def scan_tree(
    roots: Path | Iterable[Path],
    secrets: Mapping[str, str] | None = None,
    personal: Mapping[str, str] | None = None,
    *,
    skip_planted: bool = False,
) -> ScanReport:
    """Scan folders (or files) for the canary secrets and public twins' states for personal data.

    ``secrets`` / ``personal`` default to the suite's canaries and cases (``tests.canaries``).
    """
    scanner = Scanner(
        default_secrets() if secrets is None else secrets,
        default_personal() if personal is None else personal,
        skip_planted=skip_planted,
    )
    for root in [roots] if isinstance(roots, Path) else roots:
        scanner.scan_tree(root)
    return scanner.report


def format_report(report: ScanReport) -> str:
    """The findings, one per line, then the counts."""
    lines = [leak.line() for leak in report.leaks]
    return "\n".join([*lines, report.summary()])


# ---- the plugin --------------------------------------------------------------------------------------


def session_basetemp(config: pytest.Config) -> Path | None:
    """This session's basetemp, or None when no test used a temporary folder."""
    factory = getattr(config, "_tmp_path_factory", None)
    base = getattr(factory, "_basetemp", None)  # read only: getbasetemp() would create one
    return Path(base) if base is not None else None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Scan this session's basetemp before pytest's own clean-up runs; fail the session on a finding."""
    config = session.config
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controlling process scans every worker's folders once, at the end
    base = session_basetemp(config)
    if base is None or not base.is_dir() or session.testscollected == 0:
        return
    report = scan_tree(base, skip_planted=True)
    config.stash[REPORT_KEY] = report
    tr = config.pluginmanager.get_plugin("terminalreporter")
    policy = config.getini("tmp_path_retention_policy")
    note = (
        ""
        if policy == "all"
        else f" (tmp_path_retention_policy={policy}: passed tests' folders were removed)"
    )
    if report.leaks:
        text = "LEAK SCAN FAILED — secrets or personal data found:\n" + format_report(report)
        if tr is not None:
            tr.write_sep("=", "leak scan", red=True)
            tr.write_line(text + note, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif tr is not None:
        tr.write_line(f"leak scan of {base}: {report.summary()}{note}")


REPORT_KEY = pytest.StashKey[ScanReport]()
"""The session's scan report (``config.stash[REPORT_KEY]``), for plugins that want the figures."""
