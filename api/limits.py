"""Refuse request bodies over LEDGER_API_MAX_BODY_BYTES before any route reads them (413); the paths
given a larger allowance (the portal's evidence upload: LEDGER_DOCUMENTS_MAX_BYTES and the form around
the file) are held to theirs."""

import json
import re

from web.kit.problems import MEDIA_TYPE, TYPE_PREFIX


class BodySizeLimit:
    """Pure ASGI middleware: checks Content-Length up front and counts chunked bodies as they arrive."""

    def __init__(self, app, max_bytes: int, larger: dict[str, int] | None = None):
        self.app, self.max_bytes = app, max_bytes
        self.larger = [(re.compile(pattern), limit) for pattern, limit in (larger or {}).items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_bytes = next((limit for path, limit in self.larger if path.fullmatch(scope["path"])), self.max_bytes)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not (length.isascii() and length.isdigit()) or int(length) > max_bytes):
            return await self._refuse(scope, send, length.decode("latin-1"), max_bytes)
        received = 0
        refused = False

        async def counted_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    refused = True
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counted_receive, send)
        except BodyTooLarge:
            if refused:
                await self._refuse(scope, send, f"more than {max_bytes}", max_bytes)

    async def _refuse(self, scope, send, length: str, max_bytes: int) -> None:
        body = json.dumps(
            {
                "type": TYPE_PREFIX + "payload-too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": f"the body is {length} bytes; at most {max_bytes} are accepted",
                "instance": scope["path"],
                "field": "body",
                "rule": "max_bytes",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass
