"""A limit on the size of request bodies, in front of the app (pure ASGI, so nothing is read or
parsed before it decides).

Without it a 20 MB JSON array was read, parsed and validated on the event loop (every other
request waited), and its validation error echoed all of it back. No request of this API needs
more than a few kilobytes; the limit is `Settings.max_request_bytes` (``DISPATCH_MAX_REQUEST_BYTES``).

- A ``Content-Length`` above the limit is answered 413 at once; the body is never read.
- A body of unknown length (chunked) is counted as it is read; once past the limit the app's
  read fails with 413 and nothing more is read from the client.
- The 413 says ``Connection: close``: the unread rest of the body is not waited for.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response


class BodyTooLargeError(ApiError):
    """Raised from ``receive``: FastAPI passes an HTTPException from reading the body through to
    the exception handlers, which answer it in the one error shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is larger than {limit} bytes",
            loc=["body"],
            headers={"Connection": "close"},
        )


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lengths = Headers(scope=scope).getlist("content-length")
        if lengths:
            if len(set(lengths)) > 1 or not lengths[0].isdigit():
                await error_response(
                    400,
                    "Content-Length must be one number of bytes",
                    loc=["header", "Content-Length"],
                    headers={"Connection": "close"},
                )(scope, receive, send)
                return
            if int(lengths[0]) > self.max_bytes:
                too_large = BodyTooLargeError(self.max_bytes)
                await error_response(
                    413, str(too_large.detail), loc=too_large.loc, headers=too_large.headers
                )(scope, receive, send)
                return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLargeError as exc:
            if started:  # the app answered already; nothing better to say
                raise
            await error_response(413, str(exc.detail), loc=exc.loc, headers=exc.headers)(scope, receive, send)
