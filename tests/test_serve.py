"""The fleet server: real loopback listeners, real HTTP clients (raw asyncio streams), no mocks."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import socket
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcensus.errors import SimulationError
from llmcensus.simulate.serve import (
    LOOPBACK_CAPACITY,
    SLICE,
    FleetServer,
    dial_port,
    loopback_address,
    new_event_loop,
    raise_fd_limit,
)
from llmcensus.simulate.serve_conn import garbage_bytes
from llmcensus.simulate.serve_process import FleetProcess
from llmcensus.simulate.smoke import echo_responder, smoke_views
from llmcensus.simulate.views import Behaviour, HostView, Reply, Request
from llmcensus.targets.dialmap import read_dial_map

Dial = tuple[str, int]


def ids(block: int) -> int:
    """First host id of a test's own block: tests running in parallel never share a loopback address."""
    return 1_000_000 + 1000 * block


def run(coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
    loop = new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))
    finally:
        loop.close()


async def with_fleet(views: list[HostView], body: Callable[[FleetServer], Awaitable[Any]], **kw: Any) -> Any:
    server = FleetServer(kw.pop("responder", echo_responder), **kw)
    await server.start(views)
    try:
        return await body(server)
    finally:
        await server.stop()


def client_tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def read_response(reader: asyncio.StreamReader, head: bool = False) -> tuple[int, dict[str, str], bytes, bytes]:
    """(status, lower-cased headers, body, raw bytes) of one response framed by Content-Length."""
    raw_head = await reader.readuntil(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if line)}
    length = 0 if head else int(headers.get("content-length", "0"))
    body = await reader.readexactly(length)
    return status, headers, body, raw_head + body


async def exchange(dial: Dial, requests: list[bytes], tls: bool = False, heads: list[bool] | None = None) -> list[Any]:
    reader, writer = await asyncio.open_connection(*dial, ssl=client_tls() if tls else None)
    try:
        out = []
        for i, req in enumerate(requests):
            writer.write(req)
            out.append(await read_response(reader, head=bool(heads and heads[i])))
        return out
    finally:
        writer.close()


def get(path: str, *extra: str, method: str = "GET", body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: example", *extra]
    if body:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def without_date(raw: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]*\r\n", b"", raw)


def view_of(views: list[HostView], behaviour: Behaviour, scheme: str = "http") -> HostView:
    return next(v for v in views if v.behaviour is behaviour and v.scheme == scheme)


def test_fifty_hosts_answer_http_and_are_logged_once_each() -> None:
    views = smoke_views(3, count=50, first_id=ids(1))

    async def body(server: FleetServer) -> None:
        dm = server.dial_map
        assert len(dm) == 50
        for v in views:
            [(status, _, payload, _)] = await exchange(dm[(v.ip, v.port)], [get("/api/version")])
            assert (status, payload) == (200, b'{"version":"0.3.0"}')
        assert server.request_log.per_host_counts() == {v.host_id: 1 for v in views}
        assert server.listener_count == 50

    run(with_fleet(views, body))


def test_refused_silent_and_garbage_hosts() -> None:
    views = smoke_views(0, count=20, mixed=True, first_id=ids(2))
    refused, silent, garbage = (view_of(views, b) for b in (Behaviour.REFUSED, Behaviour.SILENT, Behaviour.GARBAGE))

    async def body(server: FleetServer) -> None:
        dm = server.dial_map
        assert (refused.ip, refused.port) in dm  # refused hosts are dialable (and refuse)
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(*dm[(refused.ip, refused.port)])

        reader, writer = await asyncio.open_connection(*dm[(garbage.ip, garbage.port)])
        writer.write(get("/api/tags"))
        assert await asyncio.wait_for(reader.read(), 5) == garbage_bytes(garbage.host_id)  # then EOF
        writer.close()

        reader, writer = await asyncio.open_connection(*dm[(silent.ip, silent.port)])
        writer.write(get("/api/tags"))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.3)
        assert server.connection_count == 1  # held open
        writer.close()
        await writer.wait_closed()
        for _ in range(50):
            if server.connection_count == 0:
                break
            await asyncio.sleep(0.01)
        assert server.connection_count == 0
        assert server.request_log.count_by("GET", "/api/tags") == 2  # garbage and silent hosts log requests too

    run(with_fleet(views, body))


def test_silent_host_is_held_until_server_stops() -> None:
    views = [v for v in smoke_views(0, count=20, mixed=True, first_id=ids(3)) if v.behaviour is Behaviour.SILENT]

    async def main() -> bytes:
        server = FleetServer(echo_responder)
        await server.start(views)
        reader, writer = await asyncio.open_connection(*server.dial_map[(views[0].ip, views[0].port)])
        writer.write(get("/"))
        await asyncio.sleep(0.05)
        await server.stop()
        try:
            return await asyncio.wait_for(reader.read(), 5)
        except ConnectionResetError:
            return b""
        finally:
            writer.close()

    assert run(main()) == b""


def test_request_log_counts_exactly_what_clients_sent() -> None:
    views = smoke_views(0, count=12, first_id=ids(4))
    script = [  # (host index, method, path as sent, body)
        (0, "GET", "/api/tags", b""),
        (0, "POST", "/api/show", b'{"model":"llama3.2:latest"}'),
        (1, "HEAD", "/", b""),
        (1, "GET", "/api/ps?x=1", b""),
        (5, "GET", "/api/version", b""),
        (5, "GET", "/api/version", b""),
        (11, "POST", "/api/show", b"x" * 5000),
    ]

    async def body(server: FleetServer) -> None:
        dm = server.dial_map
        for idx, method, path, payload in script:
            v = views[idx]
            await exchange(dm[(v.ip, v.port)], [get(path, method=method, body=payload)], heads=[method == "HEAD"])
        rows = Counter(
            (r.host_id, r.public_ip, r.public_port, r.method, r.path, r.body_bytes) for r in server.request_log
        )
        expected = Counter(
            (views[i].host_id, views[i].ip, views[i].port, m, p.split("?")[0], len(b)) for i, m, p, b in script
        )
        assert rows == expected
        assert server.request_log.count_by("POST", "/api/show") == 2
        assert server.request_log.count_by(path="/api/version") == 2
        assert server.request_log.per_host_counts() == {
            views[i].host_id: n for i, n in ((0, 2), (1, 2), (5, 2), (11, 1))
        }
        assert server.request_log.body_bytes_total() == sum(len(b) for *_, b in script)

    run(with_fleet(views, body))


def test_set_views_adds_removes_and_swaps_without_restart() -> None:
    day0, day1 = (
        smoke_views(0, count=30, mixed=True, first_id=ids(5)),
        smoke_views(1, count=30, mixed=True, first_id=ids(5)),
    )
    ids0, ids1 = {v.host_id for v in day0}, {v.host_id for v in day1}
    gone = next(v for v in day0 if v.host_id not in ids1 and v.behaviour is Behaviour.OLLAMA)
    new = next(v for v in day1 if v.host_id not in ids0 and v.behaviour is Behaviour.OLLAMA)
    stay = next(v for v in day0 if v.host_id in ids1 and v.behaviour is Behaviour.OLLAMA and v.scheme == "http")

    async def body(server: FleetServer) -> None:
        dm0 = server.dial_map
        assert (new.ip, new.port) not in dm0
        reader, writer = await asyncio.open_connection(*dm0[(stay.ip, stay.port)])
        writer.write(get("/api/version"))
        assert (await read_response(reader))[2] == b'{"version":"0.0.0"}'
        await server.set_views(day1)
        # the same keep-alive connection now sees the new day's view
        writer.write(get("/api/version"))
        assert (await read_response(reader))[2] == b'{"version":"0.1.0"}'
        writer.close()
        dm1 = server.dial_map
        assert (gone.ip, gone.port) not in dm1
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(*dm0[(gone.ip, gone.port)])
        [(status, _, payload, _)] = await exchange(dm1[(new.ip, new.port)], [get("/api/version")])
        assert (status, payload) == (200, b'{"version":"0.1.0"}')
        assert server.listener_count == sum(v.behaviour is not Behaviour.REFUSED for v in day1)

    run(with_fleet(day0, body))


def test_head_has_length_and_no_body_and_keeps_the_connection_usable() -> None:
    views = smoke_views(0, count=2, first_id=ids(6))

    async def body(server: FleetServer) -> None:
        dial = server.dial_map[(views[1].ip, views[1].port)]
        (s1, h1, b1, _), (s2, _, b2, _) = await exchange(
            dial, [get("/api/version", method="HEAD"), get("/api/version")], heads=[True, False]
        )
        assert (s1, h1["content-length"], b1) == (200, "19", b"")
        assert (s2, b2) == (200, b'{"version":"0.0.0"}')

    run(with_fleet(views, body))


def test_keep_alive_pipelining_and_connection_close() -> None:
    views = smoke_views(0, count=3, first_id=ids(7))

    async def body(server: FleetServer) -> None:
        dial = server.dial_map[(views[2].ip, views[2].port)]
        replies = await exchange(dial, [get(f"/p{i}") for i in range(5)])
        assert [r[0] for r in replies] == [200] * 5
        assert all("connection" not in r[1] for r in replies)

        reader, writer = await asyncio.open_connection(*dial)
        writer.write(b"".join(get(f"/q{i}") for i in range(4)) + get("/last", "Connection: close"))
        paths = [(await read_response(reader))[2] for _ in range(5)]
        assert [p.split(b'"path":"')[1].split(b'"')[0] for p in paths] == [b"/q0", b"/q1", b"/q2", b"/q3", b"/last"]
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed after the Connection: close request
        writer.close()

        reader, writer = await asyncio.open_connection(*dial)
        writer.write(b"GET /old HTTP/1.0\r\n\r\n")
        status, headers, _, raw = await read_response(reader)
        # like Go: a 1.0 status line, no Connection header, and a close
        assert (status, "connection" in headers, raw[:9]) == (200, False, b"HTTP/1.0 ")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()

    run(with_fleet(views, body))


def test_same_views_give_same_bytes_except_date() -> None:
    views = smoke_views(0, count=20, mixed=True, first_id=ids(8))
    http = [v for v in views if v.behaviour is Behaviour.OLLAMA and v.scheme == "http"][:3]
    garbage = view_of(views, Behaviour.GARBAGE)
    requests = [get("/api/version"), get("/api/tags", method="HEAD"), get("/x", method="POST", body=b"{}")]

    async def capture(server: FleetServer) -> list[bytes]:
        out = []
        for v in http:
            replies = await exchange(server.dial_map[(v.ip, v.port)], requests, heads=[False, True, False])
            out.extend(without_date(r[3]) for r in replies)
        reader, writer = await asyncio.open_connection(*server.dial_map[(garbage.ip, garbage.port)])
        writer.write(get("/"))
        out.append(await asyncio.wait_for(reader.read(), 5))
        writer.close()
        return out

    first = run(with_fleet(views, capture))
    second = run(with_fleet(list(views), capture))
    assert first == second
    assert len(set(first)) > 3


def test_tls_host_reachable_with_verification_off() -> None:
    views = smoke_views(0, count=20, mixed=True, first_id=ids(9))
    https = view_of(views, Behaviour.OLLAMA, "https")

    async def body(server: FleetServer) -> None:
        dial = server.dial_map[(https.ip, https.port)]
        [(status, _, payload, _)] = await exchange(dial, [get("/api/version")], tls=True)
        assert (status, payload) == (200, b'{"version":"0.0.0"}')
        reader, writer = await asyncio.open_connection(*dial)  # plaintext HTTP at a TLS port: no HTTP reply
        writer.write(get("/api/version"))
        try:
            data = await asyncio.wait_for(reader.read(), 5)
        except ConnectionResetError:
            data = b""
        assert not data.startswith(b"HTTP/")
        writer.close()

    run(with_fleet(views, body))


def test_responder_errors_hangups_oversize_and_malformed_requests() -> None:
    views = smoke_views(0, count=2, first_id=ids(10))

    async def body(server: FleetServer) -> None:
        dial = server.dial_map[(views[0].ip, views[0].port)]
        (s1, *_), (s2, _, b2, _) = await exchange(dial, [get("/_smoke/raise"), get("/api/version")])
        assert (s1, s2, b2, server.responder_errors) == (500, 200, b'{"version":"0.0.0"}', 1)

        reader, writer = await asyncio.open_connection(*dial)
        writer.write(get("/_smoke/silent") + get("/api/version"))  # None: no answer, now or later
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.3)
        writer.close()
        assert server.request_log.count_by(path="/_smoke/silent") == 1
        assert server.request_log.count_by(path="/api/version") == 2

        reader, writer = await asyncio.open_connection(*dial)
        writer.write(get("/big", method="POST", body=b"z" * 2048))
        status, headers, _, _ = await read_response(reader)
        assert (status, headers["connection"]) == (413, "close")
        writer.close()

        reader, writer = await asyncio.open_connection(*dial)
        writer.write(b"\x16\x03\x01\x02\x00 not http\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 5)
        assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n") and data.endswith(b"400 Bad Request")
        writer.close()
        assert server.request_log.count_by(method="") == 1

    run(with_fleet(views, body, max_body=1024))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=3))
def test_hostile_bytes_never_kill_the_server(chunks: list[bytes]) -> None:
    views = smoke_views(0, count=1, first_id=ids(11))

    async def body(server: FleetServer) -> None:
        dial = server.dial_map[(views[0].ip, views[0].port)]
        reader, writer = await asyncio.open_connection(*dial)
        for chunk in chunks:
            writer.write(chunk)
        writer.write_eof()
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            await asyncio.wait_for(reader.read(), 2)
        writer.close()
        [(status, _, payload, _)] = await exchange(dial, [get("/api/version")])
        assert (status, payload) == (200, b'{"version":"0.0.0"}')

    run(with_fleet(views, body))


def test_loopback_addresses_are_distinct_and_safe() -> None:
    addresses = [loopback_address(i) for i in range(200_000)]
    assert len(set(addresses)) == len(addresses)
    for a in addresses[::997] + addresses[-300:]:
        octets = [int(x) for x in a.split(".")]
        assert octets[0] == 127 and octets[1] != 0 and octets[3] not in (0, 255)
    assert loopback_address(LOOPBACK_CAPACITY - 1) == "127.254.255.254"
    with pytest.raises(SimulationError):
        loopback_address(LOOPBACK_CAPACITY)
    assert (dial_port(80), dial_port(443), dial_port(11434), dial_port(1024)) == (20080, 20443, 11434, 1024)


def test_configuration_errors_are_simulation_errors(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="RLIMIT_NOFILE"):
        raise_fd_limit(10**9)
    dup = smoke_views(0, count=2, first_id=ids(12))
    dup = [dup[0], HostView(7, dup[0].ip, dup[0].port, "http", Behaviour.OLLAMA, "0.1.0", 0)]
    with pytest.raises(SimulationError, match="share the public address"):
        run(with_fleet(dup, lambda s: asyncio.sleep(0)))

    views = smoke_views(0, count=20, mixed=True, first_id=ids(13))

    async def body(server: FleetServer) -> None:
        server.write_dial_map(tmp_path / "dial.csv")
        assert read_dial_map(tmp_path / "dial.csv") == server.dial_map

    run(with_fleet(views, body))


def test_a_busy_port_is_reported_not_crashed() -> None:
    views = smoke_views(0, count=3, first_id=ids(14))
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # slice 0 pinned: a fleet left to choose would simply move to a free slice of 127/8
    blocker.bind((loopback_address(views[2].host_id % SLICE), dial_port(views[2].port)))
    blocker.listen()
    try:
        with pytest.raises(SimulationError, match="cannot listen"):
            run(with_fleet(views, lambda s: asyncio.sleep(0), address_slice=0))
    finally:
        blocker.close()


def _sync_get(dial: Dial, path: str) -> bytes:
    with socket.create_connection(dial, timeout=5) as s:
        s.sendall(get(path, "Connection: close"))
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).split(b"\r\n\r\n", 1)[1]


def test_fleet_process_round_trip(tmp_path: Path) -> None:
    factory = functools.partial(smoke_views, count=30, mixed=True, first_id=ids(40))
    fleet = FleetProcess(factory, "llmcensus.simulate.smoke:echo_responder")
    try:
        dm = fleet.start(0)
        ollama = [v for v in factory(0) if v.behaviour is Behaviour.OLLAMA and v.scheme == "http"]
        assert fleet.dial_map() == dm and len(dm) == len(factory(0))
        for v in ollama[:5]:
            assert _sync_get(dm[(v.ip, v.port)], "/api/version") == b'{"version":"0.0.0"}'
        dm1 = fleet.set_day(1)
        staying = [v for v in ollama if (v.ip, v.port) in dm1]
        assert _sync_get(dm1[(staying[0].ip, staying[0].port)], "/api/version") == b'{"version":"0.1.0"}'
        # a log far bigger than a pipe buffer crosses intact
        long_paths = [f"/long/{i}/" + "x" * 2000 for i in range(100)]
        dial = dm1[(staying[0].ip, staying[0].port)]
        run(exchange(dial, [get(p) for p in long_paths]))
        log = fleet.request_log(drain=True)
        assert len(log) == 106 and log.count_by("GET", "/api/version") == 6
        assert [r.path for r in log][6:] == long_paths
        assert len(fleet.request_log()) == 0
        stats = fleet.stats()
        assert stats["listeners"] == sum(v.behaviour is not Behaviour.REFUSED for v in factory(1))
        fleet.write_dial_map(tmp_path / "dial.csv")
        assert read_dial_map(tmp_path / "dial.csv") == dm1
        process = fleet._process
    finally:
        fleet.stop()
    assert process is not None and not process.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(dm1[(staying[0].ip, staying[0].port)], timeout=2).close()


def test_fleet_process_reports_child_errors() -> None:
    factory = functools.partial(smoke_views, count=2, first_id=ids(41))
    fleet = FleetProcess(factory, "llmcensus.simulate.smoke:no_such_responder")
    with fleet, pytest.raises(SimulationError, match="no_such_responder"):
        fleet.start(0)
    assert fleet._process is None  # a failed start leaves no child behind


def test_custom_responder_reply_shapes() -> None:
    def responder(view: HostView, request: Request, now_ns: int) -> Reply | None:
        if request.path == "/nocontent":
            return Reply(204, "No Content", (), b"")
        if request.path == "/explicit":
            return Reply(200, "OK", (("Content-Length", "3"), ("X-Order", "kept")), b"abc")
        return Reply(200, "OK", (("Content-Type", "text/plain"),), b"bye", close=True)

    views = smoke_views(0, count=1, first_id=ids(15))

    async def body(server: FleetServer) -> None:
        dial = server.dial_map[(views[0].ip, views[0].port)]
        (s1, h1, _, _), (_, _, _, raw2) = await exchange(dial, [get("/nocontent"), get("/explicit")])
        assert (s1, "content-length" in h1) == (204, False)
        assert raw2.count(b"Content-Length") == 1 and raw2.index(b"X-Order") < raw2.index(b"Date:")
        reader, writer = await asyncio.open_connection(*dial)
        writer.write(get("/other"))
        status, headers, payload, _ = await read_response(reader)
        assert (status, headers["connection"], payload) == (200, "close", b"bye")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()

    run(with_fleet(views, body, responder=responder, clock_ns=lambda: 1_700_000_000_000_000_000))


def test_go_chunking_frames_big_bodies_like_net_http() -> None:
    big = b"[" + b"0," * 1500 + b"0]"

    def responder(view: HostView, request: Request, now_ns: int) -> Reply | None:
        if request.method == "HEAD":
            return Reply(200, "OK", (("Content-Type", "application/json"), ("Content-Length", str(len(big)))), b"")
        body = big if request.path == "/big" else b"{}"
        return Reply(200, "OK", (("Content-Type", "application/json"),), body)

    views = smoke_views(0, count=1, first_id=ids(16))

    async def body(server: FleetServer) -> None:
        dial = server.dial_map[(views[0].ip, views[0].port)]
        reader, writer = await asyncio.open_connection(*dial)
        writer.write(get("/big") + get("/small") + get("/big", method="HEAD"))
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"Transfer-Encoding: chunked\r\n" in head and b"Content-Length" not in head
        assert await reader.readuntil(b"\r\n") == b"%x\r\n" % len(big)
        assert await reader.readexactly(len(big) + 7) == big + b"\r\n0\r\n\r\n"
        status, headers, payload, _ = await read_response(reader)
        assert (status, headers["content-length"], payload) == (200, "2", b"{}")
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"Content-Length" not in head and b"Transfer-Encoding" not in head
        writer.close()

        reader, writer = await asyncio.open_connection(*dial)
        writer.write(b"GET /big HTTP/1.0\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(), 5)  # HTTP/1.0: no chunks, no length, body until close
        head, payload = raw.split(b"\r\n\r\n", 1)
        assert payload == big and b"Content-Length" not in head and b"Transfer-Encoding" not in head
        writer.close()

    run(with_fleet(views, body, responder=responder, go_chunking=True))


def test_real_wire_layer_behind_the_server() -> None:
    wire = pytest.importorskip("llmcensus.simulate.wire")
    views = smoke_views(12, count=20, mixed=True, first_id=ids(17))
    ollama = [v for v in views if v.behaviour is Behaviour.OLLAMA]

    async def body(server: FleetServer) -> None:
        for v in ollama:
            [(status, _, payload, _)] = await exchange(
                server.dial_map[(v.ip, v.port)], [get("/api/version")], tls=v.scheme == "https"
            )
            assert (status, payload) == (200, b'{"version":"0.12.0"}')
        assert server.responder_errors == 0

    run(with_fleet(views, body, responder=wire.respond))


def test_fleet_process_that_misses_a_deadline_is_stopped() -> None:
    fleet = FleetProcess(time.sleep, "llmcensus.simulate.smoke:echo_responder", day_timeout_s=0.5)  # day 30: 30 s
    with pytest.raises(SimulationError, match="did not answer"):
        fleet.start(30)
    assert fleet._process is None
    fleet.stop()  # idempotent


def test_tls_hang_ups_are_not_reported_but_other_loop_errors_are(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmcensus.simulate.serve import new_event_loop

    loop = new_event_loop()
    seen: list[str] = []
    monkeypatch.setattr(loop, "default_exception_handler", lambda ctx: seen.append(str(ctx["message"])))
    try:
        handler = loop.get_exception_handler()
        assert handler is not None
        handler(loop, {"message": "Fatal error on SSL protocol",
                       "exception": RuntimeError("unable to perform operation on <TCPTransport closed=True>")})
        handler(loop, {"message": "SSL handshake failed", "exception": ConnectionResetError()})
        handler(loop, {"message": "Task exception was never retrieved", "exception": ValueError("a real bug")})
        handler(loop, {"message": "Fatal error on SSL protocol", "exception": ValueError("not a hang-up")})
    finally:
        loop.close()
    assert seen == ["Task exception was never retrieved", "Fatal error on SSL protocol"]
