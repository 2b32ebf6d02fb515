"""Security middleware: a strict Content-Security-Policy and a cap on request bodies.

* Every response carries ``Content-Security-Policy`` (scripts, styles, images
  and connections only from this server; no inline script, no ``eval``, no
  plugins, no framing), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer`` and ``X-Frame-Options: DENY``. A trial's
  ``report.html`` (self-contained, with inline styles and embedded images)
  is served with a sandboxing policy that allows its styles and ``data:``
  images but no script at all.
* A body longer than the limit is refused with 422 naming ``body`` before it is
  read into memory: by ``Content-Length`` when given, else by counting the
  bytes of a chunked body as they arrive. One limit serves every path except
  those given their own (``path_limits``: the SBML upload).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

__all__ = ["CSP", "REPORT_CSP", "SecurityMiddleware"]

#: The policy of every page and API response.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
)
#: The policy of a trial's self-contained HTML report (no script at all).
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _too_large(limit: int, got: str) -> bytes:
    return json.dumps(
        {
            "detail": [
                {
                    "loc": ["body"],
                    "field": "body",
                    "msg": f"request body too large ({got}); the limit is {limit} bytes",
                    "type": "too_large",
                }
            ]
        }
    ).encode()


class SecurityMiddleware:
    """ASGI middleware adding the security headers and enforcing ``max_body_bytes``."""

    def __init__(self, app: Any, max_body_bytes: int, path_limits: dict[str, int] | None = None):
        self.app = app
        self.max_body_bytes = int(max_body_bytes)
        self.path_limits = {k: int(v) for k, v in (path_limits or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope.get("path", ""), self.max_body_bytes)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                n = limit + 1
            if n > limit:
                await self._reject(send, limit, f"{length.decode(errors='replace')[:20]} bytes")
                return

        received = 0
        started = False
        rejected = False

        async def limited_receive() -> dict[str, Any]:
            # past the limit: answer 422 now and tell the app the client has gone (it stops reading)
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        await self._reject(send, limit, f"more than {limit} bytes")
                    rejected = True
                    return {"type": "http.disconnect"}
            return message

        async def secured_send(message: dict[str, Any]) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
                hdrs = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                own = [v for k, v in message.get("headers", []) if k.lower() == b"content-security-policy"]
                policy = own[0] if own and own[0] == REPORT_CSP.encode() else CSP.encode()
                hdrs.append((b"content-security-policy", policy))
                hdrs.extend(_HEADERS)
                message = {**message, "headers": hdrs}
            await send(message)

        try:
            await self.app(scope, limited_receive, secured_send)
        except Exception:
            if not rejected:
                raise

    async def _reject(self, send: Send, limit: int, got: str) -> None:
        body = _too_large(limit, got)
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"content-security-policy", CSP.encode()),
                    *_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
