"""The wire layer behind the real fleet server on loopback: bytes on the socket are the rendered reply
framed the Go way (headers in our order, then Date, then Content-Length)."""

from __future__ import annotations

import asyncio

from llmcensus.simulate.serve import FleetServer
from llmcensus.simulate.views import Behaviour, HostView, ModelView, Request
from llmcensus.simulate.wire import respond

FIRST_ID = 5_300_000  # loopback addresses away from other tests' fleets
NOW = 1_760_000_000_000_000_000
M = ModelView(name="llama3.2:latest", digest="a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
              size=2019393189, modified_at_ns=1_746_889_608_639_712_648, format="gguf", family="llama",
              families=("llama",), parameter_size="3.2B", quantization_level="Q4_K_M")


def views() -> list[HostView]:
    return [HostView(host_id=FIRST_ID + i, ip=f"198.18.7.{i + 1}", port=11434, scheme="http", behaviour=b,
                     version="0.9.6", tz_offset_min=-420, models=(M,))
            for i, b in enumerate((Behaviour.OLLAMA, Behaviour.LLAMA_CPP))]


async def exchange(addr: tuple[str, int], raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(*addr)
    writer.write(raw)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(65536), timeout=5)
    writer.close()
    return data


def test_replies_on_the_wire() -> None:
    async def run() -> None:
        server = FleetServer(respond, clock_ns=lambda: NOW, log_requests=False)
        vs = views()
        await server.start(vs)
        try:
            dial = server.dial_map
            ollama = dial[(vs[0].ip, vs[0].port)]
            llama = dial[(vs[1].ip, vs[1].port)]
            close = b"Connection: close\r\n\r\n"
            tags = await exchange(ollama, b"GET /api/tags HTTP/1.1\r\nHost: x\r\n" + close)
            head, _, body = tags.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            assert lines[0] == b"HTTP/1.1 200 OK"
            names = [h.split(b":")[0] for h in lines[1:]]
            assert names[:3] == [b"Content-Type", b"Date", b"Content-Length"]
            expected = respond(vs[0], Request("GET", "/api/tags", {}, b""), NOW)
            assert expected is not None and body == expected.body
            assert b"Date: Thu, 09 Oct 2025 08:53:20 GMT" in head
            forbidden = await exchange(ollama, b"GET / HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n" + close)
            assert forbidden.startswith(b"HTTP/1.1 403 Forbidden\r\n") and forbidden.endswith(b"\r\n\r\n")
            assert b"Content-Length: 0" in forbidden
            hd = await exchange(ollama, b"HEAD /api/tags HTTP/1.1\r\nHost: x\r\n" + close)
            assert hd.count(b"Content-Length") == 1 and hd.endswith(b"\r\n\r\n")
            method = await exchange(ollama, b"GET /api/show HTTP/1.1\r\nHost: x\r\n" + close)
            assert method.startswith(b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\n")
            lc = await exchange(llama, b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" + close)
            assert b"\r\nServer: llama.cpp\r\n" in lc and b'"owned_by":"llamacpp"' in lc
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(run(), timeout=30))
