"""Plain target lists: one address, address:port, URL or CIDR per line.

Accepted forms: ``203.0.113.7``, ``203.0.113.7:8080``, ``203.0.113.7 8080`` / ``203.0.113.7,8080``,
``[2001:db8::7]:11434``, ``2001:db8::7``, ``http(s)://203.0.113.7:8443/`` (the scheme becomes the
hint) and ``198.51.100.0/28`` (expanded, capped by ``ImportOptions.cidr_cap``). Lines without a port
get every port in ``ImportOptions.ports`` (default 11434, Ollama's). ``#`` starts a comment.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from llmcensus.discover.formats._common import (
    Candidate,
    ImportOptions,
    Item,
    ParseIssue,
    norm_ip,
    norm_port,
    numbered_lines,
    open_text,
    scheme_hint,
)
from llmcensus.targets.parse import excerpt

NAME = "list"
KINDS = ("txt", "list", "csv")
DEFAULT_PORT = 11434

_SEP = re.compile(r"[\s,;]+")


def _entries(text: str) -> tuple[list[str], int | None, str | None]:
    """(addresses or one CIDR, port or None, scheme or None) for one line. Raises ValueError."""
    if "://" in text:
        try:
            url = urlsplit(text)
            scheme = scheme_hint(url.scheme)
            port = url.port or (443 if scheme == "https" else 80)
        except ValueError:  # urllib's messages quote the input whole
            scheme = None
        if scheme is None:
            raise ValueError(f"not an http(s) URL: {excerpt(text)}")
        return [norm_ip(url.hostname or "")], port, scheme
    parts = [p for p in _SEP.split(text) if p]
    if len(parts) == 2:
        return [parts[0]], norm_port(parts[1]), None
    if len(parts) != 1:
        raise ValueError(f"expected one target, got {len(parts)} fields")
    token = parts[0]
    if token.startswith("["):
        host, _, port_text = token[1:].partition("]:")
        if not port_text:
            raise ValueError(f"expected [v6]:port, got {excerpt(token)}")
        return [host], norm_port(port_text), None
    if token.count(":") == 1:  # IPv4 (or CIDR) with a port; bare IPv6 has several colons
        host, port_text = token.split(":")
        return [host], norm_port(port_text), None
    return [token], None, None


def parse(path: Path, options: ImportOptions) -> Iterator[Item]:
    default_ports = options.ports or (DEFAULT_PORT,)
    with open_text(path) as handle:
        for item in numbered_lines(handle, path):
            if isinstance(item, ParseIssue):
                yield item
                continue
            lineno, raw = item
            text = raw.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                hosts, port, scheme = _entries(text)
                ports = (port,) if port is not None else default_ports
                if "/" in hosts[0]:
                    try:
                        net = ipaddress.ip_network(hosts[0], strict=False)
                    except ValueError:  # ipaddress's messages quote the input whole
                        raise ValueError(f"not a CIDR block: {excerpt(hosts[0])}") from None
                    if net.num_addresses > options.cidr_cap:
                        raise ValueError(f"{net} has {net.num_addresses} addresses, over the cap {options.cidr_cap}")
                    ips = [norm_ip(str(a)) for a in net]
                else:
                    ips = [norm_ip(hosts[0])]
            except ValueError as exc:
                yield ParseIssue(str(path), lineno, str(exc))
                continue
            for ip in ips:
                for p in ports:
                    yield Candidate(ip=ip, port=p, source=NAME, scheme=scheme)
