"""Censys host exports: JSON lines, a JSON array, or flattened CSV.

JSON: one host record per line (BigQuery/Export API ``json``, or ``censys search`` output), or one
array of them. A host has ``ip``, ``last_updated_at`` and a repeated ``services`` record; each TCP
service (``transport_protocol``; UDP/QUIC are skipped) is one candidate with ``port``,
``service_name`` (``HTTP`` …), ``extended_service_name`` (``HTTPS`` when HTTP ran over TLS) and, when
present, ``observed_at`` as the first-seen time. Censys Platform records (``host.ip``,
``host.services[].protocol``, or a ``host_v1.resource`` wrapper) are unwrapped to the same shape.

CSV (Export API with ``flatten``): one row per (host, service), columns such as ``ip``,
``services.port``, ``services.service_name``, ``services.extended_service_name``,
``services.transport_protocol``, ``last_updated_at``; a ``host.`` prefix (Platform) is ignored and
plain ``port`` / ``service_name`` / ``protocol`` are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from llmcensus.discover.formats._common import (
    Candidate,
    ImportOptions,
    Item,
    ParseIssue,
    csv_rows,
    labels,
    norm_ip,
    norm_port,
    numbered_lines,
    open_text,
    parse_time,
    scheme_hint,
)

NAME = "censys"
KINDS = ("jsonl", "json", "json.gz", "csv", "csv.gz")

_NON_TCP = ("udp", "quic")


def _unwrap(record: dict[str, Any]) -> dict[str, Any]:
    for key in ("host_v1", "host"):
        inner = record.get(key)
        if isinstance(inner, dict):
            record = inner.get("resource", inner) if isinstance(inner.get("resource"), dict) else inner
            break
    if isinstance(record.get("resource"), dict):
        record = record["resource"]
    return record


def _software_product(service: Mapping[str, Any]) -> str | None:
    soft = service.get("software")
    if isinstance(soft, list):
        for item in soft:
            if isinstance(item, dict) and isinstance(item.get("product"), str):
                return str(item["product"])
    return None


def _title(service: Mapping[str, Any]) -> str | None:
    http = service.get("http")
    if isinstance(http, dict):
        resp = http.get("response")
        if isinstance(resp, dict) and isinstance(resp.get("html_title"), str):
            return str(resp["html_title"])
    return None


def _service_candidate(ip: str, service: Mapping[str, Any], host_time: object) -> Candidate | None:
    transport = str(service.get("transport_protocol") or "tcp").lower()
    if transport in _NON_TCP:
        return None
    if "port" not in service:
        raise ValueError("service without port")
    name = service.get("service_name") or service.get("protocol")
    extended = service.get("extended_service_name")
    scheme = "https" if service.get("tls") else scheme_hint(extended, name)
    observed = service.get("observed_at") or host_time
    return Candidate(
        ip=ip,
        port=norm_port(service["port"]),
        source=NAME,
        scheme=scheme,
        first_seen=parse_time(observed),
        labels=labels(
            ("service_name", name),
            ("extended_service_name", extended),
            ("product", _software_product(service)),
            ("title", _title(service)),
        ),
    )


def _host_candidates(record: object) -> list[Candidate]:
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    host = _unwrap(record)
    if "ip" not in host:
        raise ValueError("no ip")
    ip = norm_ip(host["ip"])
    services = host.get("services")
    if not isinstance(services, list):
        raise ValueError("no services list")
    host_time = host.get("last_updated_at")
    out: list[Candidate] = []
    for service in services:
        if not isinstance(service, dict):
            raise ValueError("service is not an object")
        cand = _service_candidate(ip, service, host_time)
        if cand is not None:
            out.append(cand)
    return out


# A string (escapes included), one structural character, or a quote that opens a string never closed (the rest
# of the text is then one broken element; matching it once keeps the scan linear). Numbers and literals lie between.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]|"')
_SPACE = re.compile(r"\s*")


def _skip_space(text: str, i: int, end: int) -> int:
    m = _SPACE.match(text, i, end)
    return m.end() if m else i


def _array_elements(text: str, pos: int) -> Iterator[tuple[int, int, int]]:
    """(line, start, end) of every top-level element of the JSON array whose ``[`` is at ``text[pos]``.

    Only strings and brackets are looked at, with a depth counter (never recursion), so that each element can be
    parsed on its own by orjson (which bounds the nesting) and named by its own line. Syntax is not checked here:
    orjson does that per element. An unterminated array ends at the end of the text.
    """
    depth = 0
    line, counted = 1 + text.count("\n", 0, pos), pos
    start = pos + 1
    for m in _JSON_TOKEN.finditer(text, pos + 1):
        tok = m.group()
        if tok == '"':
            break
        if tok in "[{":
            depth += 1
        elif tok in "]}":
            depth -= 1
        if depth < 0 or (depth == 0 and tok == ","):
            first = _skip_space(text, start, m.start())
            if first < m.start():
                line, counted = line + text.count("\n", counted, first), first
                yield line, first, m.start()
            if depth < 0:
                return
            start = m.end()
    first = _skip_space(text, start, len(text))
    if first < len(text):
        yield line + text.count("\n", counted, first), first, len(text)


def _parse_json_array(path: Path, text: str) -> Iterator[Item]:
    """Parse a JSON array element by element so each bad host names its own line."""
    for lineno, start, end in _array_elements(text, text.index("[")):
        try:
            record = orjson.loads(text[start:end])
        except orjson.JSONDecodeError as exc:
            # After a syntax error the array cannot be resynchronised reliably: report and stop.
            yield ParseIssue(str(path), lineno, f"not JSON ({exc}); rest of the array skipped")
            return
        try:
            yield from _host_candidates(record)
        except ValueError as exc:
            yield ParseIssue(str(path), lineno, str(exc))


_COLUMN_ALIASES = {
    "ip": ("ip",),
    "port": ("services.port", "port"),
    "service_name": ("services.service_name", "service_name", "services.protocol", "protocol"),
    "extended_service_name": ("services.extended_service_name", "extended_service_name"),
    "transport_protocol": ("services.transport_protocol", "transport_protocol"),
    "observed_at": ("services.observed_at", "observed_at", "last_updated_at"),
    "product": ("services.software.product", "product"),
}
_SPLIT = re.compile(r"[;|,\s]+")


def _columns(header: list[str]) -> dict[str, int]:
    norm = [re.sub(r"^(host_v1\.resource\.|host\.)", "", h.strip().lower()) for h in header]
    found: dict[str, int] = {}
    for name, aliases in _COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in norm:
                found[name] = norm.index(alias)
                break
    return found


def _multi(cell: str) -> list[str]:
    """Repeated fields flattened into one cell: ``80;443``, ``[80, 443]``, ``HTTP|HTTPS``."""
    return [p.strip("\"' ") for p in _SPLIT.split(cell.strip().strip("[]")) if p.strip("\"' ")]


def _parse_csv(path: Path) -> Iterator[Item]:
    with open_text(path) as handle:
        rows = csv_rows(handle, path)
        header = next(rows, None)
        if isinstance(header, ParseIssue):
            yield header
            return
        cols = _columns(header[1] if header is not None else [])
        if "ip" not in cols or "port" not in cols:
            yield ParseIssue(str(path), 1, "CSV header needs an ip and a (services.)port column")
            return
        for item in rows:
            if isinstance(item, ParseIssue):
                yield item
                continue
            lineno, row = item
            if not any(c.strip() for c in row):
                continue

            def cell(name: str, row: list[str] = row) -> str:
                i = cols.get(name)
                return row[i] if i is not None and i < len(row) else ""

            try:
                ip = norm_ip(cell("ip"))
                ports = _multi(cell("port"))
                if not ports:
                    raise ValueError("empty port")
                names = _multi(cell("service_name"))
                exts = _multi(cell("extended_service_name"))
                transports = _multi(cell("transport_protocol"))
                items: list[Candidate] = []
                for i, port in enumerate(ports):
                    service = {
                        "port": port,
                        "service_name": names[i] if len(names) == len(ports) else cell("service_name") or None,
                        "extended_service_name": exts[i] if len(exts) == len(ports) else None,
                        "transport_protocol": transports[i] if len(transports) == len(ports) else None,
                        "software": [{"product": cell("product")}] if cell("product") else None,
                    }
                    cand = _service_candidate(ip, service, cell("observed_at"))
                    if cand is not None:
                        items.append(cand)
            except ValueError as exc:
                yield ParseIssue(str(path), lineno, str(exc))
                continue
            yield from items


def parse(path: Path, options: ImportOptions) -> Iterator[Item]:
    with open_text(path) as handle:
        head = handle.read(4096).lstrip()
    if not head.startswith(("{", "[")):
        yield from _parse_csv(path)
        return
    if head.startswith("["):
        with open_text(path) as handle:
            yield from _parse_json_array(path, handle.read())
        return
    with open_text(path) as handle:
        for item in numbered_lines(handle, path):
            if isinstance(item, ParseIssue):
                yield item
                continue
            lineno, text = item
            if not text.strip():
                continue
            try:
                record = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                yield ParseIssue(str(path), lineno, f"not JSON: {exc}")
                continue
            try:
                cands = _host_candidates(record)
            except ValueError as exc:
                yield ParseIssue(str(path), lineno, str(exc))
                continue
            yield from cands
