"""Replace a file in one step: write a temporary file beside it, then ``os.replace`` it into place."""

from __future__ import annotations

import os
from pathlib import Path


def replace_bytes(file: Path, data: bytes, *, keep_mode: bool = False) -> None:
    """Write ``data`` to ``file`` atomically (readers see the old or the new file, never half of one).

    With ``keep_mode`` an existing file's permission bits carry over. Raises ``OSError`` after
    removing the temporary file; the caller words the message for its person.
    """
    tmp = file.with_name(f".{file.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        if keep_mode and file.exists():
            os.chmod(tmp, file.stat().st_mode & 0o7777)
        os.replace(tmp, file)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
