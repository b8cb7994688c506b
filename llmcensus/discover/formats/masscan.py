"""masscan output: ``-oJ`` (JSON), ``-oL`` (list), ``-oX`` (XML), told apart by their first bytes.

``-oJ``: ``[`` then one record per line, ``{ "ip": "…", "timestamp": "1700000000", "ports": [ {"port":
80, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 52} ] }``, records separated by a
``,`` line (masscan ≥ 1.3 prepends it; older versions appended it); banner records carry
``"service": {"name": "http", "banner": "…"}`` instead of a status. ``--output-format ndjson``
(one object per line with a top-level ``port``) reads the same way.
``-oL``: ``#masscan`` then ``open tcp 11434 192.0.2.7 1700000000`` (status, proto, port, ip,
timestamp) and ``banner tcp 80 192.0.2.7 1700000000 http <banner>`` lines, ``# end``.
``-oX``: nmap-style XML with one ``<host endtime=…><address addr=…/><ports><port protocol=…
portid=…><state state=…/>[<service name=… banner=…/>]</port></ports></host>`` per line, which
is parsed line by line so a broken host names its own line. Host lines are parsed with ``defusedxml``, and a
DTD or entity declaration anywhere (an entity bomb, an external entity) makes the whole file one issue.

Only ``open`` TCP ports become candidates; ``closed`` records (``--show closed``) and UDP/SCTP are
skipped. A banner names the service (label ``service``) and its first line (label ``banner``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
import orjson
from defusedxml import DefusedXmlException

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
from llmcensus.targets.parse import excerpt

NAME = "masscan"
KINDS = ("json", "txt", "list", "xml")

_EOL = re.compile(r"\\x0d|\\x0a|[\r\n]")


def _cand(ip: object, port: object, ts: object, service: str | None = None, banner: str | None = None) -> Candidate:
    # masscan escapes control bytes as text (\x0d) in -oL/-oX and as JSON escapes in -oJ
    first_line = _EOL.split(banner, 1)[0] if banner else None
    return Candidate(
        ip=norm_ip(ip),
        port=norm_port(port),
        source=NAME,
        scheme=scheme_hint(service) if service and service.lower().startswith("http") else None,
        first_seen=parse_time(ts),
        labels=labels(("service", service), ("banner", first_line)),
    )


def _json_record(rec: dict[str, Any]) -> list[Candidate]:
    if "ip" not in rec:
        raise ValueError("no ip")
    ts = rec.get("timestamp")
    if "ports" not in rec and "port" in rec:  # ndjson: the port entry is flattened into the record
        data: dict[str, Any] = rec["data"] if isinstance(rec.get("data"), dict) else {}
        rec = {"ip": rec["ip"], "ports": [{**data, "port": rec["port"], "proto": rec.get("proto", "tcp")}]}
    ports = rec.get("ports")
    if not isinstance(ports, list) or not ports:
        raise ValueError("no ports list")
    out: list[Candidate] = []
    for entry in ports:
        if not isinstance(entry, dict) or "port" not in entry:
            raise ValueError("port entry without port")
        if str(entry.get("proto", "tcp")).lower() != "tcp":
            continue
        service = entry.get("service")
        if isinstance(service, dict):
            out.append(_cand(rec["ip"], entry["port"], ts, str(service.get("name") or ""), service.get("banner")))
        elif str(entry.get("status", "")).lower() == "open":
            out.append(_cand(rec["ip"], entry["port"], ts))
        elif "status" not in entry:
            raise ValueError("port entry has neither status nor service")
    return out


def _parse_json(path: Path) -> Iterator[Item]:
    with open_text(path) as handle:
        for item in numbered_lines(handle, path):
            if isinstance(item, ParseIssue):
                yield item
                continue
            lineno, raw = item
            text = raw.strip().strip(",").strip()
            if text in ("", "[", "]"):
                continue
            try:
                rec = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                yield ParseIssue(str(path), lineno, f"not JSON: {exc}")
                continue
            if not isinstance(rec, dict):
                yield ParseIssue(str(path), lineno, "expected a JSON object")
                continue
            try:
                yield from _json_record(rec)
            except ValueError as exc:
                yield ParseIssue(str(path), lineno, str(exc))


def _parse_list(path: Path) -> Iterator[Item]:
    with open_text(path) as handle:
        for item in numbered_lines(handle, path):
            if isinstance(item, ParseIssue):
                yield item
                continue
            lineno, raw = item
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            parts = text.split(" ", 6)
            try:
                if len(parts) < 5:
                    raise ValueError(f"expected 'status proto port ip timestamp', got {excerpt(text)}")
                status, proto, port, ip, ts = parts[:5]
                if proto.lower() != "tcp":
                    continue
                if status == "banner":
                    service = parts[5] if len(parts) > 5 else None
                    yield _cand(ip, port, ts, service, parts[6] if len(parts) > 6 else None)
                elif status == "open":
                    yield _cand(ip, port, ts)
                elif status != "closed":
                    raise ValueError(f"unknown status {excerpt(status)}")
            except ValueError as exc:
                yield ParseIssue(str(path), lineno, str(exc))


# masscan never writes a document type declaration; one in an export is an entity bomb or an external-entity
# probe (XXE), and the file is refused whole rather than half-read.
_DTD = ("<!DOCTYPE", "<!ENTITY")
_REFUSED = "XML with a DTD or entity declaration is refused (masscan -oX has none); file skipped"


def _parse_xml(path: Path) -> Iterator[Item]:
    with open_text(path) as handle:
        for item in numbered_lines(handle, path):
            if isinstance(item, ParseIssue):
                yield item
                continue
            lineno, raw = item
            text = raw.strip()
            if not text.startswith(("<host ", "<host>")):
                if any(word in text for word in _DTD):
                    yield ParseIssue(str(path), lineno, _REFUSED)
                    return
                continue  # prolog, <nmaprun>, <scaninfo>, <runstats> and closing tags
            try:
                # defusedxml: a host line that smuggles in a DTD or an entity is refused, never expanded
                host: ET.Element = SafeET.fromstring(text, forbid_dtd=True)
            except DefusedXmlException:
                yield ParseIssue(str(path), lineno, _REFUSED)
                return
            except ET.ParseError as exc:
                yield ParseIssue(str(path), lineno, f"not XML: {exc}")
                continue
            try:
                addr = host.find("address")
                if addr is None or not addr.get("addr"):
                    raise ValueError("host without address")
                ts = host.get("endtime")
                for port in host.iterfind("ports/port"):
                    if (port.get("protocol") or "tcp").lower() != "tcp":
                        continue
                    state = port.find("state")
                    service = port.find("service")
                    if state is None or state.get("state") != "open":
                        continue
                    name = service.get("name") if service is not None else None
                    banner = service.get("banner") if service is not None else None
                    yield _cand(addr.get("addr"), port.get("portid"), ts, name, banner)
            except ValueError as exc:
                yield ParseIssue(str(path), lineno, str(exc))


def parse(path: Path, options: ImportOptions) -> Iterator[Item]:
    with open_text(path) as handle:
        head = handle.read(512).lstrip()
    if head.startswith("<"):
        yield from _parse_xml(path)
    elif head.startswith(("[", "{", ",")):
        yield from _parse_json(path)
    else:
        yield from _parse_list(path)
