"""A lean open-loop HTTP/1.1 client for the rush (bench/rush.py): keep-alive connections over
asyncio protocols, responses parsed by httptools (llhttp, the parser of Node.js and uvicorn).

Why not aiohttp, as bench/load.py's closed loops use: on this 2-core machine the load client shares
the cores with the servers it measures, and every cycle it takes is one the server under test does
not get (in production the phones are elsewhere). Offering 800 requests a second, aiohttp's client
costs 0.34–0.40 ms of CPU per request, this one 0.18–0.26 ms. It sends the same requests (method,
path, headers, body, `X-Request-Start` stamped when the request is written, as the proxy would) and
reads only what the rush's checks need: the status and whether `Retry-After` came (bench/RESULTS.md,
"Issue 19: the eighth pass").

It is an open-loop load generator, not a general client: one request at a time per connection,
`Content-Length` bodies, no redirects, no TLS, no cookies.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import httptools


def request_start() -> str:
    """The `X-Request-Start` value a reverse proxy stamps as it passes a request on (now, epoch
    seconds): what core/overload.py measures the queueing from."""
    return f"t={time.time():.6f}"


# What `request` answers: (status, Retry-After present); status 0 when there was no answer (the
# connection failed, closed early, or the timeout passed).
Answer = tuple[int, bool]


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bool, bool]] | None = None
        self.retry_after = False
        self.open = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._fail(exc or ConnectionError("closed by the server"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"retry-after":
            self.retry_after = True

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self.parser.get_status_code(), self.retry_after, self.parser.should_keep_alive()))

    def _fail(self, exc: BaseException) -> None:
        self.open = False
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def send(self, data: bytes) -> asyncio.Future[tuple[int, bool, bool]]:
        assert self.transport is not None
        assert self.waiter is None
        self.retry_after = False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()


class RawPool:
    """At most `limit` keep-alive connections to `host:port`; a request waits for a free one."""

    def __init__(self, host: str, port: int, *, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.idle: deque[_Connection] = deque()
        self.count = 0
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.head_host = f"Host: {host}:{port}\r\n".encode()

    async def _acquire(self) -> _Connection:
        while True:
            while self.idle:
                conn = self.idle.pop()
                if conn.open:
                    return conn
                self.count -= 1
            if self.count < self.limit:
                self.count += 1
                try:
                    _transport, conn = await asyncio.get_running_loop().create_connection(
                        _Connection, self.host, self.port
                    )
                except BaseException:
                    self.count -= 1
                    self._wake()
                    raise
                return conn
            free: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.waiting.append(free)
            await free

    def _wake(self) -> None:
        while self.waiting:
            free = self.waiting.popleft()
            if not free.done():
                free.set_result(None)
                return

    def _release(self, conn: _Connection, *, keep: bool) -> None:
        if keep and conn.open:
            self.idle.append(conn)
        else:
            conn.close()
            self.count -= 1
        self._wake()

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None, *, timeout: float
    ) -> Answer:
        """Send one request and wait for its answer, at most `timeout` seconds in all."""
        conn: _Connection | None = None
        keep = False
        try:
            async with asyncio.timeout(timeout):
                conn = await self._acquire()
                lines = [f"{method} {path} HTTP/1.1\r\n".encode(), self.head_host]
                lines += [f"{name}: {value}\r\n".encode() for name, value in headers.items()]
                # Stamped as the request leaves, as the reverse proxy would (core/overload.py).
                lines.append(f"X-Request-Start: {request_start()}\r\n".encode())
                if body is not None:
                    lines.append(f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode())
                    lines.append(body)
                else:
                    lines.append(b"\r\n")
                status, retry_after, keep = await conn.send(b"".join(lines))
                return status, retry_after
        except (TimeoutError, OSError, httptools.HttpParserError):
            return 0, False
        finally:
            if conn is not None:
                self._release(conn, keep=keep)

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()
