"""What route modules share with the app: page rendering, Chinese error pages, the CSRF value, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse

from kameng_filer.ui import security
from kameng_filer.ui.runs import Runs


@dataclass
class Kit:
    """Handed by ``create_app`` to each route module's ``routes(kit)``."""

    page: Callable[..., HTMLResponse]
    problem: Callable[[Request, int, str, str], HTMLResponse]
    csrf: str
    now: Callable[[], datetime]
    runs: Runs = field(default_factory=Runs)
    lan: Any = None
    """``lan.LanAccess`` when ``kameng ui --lan`` serves the phone guide pages, else None."""
    demo: Any = None
    """DEMO ONLY (``kameng ui --demo``): the scripted answerer reading the twins' test outboxes."""

    async def form(self, request: Request) -> FormData | None:
        """The posted form when its CSRF value is right, else None (the caller answers 403)."""
        form = await request.form()
        value = form.get(security.CSRF_FIELD)
        return form if isinstance(value, str) and security.same(value, self.csrf) else None

    def stale(self, request: Request) -> HTMLResponse:
        """The refusal of a form without a valid CSRF value."""
        return self.problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")

    def no_case(self, request: Request, case_id: str) -> HTMLResponse:
        """The Chinese 404 of a case id the store does not have."""
        return self.problem(request, 404, f"本地存储中没有案件 {case_id}", "回到“我的纠纷”查看已保存的案件。")
