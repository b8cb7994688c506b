"""One connection to one simulated host: HTTP/1.1 framing, behaviours, exact reply bytes.

See ``serve.py`` for what each behaviour does on the wire; this module is the per-connection
half of the server (an ``asyncio.Protocol`` driving an httptools parser).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
from typing import TYPE_CHECKING, Any, cast

import httptools

from llmcensus.simulate.views import Behaviour, HostView, Reply, Request

if TYPE_CHECKING:
    from llmcensus.simulate.serve import FleetServer

log = logging.getLogger("llmcensus.simulate.serve")

_GARBAGE = (
    b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n",
    b"\x15\x03\x01\x00\x02\x02\x28",  # a TLS handshake_failure alert
    b"-ERR wrong number of arguments for 'get' command\r\n",
    b"220 (vsFTPd 3.0.3)\r\n",
    b"\x00\x00\x00\x0c\xff\xff\xff\xfe\x00\x00\x00\x00\x00\x00\x00\x00",
)


def garbage_bytes(host_id: int) -> bytes:
    """The non-HTTP bytes a ``garbage`` host writes: fixed per host so runs are reproducible."""
    return _GARBAGE[host_id % len(_GARBAGE)]


_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"
)
_TOO_LARGE = Reply(413, "Request Entity Too Large", (("Content-Type", "text/plain; charset=utf-8"),), b"", close=True)
_INTERNAL = Reply(500, "Internal Server Error", (("Content-Type", "text/plain; charset=utf-8"),), b"")


class DateCache:
    """RFC 1123 ``Date`` value, formatted once per second of the (simulated) clock."""

    __slots__ = ("second", "value")

    def __init__(self) -> None:
        self.second = -1
        self.value = b""

    def get(self, now_ns: int) -> bytes:
        second = now_ns // 1_000_000_000
        if second != self.second:
            self.second = second
            self.value = email.utils.formatdate(second, usegmt=True).encode("ascii")
        return self.value


GO_CHUNKING_THRESHOLD = 2048  # net/http's bufferBeforeChunkingSize


def render_reply(
    reply: Reply, *, head: bool, date: bytes, close: bool, http11: bool = True, chunk_over: int | None = None
) -> bytes:
    """Exact bytes of a reply: status line, the reply's headers in order, Date, Content-Length, body.

    That order (handler headers, then Date, Content-Length, Connection, Transfer-Encoding) is Go
    net/http's. ``chunk_over`` reproduces its framing of bodies it could not buffer: a reply without
    Content-Length whose body is longer goes out chunked (one chunk: gin writes JSON in one call),
    and its HEAD counterpart carries no length at all.
    """
    out = [b"HTTP/1.%d %d %s\r\n" % (http11, reply.status, reply.reason.encode("latin-1"))]
    bodiless = reply.status < 200 or reply.status in (204, 304)
    unbuffered = chunk_over is not None and not bodiless
    has_length = has_connection = dropped_length = False
    for name, value in reply.headers:
        lower = name.lower()
        if lower == "content-length":
            if head and unbuffered and chunk_over is not None and value.isdigit() and int(value) > chunk_over:
                dropped_length = True  # Go could not know the length of a HEAD reply it never buffered
                continue
            has_length = True
        has_connection = has_connection or lower == "connection"
        out.append(b"%s: %s\r\n" % (name.encode("latin-1"), value.encode("latin-1")))
    out.append(b"Date: %s\r\n" % date)
    chunked = unbuffered and not has_length and chunk_over is not None and len(reply.body) > chunk_over
    if not has_length and not bodiless and not chunked and not dropped_length:
        out.append(b"Content-Length: %d\r\n" % len(reply.body))
    if close and http11 and not has_connection:
        out.append(b"Connection: close\r\n")
    if chunked and http11 and not head:
        out.append(b"Transfer-Encoding: chunked\r\n")
    out.append(b"\r\n")
    if head or bodiless:
        return b"".join(out)
    if chunked and http11:
        out.append(b"%x\r\n%s\r\n0\r\n\r\n" % (len(reply.body), reply.body))
    else:
        out.append(reply.body)
    return b"".join(out)


class Slot:
    """One listener; ``view`` is swapped in place when the day advances."""

    __slots__ = ("conns", "dial", "server", "tls", "view")

    def __init__(self, view: HostView, dial: tuple[str, int], tls: bool) -> None:
        self.view = view
        self.dial = dial
        self.tls = tls
        self.server: asyncio.AbstractServer | None = None
        self.conns: set[Connection] = set()


class Connection(asyncio.Protocol):
    def __init__(self, fleet: FleetServer, slot: Slot) -> None:
        self.fleet = fleet
        self.slot = slot
        self.transport: asyncio.Transport | None = None
        self.parser: Any = httptools.HttpRequestParser(self)
        self.closing = False
        self.mute = False  # log requests, answer none (the responder said None)
        self.deaf = False  # stop parsing: a silent or muted host got bytes that are not HTTP
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.body_len = 0

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        self.slot.conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.slot.conns.discard(self)

    def pause_writing(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.closing or self.deaf:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # The upgraded protocol is not spoken here: the request was answered, now hang up.
            self._close()
        except httptools.HttpParserError:
            if not self.closing:
                self._malformed()

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body = []
        self.body_len = 0

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_body(self, body: bytes) -> None:
        if self.closing:
            return
        self.body_len += len(body)
        if self.body_len <= self.fleet.max_body:
            self.body.append(body)
            return
        # Refuse as soon as the limit is passed, so an endless upload costs neither memory nor time.
        view = self.slot.view
        method = self.parser.get_method().decode("latin-1")
        self.fleet.record(view, method, _path_of(self.url), self.body_len)
        if view.behaviour is Behaviour.SILENT or self.mute:
            self.deaf = True
        elif view.behaviour is Behaviour.GARBAGE:
            self._write(garbage_bytes(view.host_id))
            self._close()
        else:
            self._reply(_TOO_LARGE, method, close=True)

    def on_message_complete(self) -> None:
        if self.closing or self.deaf:
            return
        parser = self.parser
        view = self.slot.view
        method = parser.get_method().decode("latin-1")
        path = _path_of(self.url)
        self.fleet.record(view, method, path, self.body_len)
        behaviour = view.behaviour
        if behaviour is Behaviour.SILENT or self.mute:
            return
        if behaviour is Behaviour.GARBAGE:
            self._write(garbage_bytes(view.host_id))
            self._close()
            return
        keep_alive = bool(parser.should_keep_alive())
        request = Request(method, path, self.headers, b"".join(self.body))
        try:
            reply = self.fleet.responder(view, request, self.fleet.clock_ns())
        except Exception:
            self.fleet.responder_errors += 1
            log.exception("responder failed for host %s %s %s", view.host_id, method, path)
            reply = _INTERNAL
        if reply is None:
            self.mute = True  # the wire layer's "say nothing": from now on behave like a silent host
            return
        self._reply(reply, method, close=reply.close or not keep_alive)

    # -- helpers
    def _reply(self, reply: Reply, method: str, *, close: bool) -> None:
        date = self.fleet.date_cache.get(self.fleet.clock_ns())
        http11 = self.parser.get_http_version() != "1.0"
        chunk_over = GO_CHUNKING_THRESHOLD if self.fleet.go_chunking else None
        # HTTP/1.0 clients cannot read chunks: Go sends such a body unframed and closes
        close = close or (not http11 and chunk_over is not None and len(reply.body) > chunk_over)
        try:
            data = render_reply(
                reply, head=method == "HEAD", date=date, close=close, http11=http11, chunk_over=chunk_over
            )
        except (UnicodeEncodeError, TypeError, ValueError):
            self.fleet.responder_errors += 1
            log.exception("unrenderable reply from host %s", self.slot.view.host_id)
            data = render_reply(_INTERNAL, head=method == "HEAD", date=date, close=close, http11=http11)
        self._write(data)
        if close:
            self._close()

    def _malformed(self) -> None:
        view = self.slot.view
        self.fleet.record(view, "", "", 0)
        behaviour = view.behaviour
        if behaviour is Behaviour.SILENT or self.mute:
            self.deaf = True  # hold the socket, ignore further bytes
            return
        self._write(garbage_bytes(view.host_id) if behaviour is Behaviour.GARBAGE else _BAD_REQUEST)
        self._close()

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.closing:
            self.transport.write(data)

    def _close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.abort()


def _path_of(url: bytes) -> str:
    if url[:1] != b"/":
        # absolute-form ("GET http://host/path") or asterisk-form: route on the path part only
        with contextlib.suppress(httptools.HttpParserInvalidURLError):
            parsed = httptools.parse_url(url)
            return (parsed.path or b"/").decode("latin-1")
    return url.split(b"?", 1)[0].split(b"#", 1)[0].decode("latin-1")
