"""The hostile-host behaviour table (issue #14): the bodies, raw handlers and checks of every row, and
``rows()``. ``tests/test_hostile_suite.py`` serves and scans the table; ``tests/test_hostile_poisoning.py``
reuses its bodies for the poisoning and address-window sweeps."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hostile_support import (
    Conn,
    HostileFleet,
    Public,
    drip,
    dumps,
    endless_chunks,
    gz,
    http,
    per_path,
    reply_once,
    reset,
    then,
)
from probe_support import CAPTURES, JSON, TEXT, Persona, compact

from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import SweepSummary, run_sweep
from llmcensus.probe.settings import ProbeSettings
from llmcensus.targets.parse import Target, default_scheme

SETTINGS = ProbeSettings(connect_timeout=1.0, read_timeout=1.0, total_timeout=6.0, per_ip_rate=0,
                         loopback_only=True, concurrency=128)
CAP = SETTINGS.max_response_bytes  # 256 KiB
VISIT_MAX_S = 3.5  # "well under total_timeout": the slowest hostile visit is one connect+read timeout (2 s)
OLLAMA_VERSION = "0.5.7"
Obs = dict[str, Any]  # one observation, as read back from Parquet
Check = Callable[[Obs], None]


# -- bodies ---------------------------------------------------------------------------------------------------

def digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def details_of(family: str) -> dict[str, Any]:
    """A ``details`` object whose family (and families) is ``family``."""
    return {"parent_model": "", "format": "gguf", "family": family, "families": [family], "parameter_size": "8.0B",
            "quantization_level": "Q4_K_M"}


def entry(name: str, dg: str, **over: Any) -> dict[str, Any]:
    """One /api/tags entry as Ollama 0.5.x sends it; ``over`` replaces top-level keys."""
    e: dict[str, Any] = {"name": name, "model": name, "modified_at": "2025-03-01T10:00:00.123456789Z",
                         "size": 4_920_753_328, "digest": dg, "details": details_of("llama")}
    e.update(over)
    return e


def tags(*entries: dict[str, Any], **extra: Any) -> bytes:
    return dumps({"models": list(entries), **extra})


def show_body(system: str | None, caps: list[str] | None, *, template: str = "{{ .System }} {{ .Prompt }}",
              license: str = "MIT", family: str = "llama") -> bytes:
    body: dict[str, Any] = {
        "license": license, "modelfile": "FROM /root/.ollama/models/blobs/sha256-abc\n",
        "parameters": 'stop                           "<|eot_id|>"', "template": template,
        "details": details_of(family),
        "model_info": {"general.architecture": family, "general.parameter_count": 8_030_261_248,
                       f"{family}.context_length": 131072},
    }
    if system is not None:
        body["system"] = system
    if caps is not None:
        body["capabilities"] = caps
    return dumps(body)


def ollama(tags_body: bytes, *, version: str | bytes = OLLAMA_VERSION, show: bytes | None = None,
           headers: dict[str, str] | None = None, tags_route: tuple[int, dict[str, str], bytes] | None = None,
           ) -> Persona:
    """An Ollama-shaped persona; ``version`` as a str is wrapped in {"version": ...}, bytes are sent verbatim."""
    h = headers or {}
    vbody = version if isinstance(version, bytes) else dumps({"version": version})
    routes = {
        ("GET", "/"): (200, {**TEXT, **h}, b"Ollama is running"),
        ("GET", "/api/version"): (200, {**JSON, **h}, vbody),
        ("GET", "/api/tags"): tags_route or (200, {**JSON, **h}, tags_body),
        ("GET", "/api/ps"): (200, {**JSON, **h}, b'{"models":[]}'),
    }
    return Persona(routes, default=(404, {**TEXT, **h}, b"404 page not found"),
                   show=(lambda _: (200, {**JSON, **h}, show)) if show is not None else None)


def everywhere(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Persona:
    return Persona({}, default=(status, {**TEXT, **(headers or {})}, body))


def padded(target_len: int) -> bytes:
    """A valid one-model /api/tags body of exactly ``target_len`` bytes (padded inside a string)."""
    base = tags(entry("padded:latest", digest("padded", target_len)), pad="")
    body = base[:-2] + b"a" * (target_len - len(base)) + b'"}'
    assert len(body) == target_len
    return body


def raw_tags(row: str, sizes: list[bytes]) -> bytes:
    """/api/tags whose i-th model has the literal JSON text ``sizes[i]`` as its size."""
    parts = []
    for i, text in enumerate(sizes):
        parts.append(dumps(entry(f"{row}-{i}:latest", digest(row, i), size="@SIZE@")).replace(b'"@SIZE@"', text))
    return b'{"models":[' + b",".join(parts) + b"]}"


# -- raw handlers ---------------------------------------------------------------------------------------------

VERSION_REPLY = http(200, dumps({"version": OLLAMA_VERSION}), {"Content-Type": "application/json"})


async def hold(conn: Conn) -> None:
    if await conn.request() is not None:
        await conn.hold()


async def reset_now(conn: Conn) -> None:
    reset(conn)


async def reset_after_request(conn: Conn) -> None:
    await conn.request()
    reset(conn)


async def reset_mid_handshake(conn: Conn) -> None:
    await conn.reader.read(5)  # the start of the ClientHello, then RST
    reset(conn)


async def half_close(conn: Conn) -> None:
    if await conn.request() is not None:
        conn.writer.write_eof()
        await conn.hold()


async def close_silently(conn: Conn) -> None:
    await conn.request()


async def late_reply(conn: Conn) -> None:
    if await conn.request() is not None:
        await asyncio.sleep(SETTINGS.read_timeout * 1.5)
        await conn.send(VERSION_REPLY)


async def continue_forever(conn: Conn) -> None:
    if await conn.request() is not None:
        await drip(b"", 0.05, forever=b"HTTP/1.1 100 Continue\r\n\r\n")(conn)


def request_first(action: Callable[[Conn], Any]) -> Callable[[Conn], Any]:
    async def handler(conn: Conn) -> None:
        if await conn.request() is not None:
            await action(conn)

    return handler


def raw_ollama(server: str) -> Callable[[Conn], Any]:
    """A raw Ollama whose every reply carries ``server``, control bytes and all, as its Server header."""
    body = tags(entry("esc:latest", digest("esc-server", 0)))
    routes: dict[str, bytes | Callable[[Conn], Any]] = {
        "/": http(200, b"Ollama is running", {"Server": server}),
        "/api/version": http(200, dumps({"version": OLLAMA_VERSION}), {"Server": server}),
        "/api/tags": http(200, body, {"Server": server, "Content-Type": "application/json"}),
        "/api/ps": http(200, b'{"models":[]}', {"Server": server}),
    }
    return per_path(routes, http(404, b"404 page not found", {"Server": server}))


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


# -- the table ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Raw:
    handler: Callable[[Conn], Any]
    tls: bool = False


@dataclass(frozen=True)
class Tls:
    persona: Persona


BACKLOG = "listen, never accept"
REFUSED = "nothing listens"
Host = Persona | Raw | Tls | str
ANY: Any = object()


@dataclass(frozen=True)
class Row:
    name: str
    host: Host
    status: str | frozenset[str]
    runtime: Any = ANY
    error: str | None = None  # a substring of the observation's error
    models: Any = ANY  # model_count (None: the inventory was not read)
    checks: tuple[Check, ...] = ()
    port: int = 11434  # 443 and 8443 are visited over TLS (as the CLI decides for a bare ip:port)
    auth: Any = ANY


def model(name: str, **want: Any) -> Check:
    def check(r: Obs) -> None:
        found = [m for m in r["models"] or () if m["name"] == name]
        assert found, f"no model named {name!r} in {[m['name'] for m in r['models'] or ()][:5]}"
        for key, value in want.items():
            assert found[0][key] == value, (key, found[0][key], value)

    return check


def first_model(**want: Any) -> Check:
    def check(r: Obs) -> None:
        m = r["models"][0]
        for key, value in want.items():
            assert m[key] == value, (key, m[key], value)

    return check


def at_most(**caps: int) -> Check:
    """Top-level string fields (``version``, ``server_header``) or ``model_<field>`` on every model are capped."""

    def check(r: Obs) -> None:
        for key, cap in caps.items():
            if key.startswith("model_"):
                for m in r["models"] or ():
                    value = m[key[len("model_"):]]
                    assert value is not None and 0 < len(value) <= cap, (key, len(value or ""))
            else:
                assert r[key] is not None and 0 < len(r[key]) <= cap, (key, len(r[key] or ""))

    return check


def prefix_of(key: str, original: str) -> Check:
    """``key`` (top level, or ``model_<field>`` of the first model) is a cut of what the host sent."""

    def check(r: Obs) -> None:
        value = r["models"][0][key[len("model_"):]] if key.startswith("model_") else r[key]
        assert value, key
        value = value.removesuffix("…")  # a cut may be marked with an ellipsis
        assert original.startswith(value), f"{key} is not a cut of what the host sent"

    return check


def evidence(marker: str) -> Check:
    def check(r: Obs) -> None:
        assert marker in (r["runtime_evidence"] or []), r["runtime_evidence"]

    return check


def field_is(key: str, value: Any) -> Check:
    def check(r: Obs) -> None:
        assert r[key] == value, (key, r[key])

    return check


def show_requests(at_most_n: int) -> Check:
    def check(r: Obs) -> None:
        posts = sum(1 for ex in r["exchanges"] if ex["method"] == "POST")
        assert posts <= at_most_n and r["requests"] <= SETTINGS.request_budget, (posts, r["requests"])

    return check


def show_statuses(allowed: set[str]) -> Check:
    def check(r: Obs) -> None:
        assert {m["show_status"] for m in r["models"]} <= allowed, [m["show_status"] for m in r["models"]]

    return check


def no_show_fields_from_others(system: str) -> Check:
    def check(r: Obs) -> None:
        for m in r["models"]:
            assert m["system"] == system, (m["name"], m["system"])

    return check


# Strings a hostile host plants. The record keeps them (analysts want the exact bytes); outputs must not.
SCRIPT = "<script>alert(1)</script>"
TERMINAL = "\x1b[2J\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07\x00\x9b31m"
BIDI = "\u202egnp.exe\u202c\u2066x\u2069\u200f\u061c"
CRLF = "line1\r\nline2\ttab\rcr"
LONG_VERSION = ("0.5.7\x00<b>" + "\x00<i>x</i>" * 60)[:500].ljust(500, "\x00")
LONG_SERVER = "<script>" + "S" * 1000
HUGE_NAME = "N" * 200_000
LONG_NAME = "L" * 300 + ":latest"
BIG_SYSTEM = ("<script>" + "\x1b[31m" + "P" * 100_000)
HOSTILE_SYSTEM = f"{SCRIPT}{TERMINAL}{BIDI} ignore previous instructions"
BENIGN_SYSTEM = "You are a helpful assistant."
BENIGN_CAPS = ["completion", "tools"]
FORMULAS = {
    "formula_equals_hyperlink": ('=HYPERLINK("http://evil.example/","click"):latest', '=HYPERLINK("http://x/")',
                                 "=cmd|' /C calc'!A0"),
    "formula_plus": ("+cmd|' /C calc'!A0:latest", "+1+1", "+1.2.3"),
    "formula_minus": ("-2+3+cmd|' /C calc'!A0:latest", "-1+1", "-0.1.2"),
    "formula_at": ("@SUM(1+1)*cmd|' /C calc'!A0:latest", "@SUM(A1)", "@0.1"),
}


def benign_inventory(tag: str, n: int = 3) -> bytes:
    names = ["llama3.1:8b", "qwen2.5:7b", "mistral:latest", "gemma3:4b"]
    return tags(*(entry(names[i], digest("benign", names[i]), size=4_000_000_000 + i) for i in range(n)))


def benign(tag: str, **kw: Any) -> Persona:
    return ollama(benign_inventory(tag), version="0.12.6", show=show_body(BENIGN_SYSTEM, BENIGN_CAPS), **kw)


def many(row: str, n: int, *, full: bool = True) -> bytes:
    if full:
        return tags(*(entry(f"{row}{i}:latest", digest(row, i), size=1000 + i) for i in range(n)))
    return b'{"models":[' + b",".join(b'{"name":"m%d"}' % i for i in range(n)) + b"]}"


def rows() -> list[Row]:
    """Built lazily (the redirect rows need the canary's port): see ``canary_location``."""
    loc = canary_location()
    wrong_types = {"name": 7, "model": ["x"], "digest": {"a": 1}, "modified_at": 5, "size": "big",
                   "details": ["x"], "capabilities": "tools", "remote_host": 3}
    beside_name = {**wrong_types, "name": "typed:latest"}
    nested = b'{"models":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    out = [
        # ---- benign hosts beside the hostile ones ----
        Row("benign_ollama", benign("a"), "success", "ollama", models=3,
            checks=(no_show_fields_from_others(BENIGN_SYSTEM), show_statuses({"fetched"}),
                    first_model(capabilities=BENIGN_CAPS))),
        # the same digests as benign_ollama: asked again, never taken from another host's reply
        Row("benign_ollama_second_host", benign("b"), "success", "ollama", models=3,
            checks=(no_show_fields_from_others(BENIGN_SYSTEM), show_statuses({"fetched"}))),
        Row("benign_ollama_behind_nginx", benign("c", headers={"Server": "nginx/1.24.0"}), "success", "ollama",
            models=3, checks=(field_is("proxied", True),)),
        Row("benign_captured_ollama", ollama(compact(CAPTURES / "api_tags" / "04391a874017.json"), version="0.1.40",
                                             show=compact(CAPTURES / "api_show" / "d540ababb6e4.json")),
            "success", "ollama", models=1, checks=(model("qwen2.5:1.5b", size=986061892),)),
        Row("benign_empty_ollama", ollama(b'{"models":[]}'), "success", "ollama", models=0),
        Row("benign_tls_ollama", Tls(benign("d")), "success", "ollama", models=3, port=443,
            checks=(field_is("scheme", "https"),)),
        # ---- size ----
        Row("tags_body_just_under_cap", ollama(padded(CAP - 1)), "success", "ollama", models=1),
        Row("tags_body_exactly_at_cap", ollama(padded(CAP)), "success", "ollama", models=1),
        Row("tags_body_one_byte_over_cap", ollama(padded(CAP + 1)), "truncated", "ollama", models=None),
        Row("tags_body_four_mib", ollama(padded(4 * 1024 * 1024)), "truncated", "ollama", models=None),
        Row("endless_chunked_tags", Raw(per_path({"/api/version": VERSION_REPLY},
                                                 then(CHUNKED_HEAD, endless_chunks))), "truncated", models=None),
        Row("huge_response_header", Raw(reply_once(http(200, b"{}", {"X-Big": "a" * 100_000}))), "protocol_error"),
        Row("ten_thousand_response_headers",
            Raw(reply_once(http(200, b"{}", {f"X-{i}": "a" for i in range(10_000)}))), "protocol_error"),
        Row("tags_85000_empty_objects", ollama(b'{"models":[' + b"{}," * 84_999 + b"{}]}"), "protocol_error",
            "ollama", models=None),
        Row("tags_10000_tiny_named_entries", ollama(many("tiny", 10_000, full=False)), "truncated", "ollama",
            error="10000", models=500, checks=(first_model(name="m0"),)),
        Row("tags_huge_single_string", ollama(tags(entry(HUGE_NAME, digest("huge", 0), model=None))), "success",
            "ollama", models=1, checks=(at_most(model_name=256), prefix_of("model_name", HUGE_NAME))),
        # ---- time ----
        Row("slow_loris_headers", Raw(request_first(then(b"HTTP/1.1 200 OK\r\nX-Slow: ", drip(b"", 0.1,
                                                                                             forever=b"z")))),
            "read_timeout", None),
        Row("one_byte_per_second_body", Raw(request_first(then(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", drip(b"", 1.0, forever=b"{")))), "read_timeout"),
        Row("reply_after_read_timeout", Raw(late_reply), "read_timeout", None),
        Row("accept_then_never_answer", Raw(hold), "read_timeout", None, models=None),
        Row("listen_never_accept", BACKLOG, "read_timeout", None),
        Row("headers_then_silence", Raw(request_first(then(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{",
                                                           lambda c: c.hold()))), "read_timeout"),
        Row("tags_stalls_after_fast_version", Raw(per_path({"/api/version": VERSION_REPLY}, lambda c: c.hold())),
            "read_timeout", checks=(field_is("version", OLLAMA_VERSION),)),
        Row("nothing_listening", REFUSED, "connection_refused", None),
        # ---- framing ----
        Row("garbage_bytes", Raw(reply_once(b"\x00\x01SSH-2.0-not-http\r\n\xff\xfe")), "protocol_error", None),
        Row("http_0_9_bare_body", Raw(reply_once(dumps({"version": OLLAMA_VERSION}))), "protocol_error", None),
        Row("bad_status_line", Raw(reply_once(b"HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\n{}")),
            "protocol_error", None),
        Row("status_code_999", Raw(reply_once(http(999, b"{}"))), "http_error", "unknown"),
        Row("content_length_longer_than_body", Raw(reply_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + dumps({"version": OLLAMA_VERSION}))),
            "protocol_error", None),
        Row("conflicting_content_length", Raw(reply_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}")), "protocol_error", None),
        Row("transfer_encoding_and_content_length", Raw(reply_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")),
            "protocol_error", None),
        Row("invalid_chunk_size", Raw(reply_once(CHUNKED_HEAD + b"zz\r\n{}\r\n0\r\n\r\n")), "protocol_error", None),
        Row("chunk_size_overflow", Raw(reply_once(CHUNKED_HEAD + b"f" * 40 + b"\r\n{}\r\n")), "protocol_error",
            None),
        Row("nul_in_header_value", Raw(reply_once(http(200, b"{}", {"Server": "x\x00y"}))), "protocol_error",
            None),
        Row("reset_right_after_accept", Raw(reset_now), frozenset({"connection_refused", "protocol_error"}), None),
        Row("reset_after_request", Raw(reset_after_request), "protocol_error", None),
        Row("half_close_without_reply", Raw(half_close), "protocol_error", None),
        Row("close_without_reply", Raw(close_silently), "protocol_error", None),
        Row("endless_100_continue", Raw(continue_forever), "read_timeout", None),
        # ---- TLS ----
        Row("tls_garbage_after_handshake", Raw(reply_once(b"\x00\x01not http\xff"), tls=True), "protocol_error",
            None, port=443),
        Row("tls_silent_after_handshake", Raw(hold, tls=True), "read_timeout", None, port=443),
        Row("tls_reset_during_handshake", Raw(reset_mid_handshake),
            frozenset({"connection_refused", "protocol_error", "tls_error"}), None, port=443),
        Row("plain_http_on_tls_port", benign("e"), "tls_error", None, port=8443),
        # ---- encoding ----
        Row("gzip_body_without_accept_encoding", Persona({
            ("GET", "/"): (200, TEXT, b"Ollama is running"),
            ("GET", "/api/version"): (200, {**JSON, "Content-Encoding": "gzip"}, gz(dumps({"version": "0.5.7"}))),
            ("GET", "/api/tags"): (200, {**JSON, "Content-Encoding": "gzip"}, gz(benign_inventory("gz")))}),
            "protocol_error", "ollama", error="JSON", models=None),
        # JSON text must be UTF-8 (RFC 8259 §8.1): bytes that are not are a broken reply, not a name to guess at
        Row("invalid_utf8_in_model_name", ollama(tags(entry("@@", digest("utf8", 0))).replace(b"@@", b"bad\xff\xfe")),
            "protocol_error", "ollama", models=None),
        Row("utf16_bom_body", ollama(b"\xff\xfe" + benign_inventory("u16").decode().encode("utf-16-le")),
            "protocol_error", "ollama", models=None),
        Row("wrong_charset_declared", ollama(b"", tags_route=(
            200, {"Content-Type": "application/json; charset=latin-1"},
            tags(entry("modèle-ü:latest", digest("cs", 0))))),
            "success", "ollama", models=1, checks=(first_model(name="modèle-ü:latest"),)),
        # ---- JSON pathologies ----
        Row("deep_nesting_100k", ollama(nested), "protocol_error", "ollama", models=None),
        Row("size_1e400_in_one_model", ollama(raw_tags("e400", [b"1e400", b"1234"])), "success", "ollama", models=2,
            checks=(model("e400-0:latest", size=None), model("e400-1:latest", size=1234))),
        Row("size_minus_1e400_in_one_model", ollama(raw_tags("m400", [b"-1e400", b"1234"])), "success", "ollama",
            models=2, checks=(model("m400-0:latest", size=None), model("m400-1:latest", size=1234))),
        Row("size_integer_beyond_2_64", ollama(raw_tags("i64", [b"18446744073709551617", b"1234"])), "success",
            "ollama", models=2, checks=(model("i64-0:latest", size=None), model("i64-1:latest", size=1234))),
        Row("size_400_digit_integer", ollama(raw_tags("d400", [b"9" * 400, b"1234"])), "success", "ollama",
            models=2, checks=(model("d400-0:latest", size=None), model("d400-1:latest", size=1234))),
        # NaN and Infinity are not JSON at all (unlike 1e400, a valid number out of range): the reply is broken
        # not JSON, but Python's json.dumps writes them: one unknown field, like 1e400, not a lost inventory
        Row("nan_literal_in_size", ollama(raw_tags("nan", [b"NaN", b"1234"])), "success", "ollama", models=2,
            checks=(model("nan-0:latest", size=None), model("nan-1:latest", size=1234))),
        Row("infinity_literal_in_size", ollama(raw_tags("inf", [b"-Infinity", b"1234"])), "success", "ollama",
            models=2, checks=(model("inf-0:latest", size=None), model("inf-1:latest", size=1234))),
        Row("duplicate_keys", ollama(b'{"models":[],"models":[{"name":"first:latest","name":"second:latest",'
                                     b'"digest":"' + digest("dup", 0).encode() + b'"}]}'),
            "success", "ollama", models=1, checks=(first_model(name="second:latest"),)),
        Row("trailing_garbage_after_json", ollama(benign_inventory("tg") + b"}}garbage"), "protocol_error",
            "ollama", models=None),
        Row("models_not_a_list", ollama(b'{"models":{"a":{"name":"x"}}}'), "protocol_error", "ollama",
            models=None),
        Row("entries_not_objects", ollama(b'{"models":[1,"x",null,[],true]}'), "protocol_error", "ollama",
            models=None),
        Row("entry_without_any_identifier_skipped", ollama(tags({"size": 5, "details": {"family": "llama"}},
                                                                entry("kept:latest", digest("kept", 0)))),
            "success", "ollama", models=1, checks=(first_model(name="kept:latest"),
                                                   evidence("tags_entry_without_name"))),
        Row("wrong_types_in_every_field", ollama(tags(wrong_types)), "protocol_error", "ollama", models=None),
        Row("wrong_types_beside_a_valid_name", ollama(tags(beside_name)), "success", "ollama", models=1,
            checks=(first_model(name="typed:latest", model=None, digest=None, size=None, modified_at=None,
                                family=None, tags_capabilities=None),)),
        Row("tags_top_level_array", ollama(b'[{"name":"x:latest"}]'), "protocol_error", "ollama", models=None),
        Row("tags_json_string", ollama(b'"models"'), "protocol_error", "ollama", models=None),
        Row("version_not_a_string", ollama(benign_inventory("vn"), version=b'{"version":7}'), "success", "ollama",
            models=3, checks=(field_is("version", None),)),
        # ---- redirects (never followed: the canary must see nothing) ----
        Row("redirect_301_to_other_host", everywhere(301, {"Location": loc}), "http_error", "unknown",
            error="redirect"),
        Row("redirect_302_to_other_host", everywhere(302, {"Location": loc}), "http_error", "unknown",
            error="redirect"),
        Row("redirect_307_to_other_host", everywhere(307, {"Location": loc}), "http_error", "unknown",
            error="redirect"),
        Row("redirect_308_to_other_host", everywhere(308, {"Location": loc}), "http_error", "unknown",
            error="redirect"),
        Row("redirect_to_file_url", everywhere(302, {"Location": "file:///etc/passwd"}), "http_error", "unknown",
            error="file:///etc/passwd"),
        Row("redirect_loop_to_itself", everywhere(302, {"Location": "/api/version"}), "http_error", "unknown",
            error="redirect"),
        Row("redirect_location_markup", everywhere(301, {"Location": '=HYPERLINK("javascript:alert(1)")<script>'}),
            "http_error", "unknown", error="redirect"),
        # ---- auth ----
        Row("auth_401_basic", everywhere(401, {"WWW-Authenticate": 'Basic realm="ollama"'}), "auth_required",
            auth="auth_required"),
        Row("auth_401_bearer", everywhere(401, {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'}),
            "auth_required", auth="auth_required"),
        Row("auth_403_everywhere", everywhere(403, {"Server": "nginx"}), "auth_required", auth="forbidden"),
        Row("auth_401_only_on_tags", ollama(b"", tags_route=(401, {"WWW-Authenticate": "Basic"}, b"unauthorized")),
            "auth_required", "ollama", auth="auth_required", checks=(field_is("version", OLLAMA_VERSION),)),
        Row("auth_403_only_on_tags", ollama(b"", tags_route=(403, TEXT, b"forbidden")), "auth_required", "ollama",
            auth="forbidden"),
        Row("rate_limited_429_everywhere", everywhere(429, {"Retry-After": "3600"}), "http_error", "unknown"),
        Row("rate_limited_429_on_tags_of_ollama", ollama(b"", tags_route=(429, TEXT, b"slow down")), "http_error",
            "ollama", models=None),
        Row("bad_request_400_everywhere", everywhere(400, body=b"bad request"), "http_error", "unknown"),
        Row("teapot_418_everywhere", everywhere(418), "http_error", "unknown"),
        Row("proxy_auth_407_everywhere", everywhere(407, {"Proxy-Authenticate": "Basic"}), "http_error", "unknown"),
        Row("not_found_404_everywhere", everywhere(404), "not_llm", "unknown"),
        Row("method_not_allowed_405_everywhere", everywhere(405, {"Allow": "POST"}), "not_llm", "unknown"),
        Row("gone_410_everywhere", everywhere(410), "not_llm", "unknown"),
        Row("server_error_503_everywhere", everywhere(503), "http_error", "unknown"),
        # ---- markup and control characters (kept in the record, neutralised in every output) ----
        Row("model_name_script_tag", ollama(tags(entry(SCRIPT + ":latest", digest("script", 0)))), "success",
            "ollama", models=1, checks=(first_model(name=SCRIPT + ":latest"),)),
        Row("model_name_terminal_escapes",
            ollama(tags(entry(TERMINAL, digest("term", 0), details=details_of(TERMINAL)))), "success", "ollama",
            models=1, checks=(first_model(name=TERMINAL, family=TERMINAL),)),
        Row("model_name_bidi_override", ollama(tags(entry(BIDI, digest("bidi", 0), details=details_of(BIDI)))),
            "success", "ollama", models=1, checks=(first_model(name=BIDI, family=BIDI),)),
        Row("model_name_crlf_and_tabs", ollama(tags(entry(CRLF, digest("crlf", 0), details=details_of(CRLF)))),
            "success", "ollama", models=1, checks=(first_model(name=CRLF, family=CRLF),)),
        Row("details_markup", ollama(tags(entry("details:latest", digest("det", 0), details={
            "family": '<img src=x onerror=alert(1)>', "parameter_size": SCRIPT, "quantization_level": TERMINAL,
            "format": "gguf", "families": [SCRIPT, BIDI]}))), "success", "ollama", models=1,
            checks=(first_model(family='<img src=x onerror=alert(1)>'), prefix_of("model_quantization_level", TERMINAL),
                    prefix_of("model_parameter_size", SCRIPT))),
        Row("modified_at_markup", ollama(tags(entry("when:latest", digest("when", 0), modified_at=SCRIPT + TERMINAL))),
            "success", "ollama", models=1, checks=(first_model(modified_at_utc=None),
                                                   prefix_of("model_modified_at", SCRIPT + TERMINAL))),
        Row("version_with_markup", ollama(benign_inventory("vm"), version=f"<b>{SCRIPT}</b>"), "success", "ollama",
            checks=(field_is("version", f"<b>{SCRIPT}</b>"),)),
        Row("version_500_chars_nul_markup", ollama(benign_inventory("vl"), version=LONG_VERSION), "success",
            "ollama", checks=(at_most(version=64), prefix_of("version", LONG_VERSION))),
        Row("server_header_markup_1000_chars", benign("sh", headers={"Server": LONG_SERVER}), "success", "ollama",
            checks=(at_most(server_header=256), prefix_of("server_header", LONG_SERVER))),
        Row("server_header_terminal_escape", Raw(raw_ollama("Ollama\x1b[2J\x1b]0;pwned\x07")), "success", "ollama",
            models=1, checks=(field_is("server_header", "Ollama\x1b[2J\x1b]0;pwned\x07"),)),
        Row("model_name_300_chars", ollama(tags(entry(LONG_NAME, digest("long", 0)))), "success", "ollama",
            models=1, checks=(at_most(model_name=256, model_model=256),)),
        Row("system_prompt_markup_and_controls", ollama(tags(entry("sys:latest", digest("sys", 0))),
                                                        show=show_body(HOSTILE_SYSTEM, None, license=TERMINAL)),
            "success", "ollama", models=1, checks=(first_model(system=HOSTILE_SYSTEM, show_status="fetched"),)),
        Row("system_prompt_100k_chars", ollama(tags(entry("bigsys:latest", digest("bigsys", 0))),
                                               show=show_body(BIG_SYSTEM, None)),
            "success", "ollama", models=1, checks=(at_most(model_system=16384), prefix_of("model_system", BIG_SYSTEM))),
        # ---- amplification ----
        Row("bait_500_distinct_digests", ollama(many("bait", 500), show=show_body(BENIGN_SYSTEM, None)), "success",
            "ollama", models=500, checks=(show_requests(SETTINGS.request_budget - 3),)),  # - version, tags, ps
        Row("inventory_501_models", ollama(many("five01-", 501)), "truncated", "ollama", error="501", models=500),
    ]
    for name, (model_name, family, version) in FORMULAS.items():
        out.append(Row(name, ollama(tags(entry(model_name, digest(name, 0), details={
            "family": family, "parameter_size": family, "quantization_level": family, "format": "gguf"})),
            version=version), "success", "ollama", models=1, checks=(first_model(name=model_name, family=family),)))
    return out


# -- shared by the fleet sweep and the poisoning / address-window sweeps ---------------------------------------

CANARY: Public = ("203.0.113.254", 11434)
_canary_port: list[int] = []


def canary_location() -> str:
    return f"http://127.0.0.1:{_canary_port[0]}/api/tags" if _canary_port else "http://127.0.0.1:9/api/tags"


def targets(publics: list[Public]) -> list[Target]:
    return [Target(ip, port, default_scheme(port)) for ip, port in publics]


async def sweep(f: HostileFleet, tgts: list[Target], data: Path, settings: ProbeSettings, sweep_id: str,
                **kw: Any) -> SweepSummary:
    w = ObservationWriter(data, sweep_id)
    summary = await run_sweep(tgts, settings, w, dial_map=f.dial_map, **kw)
    w.close(complete=not summary.interrupted)
    return summary


def by_public(data: Path, sweep_id: str | None = None) -> dict[Public, Obs]:
    out: dict[Public, Obs] = {}
    for r in read_observations(data, sweep_id=sweep_id).to_pylist():
        key = (r["ip"], r["port"])
        assert key not in out, f"two observations for {key}"
        out[key] = r
    return out
