"""The person in the loop, in the page: captchas, SMS codes, QR logins and app steps asked in the browser.

The filing engine calls the same interface as for the terminal (``filing.person``): ``ask_code``,
``confirm``, ``ask_text``, ``show``. Here each question becomes an event of the run (shown by every tab
that follows it) and the engine waits until the person answers it in a page (``FilingRun.answer``).
The toolkit never answers a captcha by itself: without an answer in time the channel ends
``needs_person``.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from kameng_filer.errors import HumanActionRequired
from kameng_filer.filing.readable import enlarge_image

if TYPE_CHECKING:
    from kameng_filer.ui.runs import FilingRun

ANSWER_TIMEOUT_S = 30 * 60
"""How long a question waits for the person before the channel ends ``needs_person``."""
_IMAGE_IN_PROMPT = re.compile(r"[(（]图片[:：]\s*(?P<path>[^)）]+)[)）]")


def plain(text: str) -> str:
    """Text the engine wrote as rich markup (escaped case text), as plain text for the page."""
    try:
        return Text.from_markup(text).plain
    except Exception:  # not valid markup: show it as written
        return text


def split_image(prompt: str) -> tuple[str, Path | None]:
    """A prompt naming an image file ("…(图片:/path)") → (the prompt without it, the path)."""
    m = _IMAGE_IN_PROMPT.search(prompt)
    if m is None:
        return prompt, None
    return (prompt[: m.start()] + prompt[m.end() :]).strip(), Path(m.group("path").strip())


class WebPerson:
    """Answers come from the page; one question per channel at a time, several channels at once."""

    interactive = True

    def __init__(self, run: FilingRun, *, timeout_s: float = ANSWER_TIMEOUT_S) -> None:
        self.run = run
        self.timeout_s = timeout_s

    async def _ask(self, channel: str, kind: str, prompt: str, image: Path | None, error: str = "") -> str:
        answer = await self.run.ask(channel, kind, prompt, image=image, error=error, timeout_s=self.timeout_s)
        if answer is None:
            raise HumanActionRequired(
                f"页面上没有人回答：{prompt}",
                channel=channel,
                hint="回到工作台的案件页重新提交，按页面提示回答即可",
            )
        return answer

    async def ask_code(self, channel: str, prompt: str, *, image: Path | None = None) -> str:
        """A captcha (the image enlarged) or an SMS code, typed by the person in the page."""
        if image is not None:
            await asyncio.to_thread(enlarge_image, image)
        error = ""
        for _ in range(3):
            answer = (await self._ask(channel, "code", prompt, image, error)).strip()
            if answer:
                return answer
            error = "输入为空，请重新输入"
        raise HumanActionRequired(f"没有输入：{prompt}", channel=channel)

    async def confirm(self, channel: str, prompt: str) -> bool:
        """A step the person does elsewhere (scan a QR code, tap in an app): done, or given up."""
        text, image = split_image(prompt)
        if image is not None:
            await asyncio.to_thread(enlarge_image, image)
        return (await self._ask(channel, "confirm", text, image)) == "yes"

    async def ask_text(self, channel: str, prompt: str, *, validate: Any = None) -> str:
        """A line of text (e.g. the complaint number the app shows), re-asked until ``validate`` accepts it."""
        error = ""
        for _ in range(5):
            answer = (await self._ask(channel, "text", prompt, None, error)).strip()
            problem = validate(answer) if validate else (None if answer else "不能为空")
            if not problem:
                return answer
            error = str(problem)
        raise HumanActionRequired(f"多次输入无效：{prompt}", channel=channel)

    def show(self, channel: str, text: str) -> None:
        """Guidance for the person (e.g. an app step), shown under the channel."""
        self.run.emit({"type": "show", "channel": channel, "text": plain(text)})
