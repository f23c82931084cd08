"""The log file: ``logs/kameng.log`` in the data folder, rotated at 1 MB (5 kept).

Only the toolkit's own loggers (``kameng_filer.*``) are written — not third-party ones, whose request
logs may carry tokens in URLs. Technical details (DEBUG) are written with ``-v``; ``-v`` also shows the
log on stderr. A data folder that cannot be written only means no log file, never an error.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from kameng_filer.cli import verbosity

LOGGER = "kameng_filer"
FILE_NAME = "kameng.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler that creates its folder on first use and goes silent when it cannot write."""

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8")

    def handleError(self, record: logging.LogRecord) -> None:
        """Disable this handler instead of printing a logging traceback."""
        self.setLevel(logging.CRITICAL + 1)


def log_dir() -> Path:
    """The folder of the log files (``logs`` in the data folder; not created here)."""
    from kameng_filer import home

    return home.current().data / "logs"


def start() -> list[logging.Handler]:
    """Attach the log file (and, with ``-v``, a stderr handler) to the toolkit's logger."""
    logger = logging.getLogger(LOGGER)
    level = logging.DEBUG if verbosity.verbose() else logging.INFO
    handlers: list[logging.Handler] = []
    try:
        path = log_dir() / FILE_NAME
        handler: logging.Handler = _QuietFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.setLevel(level)
        handlers.append(handler)
    except Exception:  # no data folder: no log file
        pass
    if verbosity.verbose():
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        stream.setLevel(logging.DEBUG if verbosity.level() >= 2 else logging.INFO)
        handlers.append(stream)
    for h in handlers:
        logger.addHandler(h)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return handlers


def stop(handlers: list[logging.Handler]) -> None:
    """Detach and close handlers returned by ``start``."""
    logger = logging.getLogger(LOGGER)
    for h in handlers:
        logger.removeHandler(h)
        h.close()
