"""Image captchas drawn with Pillow; answers are readable only through the test/operator endpoint."""

from __future__ import annotations

import io
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from kameng_filer.twins.clock import TwinClock

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: a person must be able to read it."""

CAPTCHA_TTL = timedelta(minutes=5)


@dataclass
class Captcha:
    """One issued captcha: its id, answer, owning session (if any) and time."""

    id: str
    answer: str
    session: str | None
    at: datetime
    used: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (test/operator endpoint only)."""
        return {
            "id": self.id,
            "answer": self.answer,
            "session": self.session,
            "at": self.at.isoformat(timespec="seconds"),
            "used": self.used,
        }


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def render_captcha(text: str, *, width: int = 130, height: int = 46) -> bytes:
    """A noisy PNG showing ``text`` (rotated letters, lines, dots)."""
    rng = secrets.SystemRandom()
    img = Image.new(
        "RGB", (width, height), (rng.randint(225, 250), rng.randint(225, 250), rng.randint(225, 250))
    )
    draw = ImageDraw.Draw(img)
    for _ in range(160):
        draw.point(
            (rng.randrange(width), rng.randrange(height)), fill=tuple(rng.randint(90, 200) for _ in range(3))
        )
    step = (width - 16) // max(len(text), 1)
    for i, ch in enumerate(text):
        glyph = Image.new("RGBA", (36, 40), (0, 0, 0, 0))
        gd = ImageDraw.Draw(glyph)
        color = (rng.randint(10, 110), rng.randint(10, 110), rng.randint(10, 110), 255)
        gd.text((6, 2), ch, font=_font(30), fill=color)
        glyph = glyph.rotate(rng.uniform(-28, 28), resample=Image.Resampling.BICUBIC, expand=False)
        img.paste(glyph, (8 + i * step + rng.randint(-2, 2), rng.randint(0, 6)), glyph)
    for _ in range(4):
        draw.line(
            [(rng.randrange(width), rng.randrange(height)), (rng.randrange(width), rng.randrange(height))],
            fill=tuple(rng.randint(60, 180) for _ in range(3)),
            width=rng.randint(1, 2),
        )
    img = img.filter(ImageFilter.SMOOTH)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


class CaptchaStore:
    """Issues captchas per session or per API id; verification is single-use and case-insensitive."""

    def __init__(self, clock: TwinClock, ttl: timedelta = CAPTCHA_TTL) -> None:
        self.clock = clock
        self.ttl = ttl
        self._lock = threading.Lock()
        self._by_id: dict[str, Captcha] = {}

    def issue(self, session: str | None = None) -> Captcha:
        """A new captcha (4–5 characters); for a session it replaces the session's previous one."""
        rng = secrets.SystemRandom()
        answer = "".join(rng.choice(ALPHABET) for _ in range(rng.choice((4, 5))))
        cap = Captcha(id=secrets.token_hex(8), answer=answer, session=session, at=self.clock.now())
        with self._lock:
            if session is not None:
                for old in self._by_id.values():
                    if old.session == session:
                        old.used = True
            self._by_id[cap.id] = cap
        return cap

    def png(self, cap: Captcha) -> bytes:
        """The image of ``cap``."""
        return render_captcha(cap.answer)

    def get(self, captcha_id: str) -> Captcha | None:
        """The captcha with this id (used or not)."""
        with self._lock:
            return self._by_id.get(captcha_id)

    def current(self, session: str) -> Captcha | None:
        """The session's latest unused captcha."""
        with self._lock:
            caps = [c for c in self._by_id.values() if c.session == session and not c.used]
        return caps[-1] if caps else None

    def verify(self, given: str, *, captcha_id: str | None = None, session: str | None = None) -> bool:
        """Check ``given`` against a captcha (by id, else the session's current one); always consumes it."""
        with self._lock:
            cap = self._by_id.get(captcha_id) if captcha_id else None
            if cap is None and session is not None:
                live = [c for c in self._by_id.values() if c.session == session and not c.used]
                cap = live[-1] if live else None
            if cap is None or cap.used:
                return False
            cap.used = True
            if self.clock.now() - cap.at > self.ttl:
                return False
            return given.strip().upper() == cap.answer

    def answers(self, *, session: str | None = None, captcha_id: str | None = None) -> list[dict[str, Any]]:
        """Issued captchas with answers, newest first (test/operator endpoint only)."""
        with self._lock:
            caps = list(self._by_id.values())
        if session is not None:
            caps = [c for c in caps if c.session == session]
        if captcha_id is not None:
            caps = [c for c in caps if c.id == captcha_id]
        return [c.to_dict() for c in reversed(caps)]

    def clear(self) -> None:
        """Forget every captcha."""
        with self._lock:
            self._by_id.clear()
