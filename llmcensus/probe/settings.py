"""Probe settings, each declared once as data: name, default, help.

``ProbeSettings`` is the one object the engine reads; ``SETTINGS`` is the table the CLI, the sweep
manifest and ``docs/probing.md`` are built from (a test fails when a setting is undocumented).
Redirects are never followed (the 3xx reply and its ``Location`` are recorded in the exchange) and
no credentials are ever sent: neither is a setting, on purpose.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from llmcensus import __version__
from llmcensus.errors import ConfigError

CONTACT_URL = "https://github.com/llmcensus/llmcensus"
DEFAULT_USER_AGENT = f"llmcensus/{__version__} (+{CONTACT_URL}; research scanner; opt-out: see URL)"


def _s(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    concurrency: int = _s(1000, "visits in flight at once (one visit = all requests to one target)")
    per_ip_rate: float = _s(20.0, "max requests per second to one public IP (0 = unlimited)")
    global_rate: float = _s(0.0, "max requests per second over the whole sweep (0 = unlimited)")
    connect_timeout: float = _s(5.0, "seconds to complete the TCP (and TLS) connection")
    read_timeout: float = _s(8.0, "seconds for one complete reply once the request is sent")
    total_timeout: float = _s(60.0, "seconds for a whole visit; what was read by then is kept")
    max_response_bytes: int = _s(256 * 1024, "body bytes read per reply; more is cut and recorded as truncated")
    max_show_bytes: int = _s(1024 * 1024, "body bytes read per /api/show reply (tensor lists can be large)")
    request_budget: int = _s(20, "max HTTP requests to one target per visit (address_requests caps an address)")
    address_requests: int = _s(40, "max requests to one IP in any address_window, all ports and sweeps together")
    address_window: float = _s(300.0, "seconds of the sliding window of address_requests (a visit waits for room)")
    max_models: int = _s(500, "models kept per inventory; a longer one keeps the first ones and is 'truncated'")
    user_agent: str = _s(DEFAULT_USER_AGENT, "User-Agent header: names the project and where to opt out")
    verify_tls: bool = _s(False, "verify TLS certificates (off: exposed servers use self-signed certificates)")
    raw_body_cap: int = _s(64 * 1024, "raw body bytes kept per exchange (zstd-compressed) for re-parsing")
    fetch_show: bool = _s(True, "POST /api/show for digests not yet in the show cache")
    flush_records: int = _s(5000, "observations buffered before a Parquet part is written")
    flush_seconds: float = _s(30.0, "seconds between part writes even when the buffer is not full")
    max_cidr: int = _s(65536, "largest CIDR block accepted in a target list (addresses)")
    dial_unmapped: bool = _s(False, "with a dial map, also contact targets that are not in it (off: blocked)")
    loopback_only: bool = _s(False, "refuse to connect anywhere but 127.0.0.0/8 (tests, simulator, benchmarks)")

    def __post_init__(self) -> None:
        for f in fields(self):  # types first: a library caller can pass anything
            value = getattr(self, f.name)
            kind = _KINDS[str(f.type)]
            if type(value) is not kind and not (kind is float and type(value) is int):
                raise ConfigError(f"{f.name} must be {_KIND_NAMES[kind]}, got {_shown(value)}")
        for name in ("connect_timeout", "read_timeout", "total_timeout", "address_window"):
            _check_range(name, getattr(self, name), low=0.0, high=_MAX_SECONDS, low_open=True)
        _check_range("flush_seconds", self.flush_seconds, low=0.0, high=_MAX_SECONDS)
        for name in ("per_ip_rate", "global_rate"):
            _check_range(name, getattr(self, name), low=0.0, high=1e9)
        for name in ("concurrency", "request_budget", "max_response_bytes", "max_show_bytes", "raw_body_cap",
                     "flush_records", "max_cidr", "max_models", "address_requests"):
            _check_range(name, getattr(self, name), low=1, high=_MAX_COUNT)
        if self.address_requests < self.request_budget:
            raise ConfigError(f"address_requests ({self.address_requests}) must be >= request_budget "
                              f"({self.request_budget}): one visit must fit in an address's window")
        _check_user_agent(self.user_agent)

    def with_(self, **changes: Any) -> ProbeSettings:
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_KINDS = {"int": int, "float": float, "bool": bool, "str": str}
_KIND_NAMES = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}
_MAX_SECONDS = 7 * 86400.0  # a week: anything longer is a typo, and inf/nan are never meant
_MAX_COUNT = 2**31 - 1
# A browser's user agent hides who is scanning; defenders and operators must be able to tell us apart.
_BROWSER_UA = re.compile(r"^Mozilla/|\b(?:Chrome|Safari|Firefox|Edg|Opera|Trident)/", re.IGNORECASE)
_CONTACT = re.compile(r"https?://[^\s;()]+|[^\s@;()<>]+@[^\s@;()<>]+\.[A-Za-z]{2,}")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_range(name: str, value: float, *, low: float, high: float, low_open: bool = False) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value}")
    if value < low or (low_open and value == low) or value > high:
        lower = f"> {low:g}" if low_open else f">= {low:g}"
        raise ConfigError(f"{name} must be {lower} and <= {high:g}, got {value:g}")


def _check_user_agent(ua: str) -> None:
    """The policy is an honest user agent: printable, one line, naming a contact, not a browser's."""
    if not ua.strip():
        raise ConfigError("user_agent must not be empty: an honest scanner says who it is")
    if len(ua) > 256:
        raise ConfigError(f"user_agent is {len(ua)} characters long; at most 256")
    if any(not (" " <= ch <= "~") for ch in ua):
        raise ConfigError("user_agent must be printable ASCII on one line (no CR, LF or other control characters)")
    if _BROWSER_UA.search(ua):
        raise ConfigError("user_agent looks like a browser's; an honest scanner names itself "
                          "(e.g. 'myproject/1.0 (+https://example.org/scanning)')")
    if not _CONTACT.search(ua):
        raise ConfigError("user_agent must name a contact: a URL (https://...) or an e-mail address "
                          "where operators can opt out")


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default, str(f.metadata["help"])) for f in fields(ProbeSettings)
)
