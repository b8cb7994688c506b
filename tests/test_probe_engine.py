"""The sweep engine against real loopback servers: one observation per target, statuses, politeness."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from probe_support import CAPTURES, JSON, Fleet, Persona, compact, fleet, ollama_persona

from llmcensus.errors import PolicyError
from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.budget import RateLimiter
from llmcensus.probe.engine import SweepSummary, run_sweep
from llmcensus.probe.http import HostClient, make_connector, make_session
from llmcensus.probe.runtimes import ALLOWLIST
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.showcache import ShowCache
from llmcensus.targets.blocklist import Blocklist
from llmcensus.targets.parse import Target

FAST = ProbeSettings(connect_timeout=1.0, read_timeout=0.6, total_timeout=5.0, per_ip_rate=0, loopback_only=True,
                     concurrency=50)
SHOW_BODY = compact(CAPTURES / "api_show" / "d540ababb6e4.json")
RUNTIME_FIXTURES = Path(__file__).parent / "fixtures" / "runtimes"
LLAMA_CPP_MODELS = (RUNTIME_FIXTURES / "llama_cpp" / "v1_models.json").read_bytes()
LLAMA_CPP_PROPS = (RUNTIME_FIXTURES / "llama_cpp" / "props.json").read_bytes()
TAGS_BODY = compact(CAPTURES / "api_tags" / "04391a874017.json")
NGINX_401 = Persona({}, default=(401, {"Content-Type": "text/html", "Server": "nginx/1.24.0",
                                       "WWW-Authenticate": 'Basic realm="ollama"'}, b"<html>401</html>"))


def show_ok(_: bytes) -> tuple[int, dict[str, str], bytes]:
    return 200, JSON, SHOW_BODY


def many_models(n: int) -> bytes:
    models = [{"name": f"m{i}:latest", "model": f"m{i}:latest", "modified_at": "2025-01-01T00:00:00.5Z",
               "size": 1000 + i, "digest": f"{i:064x}",
               "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                           "parameter_size": "8.0B", "quantization_level": "Q4_K_M"}} for i in range(n)]
    return json.dumps({"models": models}).encode()


async def _sweep(f: Fleet, targets: list[Target], data: Path, settings: ProbeSettings = FAST, sweep_id: str = "s1",
                 **kw: Any) -> SweepSummary:
    w = ObservationWriter(data, sweep_id)
    summary = await run_sweep(targets, settings, w, dial_map=f.dial_map, **kw)
    w.close(complete=not summary.interrupted)
    return summary


def rows(data: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in read_observations(data).to_pylist():
        assert r["ip"] not in out, "two observations for one target"
        out[r["ip"]] = r
    return out


def test_mixed_fleet_one_observation_per_target(tmp_path: Path) -> None:
    personas: dict[str, Persona] = {
        # the captured show reply has no model_info: a pre-v0.1.45 shape, so serve it as such
        "192.0.2.1": ollama_persona(TAGS_BODY, show=show_ok, version="0.1.40"),
        "192.0.2.2": ollama_persona(TAGS_BODY, show=show_ok, version="0.1.40"),  # same digest: from the cache
        "192.0.2.3": NGINX_401,
        "192.0.2.4": Persona({}, default=(403, {"Content-Type": "text/html", "Server": "nginx"}, b"forbidden")),
        # llama-server answering Ollama's /api/tags, then visited as itself (its /v1/models and /props)
        "192.0.2.5": Persona({("GET", "/api/tags"): (200, {"Server": "llama.cpp", **JSON},
                                                     b'{"models":[{"name":"a","model":"a","size":"","digest":""}],'
                                                     b'"object":"list","data":[]}'),
                              ("GET", "/v1/models"): (200, {"Server": "llama.cpp", **JSON}, LLAMA_CPP_MODELS),
                              ("GET", "/props"): (200, {"Server": "llama.cpp", **JSON}, LLAMA_CPP_PROPS)},
                             default=(200, {"Server": "llama.cpp", "Content-Type": "text/html"}, b"<html>ui</html>")),
        "192.0.2.6": Persona({("GET", "/"): (200, {"Content-Type": "text/html"},
                                             b"<!doctype html><html><head><title>Open WebUI</title>"),
                              ("GET", "/api/version"): (200, JSON, b'{"version":"0.6.5"}'),
                              ("GET", "/api/tags"): (401, JSON, b'{"detail":"Not authenticated"}')}),
        "192.0.2.7": Persona({}, default=(502, {"Content-Type": "text/html", "Server": "nginx"}, b"bad gateway")),
        "192.0.2.8": Persona({}, default=(301, {"Location": "https://example.org/"}, b"")),
        "192.0.2.9": Persona({}, default=(200, {"Content-Type": "text/html"}, b"<html>my blog</html>")),
        "192.0.2.10": ollama_persona(b'{"models":[' + b"{}," * 200_000 + b"{}]}"),
        "192.0.2.11": ollama_persona(b'{"models": [oops'),
        "192.0.2.12": ollama_persona(b'{"models":[]}', version="0.9.0"),
    }

    async def main() -> SweepSummary:
        async with fleet() as f:
            for ip, p in personas.items():
                await f.add((ip, 11434), p)
            await f.add_raw(("192.0.2.20", 11434), "silent")
            await f.add_raw(("192.0.2.21", 11434), "garbage")
            f.add_refused(("192.0.2.22", 11434))
            targets = [Target(ip, port) for ip, port in f.dial_map]
            targets += [Target("127.0.0.1", 11434), Target("8.8.8.8", 11434), Target("192.0.2.1", 11434)]
            summary = await _sweep(f, targets, tmp_path)
            logged = f.log
        for host, method, path in logged:
            assert method == "RAW" or (method, path) in ALLOWLIST
            assert not host.startswith(("127.0.0.1", "8.8.8.8")), "a blocked target was contacted"
        return summary

    summary = asyncio.run(main())
    got = rows(tmp_path)
    assert len(got) == len(personas) + 5 and summary.duplicates == 1
    expect = {
        "192.0.2.1": ("success", "ollama", "open"), "192.0.2.2": ("success", "ollama", "open"),
        "192.0.2.3": ("auth_required", "unknown", "auth_required"),
        "192.0.2.4": ("auth_required", "unknown", "forbidden"),
        "192.0.2.5": ("success", "llama_cpp", "open"), "192.0.2.6": ("success", "open_webui", "auth_required"),
        "192.0.2.7": ("http_error", "unknown", "open"), "192.0.2.8": ("http_error", "unknown", "open"),
        "192.0.2.9": ("not_llm", "unknown", "open"), "192.0.2.10": ("truncated", "ollama", "open"),
        "192.0.2.11": ("protocol_error", "ollama", "open"), "192.0.2.12": ("success", "ollama", "open"),
        "192.0.2.20": ("read_timeout", None, "unknown"), "192.0.2.21": ("protocol_error", None, "unknown"),
        "192.0.2.22": ("connection_refused", None, "unknown"), "127.0.0.1": ("blocked", None, "unknown"),
        "8.8.8.8": ("blocked", None, "unknown"),
    }
    for ip, (status, runtime, auth) in expect.items():
        r = got[ip]
        assert (r["status"], r["runtime"], r["auth"]) == (status, runtime, auth), (ip, r["status"], r["error"])
        assert (r["error"] is None) == (status == "success")
    shows = sorted(got[ip]["models"][0]["show_status"] for ip in ("192.0.2.1", "192.0.2.2"))
    assert shows == ["fetched", "fetched"]  # each host is asked itself: show data is never shared across hosts
    assert got["192.0.2.1"]["models"][0]["template_sha"] == got["192.0.2.2"]["models"][0]["template_sha"]
    assert got["192.0.2.1"]["version"] == "0.1.40" and got["192.0.2.1"]["running"] == []
    assert got["192.0.2.3"]["proxied"] is True and got["192.0.2.3"]["server_header"] == "nginx/1.24.0"
    tags = next(ex for ex in got["192.0.2.10"]["exchanges"] if ex["path"] == "/api/tags")
    assert tags["truncated"] is True and got["192.0.2.10"]["models"] is None
    assert got["192.0.2.12"]["models"] == [] and got["192.0.2.12"]["model_count"] == 0
    assert got["192.0.2.20"]["requests"] == 1 and got["192.0.2.22"]["requests"] == 1
    assert got["127.0.0.1"]["requests"] == 0 and got["127.0.0.1"]["exchanges"] == []
    assert "dial map" in got["8.8.8.8"]["error"]
    assert "server_header:llama.cpp" in got["192.0.2.5"]["runtime_evidence"]


def test_root_is_asked_only_when_the_api_leaves_the_verdict_open(tmp_path: Path) -> None:
    """Plain Ollama (clean version, non-empty 64-hex inventory, no Server header) costs three requests, no GET /."""
    nginx_ollama = ollama_persona(TAGS_BODY, show=show_ok)
    for key, (status, headers, body) in list(nginx_ollama.routes.items()):
        nginx_ollama.routes[key] = (status, {**headers, "Server": "nginx/1.24.0"}, body)
    personas = {
        "192.0.2.1": ollama_persona(TAGS_BODY, show=show_ok, version="0.5.7"),  # settled: no GET /
        "192.0.2.2": ollama_persona(b'{"models":[]}'),  # empty inventory: the banner is the evidence
        "192.0.2.3": nginx_ollama,  # behind a proxy: / may be another product
        "192.0.2.4": NGINX_401,
    }

    async def main() -> list[tuple[str, str, str]]:
        async with fleet() as f:
            for ip, p in personas.items():
                await f.add((ip, 11434), p)
            await _sweep(f, [Target(ip, 11434) for ip in personas], tmp_path)
            return f.log

    log = asyncio.run(main())
    asked_root = {host.split(":")[0] for host, method, path in log if (method, path) == ("GET", "/")}
    assert asked_root == {"192.0.2.2", "192.0.2.3", "192.0.2.4"}
    got = rows(tmp_path)
    assert got["192.0.2.1"]["status"] == "success" and got["192.0.2.1"]["runtime"] == "ollama"
    assert [ex["path"] for ex in got["192.0.2.1"]["exchanges"]] == ["/api/version", "/api/tags", "/api/ps",
                                                                     "/api/show"]
    assert "root_banner" in got["192.0.2.2"]["runtime_evidence"] and got["192.0.2.2"]["runtime"] == "ollama"
    assert got["192.0.2.3"]["runtime"] == "ollama" and got["192.0.2.3"]["proxied"] is True


def test_request_budget_caps_show_requests(tmp_path: Path) -> None:
    async def main() -> list[tuple[str, str, str]]:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), ollama_persona(many_models(25), show=show_ok))
            await _sweep(f, [Target("192.0.2.1", 11434)], tmp_path, FAST.with_(request_budget=10))
            return f.log

    log = asyncio.run(main())
    assert len(log) == 10  # version, tags, ps (a plain Ollama host: no GET /), then 7 shows
    assert sum(1 for _, m, _ in log if m == "POST") == 7
    (r,) = rows(tmp_path).values()
    statuses = [m["show_status"] for m in r["models"]]
    assert statuses.count("fetched") == 7 and statuses.count("skipped_budget") == 18
    assert r["requests"] == 10 and r["status"] == "success"


def test_show_cache_persists_across_sweeps(tmp_path: Path) -> None:
    cache_dir = tmp_path / "show"

    async def main() -> list[tuple[str, str, str]]:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), ollama_persona(TAGS_BODY, show=show_ok, version="0.1.40"))
            s1 = await _sweep(f, [Target("192.0.2.1", 11434)], tmp_path, sweep_id="a", show_cache=ShowCache(cache_dir))
            assert s1.show_fetched == 1
            s2 = await _sweep(f, [Target("192.0.2.1", 11434)], tmp_path, sweep_id="b", show_cache=ShowCache(cache_dir))
            assert s2.show_fetched == 0 and s2.show_cached == 1
            return f.log

    log = asyncio.run(main())
    assert [m for _, m, _ in log].count("POST") == 1
    assert len(list(cache_dir.glob("part-*.parquet"))) == 1


def test_clock_sets_observed_at_and_day(tmp_path: Path) -> None:
    when = datetime(2031, 7, 4, 23, 59, 59, tzinfo=UTC)

    async def main() -> None:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), ollama_persona(TAGS_BODY, show=show_ok))
            await _sweep(f, [Target("192.0.2.1", 11434), Target("10.0.0.1", 11434)], tmp_path, clock=lambda: when)

    asyncio.run(main())
    for r in rows(tmp_path).values():
        assert r["observed_at"] == when and r["day"].isoformat() == "2031-07-04"
    assert [p.name for p in (tmp_path / "observations").iterdir()] == ["2031-07-04"]


def test_optout_beats_dial_map(tmp_path: Path) -> None:
    optout = Blocklist()
    optout.add([__import__("ipaddress").ip_network("192.0.2.0/28")])

    async def main() -> list[tuple[str, str, str]]:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), ollama_persona(TAGS_BODY))
            await _sweep(f, [Target("192.0.2.1", 11434)], tmp_path, optout=optout)
            return f.log

    assert asyncio.run(main()) == []
    (r,) = rows(tmp_path).values()
    assert r["status"] == "blocked" and "opt-out" in r["error"]


def test_refuses_requests_off_the_allowlist() -> None:
    async def main() -> None:
        connector = make_connector(FAST)
        session = make_session(connector, FAST)
        try:
            client = HostClient(session, public=("192.0.2.1", 11434), dial=("127.0.0.1", 9), scheme="http",
                                settings=FAST, limiter=RateLimiter(), allowlist=ALLOWLIST)
            for method, path in [("POST", "/api/pull"), ("DELETE", "/api/delete"), ("POST", "/api/generate"),
                                 ("GET", "/api/show"), ("POST", "/api/copy")]:
                with pytest.raises(PolicyError):
                    await client.request(method, path)
            assert client.requests == 0
        finally:
            await session.close()

    asyncio.run(main())


def test_per_ip_rate_spaces_requests(tmp_path: Path) -> None:
    async def main() -> float:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), ollama_persona(b'{"models":[]}'))
            s = await _sweep(f, [Target("192.0.2.1", 11434)], tmp_path, FAST.with_(per_ip_rate=10.0))
            return s.elapsed_s

    assert asyncio.run(main()) >= 0.3  # 4 requests at 10/s: three gaps of 0.1 s


def test_stop_event_interrupts_and_keeps_what_is_done(tmp_path: Path) -> None:
    async def main() -> SweepSummary:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), ollama_persona(b'{"models":[]}'))
            slow = Persona(ollama_persona(b'{"models":[]}').routes, delay=0.3)
            for i in range(2, 40):
                await f.add((f"192.0.2.{i}", 11434), slow)
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(0.5, stop.set)
            targets = [Target(f"192.0.2.{i}", 11434) for i in range(1, 40)]
            return await _sweep(f, targets, tmp_path, FAST.with_(concurrency=4), stop=stop)

    summary = asyncio.run(main())
    assert summary.interrupted and 0 < summary.written < 39
    assert len(rows(tmp_path)) == summary.written


def test_tls_handshake_failure_is_tls_error(tmp_path: Path) -> None:
    async def main() -> None:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), ollama_persona(b'{"models":[]}'))  # plain HTTP, asked for TLS
            await _sweep(f, [Target("192.0.2.1", 11434, "https")], tmp_path)

    asyncio.run(main())
    (r,) = rows(tmp_path).values()
    assert (r["status"], r["scheme"], r["runtime"], r["requests"]) == ("tls_error", "https", None, 1)


def test_plain_http_connects_bypass_happy_eyeballs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LiteralConnector overrides a private aiohttp method: fail loudly if an upgrade stops routing through it."""
    import aiohappyeyeballs

    async def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("plain-HTTP literal address went through aiohappyeyeballs")

    monkeypatch.setattr(aiohappyeyeballs, "start_connection", refuse)

    async def main() -> None:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), ollama_persona(TAGS_BODY, show=show_ok))
            f.add_refused(("192.0.2.2", 11434))
            await _sweep(f, [Target("192.0.2.1", 11434), Target("192.0.2.2", 11434)], tmp_path)

    asyncio.run(main())
    got = rows(tmp_path)
    assert got["192.0.2.1"]["status"] == "success" and got["192.0.2.2"]["status"] == "connection_refused"
