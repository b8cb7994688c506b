"""FOFA exports: CSV (``fofa search … --save x.csv``, web export) and XLSX (``--save x.xlsx``).

The first row names the fields chosen at export (FOFA's ``fields=``): ``ip``, ``port``,
``protocol``, ``host``, ``title``, ``server``, ``product``, ``domain``, ``link``,
``base_protocol``, ``lastupdatetime`` … Chinese headers of the web export are accepted as aliases.
``host`` is ``ip:port`` or a URL (``https://203.0.113.7:8443``): it gives the address when ``ip`` is
absent and the scheme when it is a URL. ``base_protocol`` = ``udp`` rows are skipped.
``lastupdatetime`` (``2024-05-01 10:00:00``) carries no zone; it is read as UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from llmcensus.discover.formats._common import (
    Candidate,
    ImportOptions,
    Item,
    ParseIssue,
    csv_rows,
    labels,
    norm_ip,
    norm_port,
    open_text,
    parse_time,
    scheme_hint,
)
from llmcensus.targets.parse import excerpt

NAME = "fofa"
KINDS = ("csv", "xlsx")

_ALIASES = {
    "ip": ("ip", "ip地址", "ip 地址"),
    "port": ("port", "端口"),
    "protocol": ("protocol", "协议"),
    "host": ("host", "主机", "link", "链接", "url"),
    "title": ("title", "标题", "网站标题"),
    "server": ("server",),
    "product": ("product", "产品", "组件"),
    "base_protocol": ("base_protocol",),
    "lastupdatetime": ("lastupdatetime", "更新时间", "last_update_time"),
}


def _columns(header: Sequence[object]) -> dict[str, int]:
    norm = [str(h).strip().lower() if h is not None else "" for h in header]
    found: dict[str, int] = {}
    for name, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in norm:
                found[name] = norm.index(alias)
                break
    return found


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _from_host(host: str) -> tuple[str | None, int | None, str | None]:
    """(ip, port, scheme) from ``ip:port``, ``[v6]:port`` or a URL; parts that are absent are None."""
    if not host:
        return None, None, None
    url = urlsplit(host if "://" in host else f"//{host}")
    scheme = scheme_hint(url.scheme) if url.scheme else None
    try:
        ip = norm_ip(url.hostname or "")
    except ValueError:
        ip = None  # a domain name: FOFA's ip column must then carry the address
    try:
        port = url.port
    except ValueError:
        port = None
    if port is None and scheme is not None:
        port = 443 if scheme == "https" else 80
    return ip, port, scheme


def _row(cols: dict[str, int], row: Sequence[object]) -> Candidate | None:
    def cell(name: str) -> str:
        i = cols.get(name)
        return _text(row[i]) if i is not None and i < len(row) else ""

    if cell("base_protocol").lower() == "udp":
        return None
    host_ip, host_port, host_scheme = _from_host(cell("host"))
    ip = norm_ip(cell("ip")) if cell("ip") else host_ip
    if ip is None:
        raise ValueError(f"no IP address (ip={excerpt(cell('ip'))}, host={excerpt(cell('host'))})")
    if cell("port"):
        port = norm_port(cell("port"))
    elif host_port is not None:
        port = host_port
    else:
        raise ValueError("no port")
    scheme = scheme_hint(cell("protocol")) or host_scheme
    return Candidate(
        ip=ip,
        port=port,
        source=NAME,
        scheme=scheme,
        first_seen=parse_time(cell("lastupdatetime")),
        labels=labels(
            ("protocol", cell("protocol")),
            ("title", cell("title")),
            ("server", cell("server")),
            ("product", cell("product")),
        ),
    )


Row = tuple[int, Sequence[object]]


def _rows(path: Path, rows: Iterator[Row | ParseIssue]) -> Iterator[Item]:
    first = next(rows, None)
    if first is None:
        return
    if isinstance(first, ParseIssue):
        yield first
        return
    cols = _columns(first[1])
    if "ip" not in cols and "host" not in cols:
        yield ParseIssue(str(path), first[0], "header needs an ip or host column (FOFA fields=ip,port,…)")
        return
    for item in rows:
        if isinstance(item, ParseIssue):
            yield item
            continue
        lineno, row = item
        if not any(_text(c) for c in row):
            continue
        try:
            cand = _row(cols, row)
        except ValueError as exc:
            yield ParseIssue(str(path), lineno, str(exc))
            continue
        if cand is not None:
            yield cand


def _csv_rows(path: Path) -> Iterator[Row | ParseIssue]:
    with open_text(path) as handle:
        yield from csv_rows(handle, path)


def _xlsx_rows(path: Path) -> Iterator[Row | ParseIssue]:
    import openpyxl  # imported here: only XLSX imports pay for it

    # openpyxl is the boundary to a third-party parser of a hostile zip of XML: whatever it raises (a bad zip, a
    # missing part, XML that defusedxml refuses, a cell it cannot convert) ends the file as one OSError, which
    # the importer reports as one issue. Rows read before it are kept.
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise OSError(f"not a readable XLSX workbook: {excerpt(str(exc))}") from None
    try:
        sheet = book.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    except Exception as exc:
        raise OSError(f"XLSX workbook unreadable past this point: {excerpt(str(exc))}") from None
    finally:
        book.close()


def parse(path: Path, options: ImportOptions) -> Iterator[Item]:
    with path.open("rb") as probe:
        is_zip = probe.read(4) == b"PK\x03\x04"
    yield from _rows(path, _xlsx_rows(path) if is_zip else _csv_rows(path))
