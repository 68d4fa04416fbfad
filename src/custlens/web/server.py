"""The HTTP server of ``custlens serve``: uvicorn, told when it begins to stop.

uvicorn stops in three steps: it stops accepting connections, waits up to its grace period
(``GRACE_SECONDS``) for the requests in flight, then cancels what is left, logging a traceback
for each. Under load most requests in flight are waiting for an admission slot, or (ingestion)
for their batch to be applied, and would be cut off so. :class:`StoppingServer` first tells
the app (:func:`custlens.web.app.stop_accepting`): waiting requests are answered 503 with
``Retry-After`` at once, ingestion requests 202 (acknowledged, applied before the process
exits), and the few executing ones finish within the grace period.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn

from custlens.web.app import stop_accepting

# seconds uvicorn waits for requests in flight once asked to stop (live feeds end sooner)
GRACE_SECONDS = 5


class StoppingServer(uvicorn.Server):
    """A uvicorn server that calls :func:`stop_accepting` on its app as it begins to stop."""

    def __init__(self, config: uvicorn.Config, app: Any):
        super().__init__(config)
        self.custlens_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        stop_accepting(self.custlens_app)
        await super().shutdown(sockets)


def server_for(app: Any, host: str, port: int) -> StoppingServer:
    """The server of ``app`` on ``host:port``; ``.run()`` serves until SIGINT/SIGTERM."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        # forwarded headers are handled by the app (WebOptions.forwarded_allow_ips), never
        # by uvicorn's own FORWARDED_ALLOW_IPS default
        proxy_headers=False,
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
    return StoppingServer(config, app)
