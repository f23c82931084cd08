"""Run an ASGI app under uvicorn in a background thread, bound to 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"


class TwinServerError(RuntimeError):
    """The twin server could not be started."""


def check_host(host: str) -> str:
    """Return ``host`` when it is the loopback address; refuse anything else."""
    if host != LOOPBACK:
        raise ValueError(f"孪生站点只能绑定 {LOOPBACK},不能绑定 {host!r}(twins are local-only)")
    return host


class TwinServer:
    """A uvicorn server for one twin in its own thread and event loop.

    Usable from plain code (``start``/``stop``, ``with``) and from inside a running asyncio loop
    (``await astart()``/``await astop()``, ``async with``): the twin never shares the caller's loop.
    """

    def __init__(
        self,
        app: Any,
        name: str,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        graceful_timeout: float = 3.0,
    ) -> None:
        self.app = app
        self.name = name
        self.host = check_host(host)
        self.requested_port = port
        self.graceful_timeout = graceful_timeout
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL (no trailing slash) once started."""
        if self.port is None:
            raise TwinServerError(f"孪生站点 {self.name} 尚未启动")
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 15.0) -> TwinServer:
        """Bind the socket, start the thread and wait until the server answers HTTP."""
        if self.running:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as exc:
            sock.close()
            raise TwinServerError(
                f"孪生站点 {self.name} 无法绑定 {self.host}:{self.requested_port}:{exc}"
            ) from exc
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=self.graceful_timeout,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._error = None
        self._thread = threading.Thread(
            target=self._run, args=(self._server, sock), name=f"twin-{self.name}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise TwinServerError(f"孪生站点 {self.name} 启动失败") from self._error
            time.sleep(0.01)
        self._wait_answering(deadline)
        return self

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            sock.close()

    def _wait_answering(self, deadline: float) -> None:
        while True:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
            try:
                conn.request("GET", "/_twin/health")
                conn.getresponse().read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TwinServerError(f"孪生站点 {self.name} 没有响应") from None
                time.sleep(0.02)
            finally:
                conn.close()

    def stop(self) -> None:
        """Shut the server down cleanly and join its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=self.graceful_timeout + 10)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5)
        self._thread = None
        self._server = None

    async def astart(self, timeout: float = 15.0) -> TwinServer:
        """``start`` for callers inside a running event loop."""
        return await asyncio.to_thread(self.start, timeout)

    async def astop(self) -> None:
        """``stop`` for callers inside a running event loop."""
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> TwinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> TwinServer:
        return await self.astart()

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()
