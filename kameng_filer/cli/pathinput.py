"""File paths typed, pasted or dragged into a terminal prompt: quoted, with spaces, several at once, ``file://`` URIs.

Terminals paste a dragged file differently: GNOME Terminal and iTerm2 quote it (``'/a b/x.png'``), macOS
Terminal escapes spaces (``/a\\ b/x.png``), some file managers paste ``file:///a%20b/x.png``, Windows
Terminal wraps it in double quotes. ``split_paths`` turns any of these, several at once, into paths.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import unquote, urlparse

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def _one(token: str) -> str:
    """A token as a path: ``file://`` URIs decoded, ``~`` expanded."""
    if token.startswith("file://"):
        token = unquote(urlparse(token).path)
    return str(Path(token).expanduser())


def split_paths(line: str) -> list[Path]:
    """The paths in one line of input (empty list for an empty line)."""
    raw = line.strip()
    if not raw:
        return []
    whole = _one(raw.strip("'\""))
    if Path(whole).exists():  # one path, possibly with unquoted spaces
        return [Path(whole)]
    try:
        tokens = shlex.split(raw, posix=True)
    except ValueError:  # unbalanced quotes: take the line as one path
        return [Path(whole)]
    if any("\\" in raw and not Path(_one(t)).exists() for t in tokens):
        # a Windows path (backslashes eaten by posix splitting): split without escapes
        try:
            tokens = [t.strip("'\"") for t in shlex.split(raw, posix=False)]
        except ValueError:
            return [Path(whole)]
    return [Path(_one(t)) for t in tokens if t]


def images_in(folder: Path) -> list[Path]:
    """The screenshots directly inside ``folder`` (by suffix), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
