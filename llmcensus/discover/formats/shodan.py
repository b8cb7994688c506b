"""Shodan banners as written by ``shodan download`` (``.json.gz``: one JSON banner per line).

A banner is one service on one port of one address at one time. Fields read: ``ip_str`` (or
``ipv6``, or the integer ``ip``), ``port``, ``transport`` (UDP banners are skipped), ``timestamp``
(UTC, no zone, microseconds), ``ssl`` (present = the service spoke TLS), ``_shodan.module``
(``http``, ``https``, ``http-simple-new`` …), and as labels ``product``, ``version``,
``http.title``, ``http.server``, ``org``, ``asn`` and the first line of ``data`` (the raw banner).
Plain ``.json`` lines files (``shodan search`` piped through a script) read the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from llmcensus.discover.formats._common import (
    Candidate,
    ImportOptions,
    Item,
    ParseIssue,
    labels,
    norm_ip,
    norm_port,
    numbered_lines,
    open_text,
    parse_time,
    scheme_hint,
)

NAME = "shodan"
KINDS = ("json.gz", "json", "jsonl")


def _ip(banner: dict[str, Any]) -> str:
    for key in ("ip_str", "ipv6"):
        if isinstance(banner.get(key), str):
            return norm_ip(banner[key])
    if isinstance(banner.get("ip"), int) and not isinstance(banner["ip"], bool):
        return norm_ip(str(ipaddress.IPv4Address(banner["ip"])))
    raise ValueError("no ip_str")


def _candidate(banner: dict[str, Any]) -> Candidate | None:
    if str(banner.get("transport", "tcp")).lower() != "tcp":
        return None
    ip = _ip(banner)
    if "port" not in banner:
        raise ValueError("no port")
    port = norm_port(banner["port"])
    meta: dict[str, Any] = banner["_shodan"] if isinstance(banner.get("_shodan"), dict) else {}
    http: dict[str, Any] = banner["http"] if isinstance(banner.get("http"), dict) else {}
    module = meta.get("module")
    scheme = "https" if banner.get("ssl") else scheme_hint(module)
    if scheme is None and http:
        scheme = "http"
    data = banner.get("data")
    first_line = data.splitlines()[0] if isinstance(data, str) and data.strip() else None
    return Candidate(
        ip=ip,
        port=port,
        source=NAME,
        scheme=scheme,
        first_seen=parse_time(banner.get("timestamp")),
        labels=labels(
            ("product", banner.get("product")),
            ("version", banner.get("version")),
            ("title", http.get("title")),
            ("server", http.get("server")),
            ("module", module),
            ("org", banner.get("org")),
            ("asn", banner.get("asn")),
            ("banner", first_line),
        ),
    )


def parse(path: Path, options: ImportOptions) -> Iterator[Item]:
    with open_text(path) as handle:
        for item in numbered_lines(handle, path):
            if isinstance(item, ParseIssue):
                yield item
                continue
            lineno, text = item
            if not text.strip():
                continue
            try:
                banner = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                yield ParseIssue(str(path), lineno, f"not JSON: {exc}")
                continue
            if not isinstance(banner, dict):
                yield ParseIssue(str(path), lineno, f"expected a JSON object, got {type(banner).__name__}")
                continue
            try:
                cand = _candidate(banner)
            except ValueError as exc:
                yield ParseIssue(str(path), lineno, str(exc))
                continue
            if cand is not None:
                yield cand
