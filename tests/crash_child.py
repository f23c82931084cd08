"""TESTS ONLY: run the ``kameng`` CLI in this process with a scripted person (for crash tests).

``python -m tests.crash_child file CASE --channels … --yes --json`` is ``kameng file …`` except that
the person is the demo's scripted stand-in (``ScriptedPerson``): it reads SMS codes and captchas from
the twins' test-only endpoints, and for the assisted channels it plays the person with a phone app
modelled by a JSON file (``FakeApp``): confirming the final step files a complaint in the "app", and
the person reads its number back. Configured by the ``KAMENG_TEST_PERSON`` environment variable:
``{"urls": {channel: twin url}, "app": "/path/app.json"}``. ``KAMENG_CRASH_AT`` works as usual.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ENV = "KAMENG_TEST_PERSON"
_STEP = re.compile(r"第 (\d+)/(\d+) 步")


class FakeApp:
    """The person's payment app: complaints filed there, kept in a JSON file (survives a SIGKILL)."""

    def __init__(self, path: Path, prefix: str = "20261122") -> None:
        self.path = path
        self.prefix = prefix

    def numbers(self) -> list[str]:
        """Complaint numbers filed in the app, oldest first."""
        if not self.path.exists():
            return []
        return list(json.loads(self.path.read_text(encoding="utf-8")))

    def file(self) -> str:
        """The person taps 提交: the app stores a new complaint (written durably before anything else)."""
        items = self.numbers()
        number = f"{self.prefix}{len(items) + 1:011d}"
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps([*items, number]), encoding="utf-8")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(self.path)
        return number

    def unrecorded(self, channel: str) -> str:
        """The newest app complaint the store does not know yet (what the person would look up), or ""."""
        from kameng_filer.store import Store

        with Store.open() as store:
            known = {f.complaint_no for f in store.filings(channel=channel) if f.complaint_no}
        fresh = [n for n in self.numbers() if n not in known]
        return fresh[-1] if fresh else ""


def answerer(spec: dict[str, Any]) -> Any:
    """The scripted person's answers: the demo's for twins, ``FakeApp`` for the assisted channels."""
    from kameng_filer.demo import DemoAnswerer

    demo = DemoAnswerer(dict(spec.get("urls") or {}))
    app = FakeApp(Path(spec["app"])) if spec.get("app") else None

    async def answer(channel: str, prompt: str, image: Path | None) -> str:
        if app is None or channel in demo.urls:
            return await demo(channel, prompt, image)
        step = _STEP.search(prompt)
        if step and "完成了吗" in prompt:
            if step.group(1) == step.group(2):  # the final tap: the complaint now exists in the app
                app.file()
            return "ok"
        if "上次在最后一步中断" in prompt:
            return app.unrecorded(channel)
        if "截图" in prompt:
            return ""
        if "单号" in prompt:
            return app.numbers()[-1]
        return await demo(channel, prompt, image)

    return answer


def main() -> None:
    """Patch the person and run the CLI with ``sys.argv``."""
    from kameng_filer.filing import person as person_mod
    from kameng_filer.filing.person import ScriptedPerson

    spec = json.loads(os.environ.get(ENV) or "{}")
    scripted = ScriptedPerson(answerer(spec), quiet=True)

    def default_person(console: Any = None) -> ScriptedPerson:
        return scripted

    person_mod.default_person = default_person  # type: ignore[assignment]
    import kameng_filer.cli as cli

    for name, module in list(sys.modules.items()):
        if name.startswith("kameng_filer.cli.") and hasattr(module, "default_person"):
            module.default_person = default_person  # type: ignore[attr-defined]
    cli.main()


if __name__ == "__main__":
    main()
