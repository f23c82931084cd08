"""The person in the loop: a terminal, nobody (no stdin), or the demo's scripted stand-in.

Captchas, SMS codes, QR logins and app steps are handed to the person; the toolkit never solves or
bypasses a captcha by machine. Only one channel talks to the person at a time; the others keep going.
"""

from __future__ import annotations

import asyncio
import os
import sys
import webbrowser
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from kameng_filer.errors import HumanActionRequired
from kameng_filer.filing.readable import enlarge_image, terminal_picture

_LOCK: asyncio.Lock | None = None


def _lock() -> asyncio.Lock:
    global _LOCK
    if _LOCK is None:
        _LOCK = asyncio.Lock()
    return _LOCK


class NoPerson:
    """Nobody can answer (no terminal): every human step ends the channel as ``needs_person``."""

    interactive = False

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)

    async def ask_code(self, channel: str, prompt: str, *, image: Path | None = None) -> str:
        """Refuse: nobody is there to read the captcha or SMS."""
        if image:
            enlarge_image(image)
        where = f"（验证码图片：{image}）" if image else ""
        raise HumanActionRequired(
            f"需要本人操作：{prompt}{where}",
            channel=channel,
            hint="在终端中重新运行同一命令（不要重定向标准输入），按提示输入即可",
        )

    async def confirm(self, channel: str, prompt: str) -> bool:
        """Refuse: nobody can confirm."""
        raise HumanActionRequired(f"需要本人操作：{prompt}", channel=channel, hint="在终端中重新运行同一命令")

    async def ask_text(self, channel: str, prompt: str, *, validate: Any = None) -> str:
        """Refuse: nobody can type."""
        raise HumanActionRequired(f"需要本人填写：{prompt}", channel=channel, hint="在终端中重新运行同一命令")

    def show(self, channel: str, text: str) -> None:
        """Print guidance on stderr."""
        self.console.print(f"[cyan][{channel}][/] {text}")


class TerminalPerson(NoPerson):
    """A person at the terminal: prompts are serialised and the live display pauses while they answer."""

    interactive = True

    def __init__(self, console: Console | None = None, *, open_images: bool | None = None) -> None:
        super().__init__(console)
        self.open_images = bool(os.environ.get("DISPLAY")) if open_images is None else open_images
        self.pause: Callable[[], Any] = lambda: None
        self.resume: Callable[[], Any] = lambda: None

    async def _input(self, text: str) -> str:
        self.console.print(text, end="")
        line = await asyncio.to_thread(sys.stdin.readline)
        if line == "":
            raise HumanActionRequired("标准输入已关闭，无法继续人工步骤")
        return line.strip()

    async def ask_code(self, channel: str, prompt: str, *, image: Path | None = None) -> str:
        """Show the captcha image path (and open it when there is a screen) and read the answer."""
        async with _lock():
            self.pause()
            try:
                self.console.rule(f"[bold]{channel}：需要本人操作")
                if image:
                    enlarge_image(image)  # a 50×24 px captcha is unreadable as served
                    self.console.print(f"验证码图片：[bold]{escape(str(image))}[/]")
                    picture = terminal_picture(image) if self.console.color_system else None
                    if picture is not None and self.console.is_terminal:
                        self.console.print(picture, end="")
                    if self.open_images:
                        webbrowser.open(image.resolve().as_uri())
                for _ in range(3):
                    answer = await self._input(f"{prompt}:")
                    if answer:
                        return answer
                    self.console.print("[yellow]输入为空，请重新输入[/]")
                raise HumanActionRequired(f"没有输入：{prompt}", channel=channel)
            finally:
                self.resume()

    async def confirm(self, channel: str, prompt: str) -> bool:
        """Ask the person to do something and press Enter when done (``n`` to give up)."""
        async with _lock():
            self.pause()
            try:
                self.console.rule(f"[bold]{channel}：需要本人操作")
                answer = await self._input(f"{prompt}\n完成后按回车继续（输入 n 放弃）：")
                return answer.lower() not in ("n", "no", "否")
            finally:
                self.resume()

    async def ask_text(self, channel: str, prompt: str, *, validate: Any = None) -> str:
        """Read a line of text, re-asking until ``validate`` (returns an error message or None) accepts it."""
        async with _lock():
            self.pause()
            try:
                for _ in range(5):
                    answer = await self._input(f"[{channel}] {prompt}:")
                    problem = validate(answer) if validate else (None if answer else "不能为空")
                    if not problem:
                        return answer
                    self.console.print(f"[yellow]{problem}[/]")
                raise HumanActionRequired(f"多次输入无效：{prompt}", channel=channel)
            finally:
                self.resume()

    def show(self, channel: str, text: str) -> None:
        """Print guidance."""
        self.pause()
        try:
            self.console.print(f"[cyan][{channel}][/] {text}")
        finally:
            self.resume()


Answerer = Callable[[str, str, Path | None], Awaitable[str]]


class ScriptedPerson(NoPerson):
    """DEMO / TESTS ONLY: a script stands in for the person, reading codes from the twins' test outboxes.

    Every answer is printed with a 演示 label so nobody mistakes it for automatic captcha solving; it
    only works against the local twins, which publish their captcha answers on a test-only endpoint.
    """

    interactive = True

    def __init__(
        self,
        answer: Answerer,
        *,
        texts: dict[str, list[str]] | None = None,
        console: Console | None = None,
        quiet: bool = False,
    ) -> None:
        super().__init__(console)
        self._answer = answer
        self._texts = {k: list(v) for k, v in (texts or {}).items()}
        self.quiet = quiet
        self.log: list[tuple[str, str, str]] = []

    async def ask_code(self, channel: str, prompt: str, *, image: Path | None = None) -> str:
        """Ask the demo script (which reads the twin's test outbox)."""
        if image:
            enlarge_image(image)
        value = await self._answer(channel, prompt, image)
        self.log.append((channel, "code", prompt))
        if not self.quiet:
            self.console.print(f"[magenta][演示·脚本代替本人][/] {channel}:{prompt} → {value}")
        return value

    async def confirm(self, channel: str, prompt: str) -> bool:
        """Confirm (after the script did what the person would do)."""
        await self._answer(channel, prompt, None)
        self.log.append((channel, "confirm", prompt))
        if not self.quiet:
            self.console.print(f"[magenta][演示·脚本代替本人][/] {channel}:{prompt} → 已完成")
        return True

    async def ask_text(self, channel: str, prompt: str, *, validate: Any = None) -> str:
        """Answer from the scripted texts for this channel, else from the answer callback."""
        queue = self._texts.get(channel)
        value = queue.pop(0) if queue else await self._answer(channel, prompt, None)
        problem = validate(value) if validate else None
        if problem:
            raise HumanActionRequired(f"演示脚本的输入无效：{problem}", channel=channel)
        self.log.append((channel, "text", prompt))
        if not self.quiet:
            self.console.print(f"[magenta][演示·脚本代替本人][/] {channel}:{prompt} → {value}")
        return value

    def show(self, channel: str, text: str) -> None:
        """Print guidance unless quiet."""
        if not self.quiet:
            super().show(channel, text)


def default_person(console: Console | None = None) -> NoPerson:
    """A terminal person when stdin is a terminal, otherwise nobody."""
    return TerminalPerson(console) if sys.stdin is not None and sys.stdin.isatty() else NoPerson(console)
