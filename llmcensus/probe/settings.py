"""Probe settings, each declared once as data: name, default, help.

``ProbeSettings`` is the one object the engine reads; ``SETTINGS`` is the table the CLI, the sweep
manifest and ``docs/probing.md`` are built from (a test fails when a setting is undocumented).
Redirects are never followed (the 3xx reply and its ``Location`` are recorded in the exchange) and
no credentials are ever sent: neither is a setting, on purpose.
"""

from __future__ import annotations

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
    request_budget: int = _s(10, "max HTTP requests to one target per visit (defenders alert at >120 in 5 min)")
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
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.request_budget < 1:
            raise ConfigError(f"request_budget must be >= 1, got {self.request_budget}")
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0")
        for name in ("per_ip_rate", "global_rate"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0")
        for name in ("max_response_bytes", "max_show_bytes", "raw_body_cap", "flush_records", "max_cidr"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1")
        if not self.user_agent.strip():
            raise ConfigError("user_agent must not be empty: an honest scanner says who it is")

    def with_(self, **changes: Any) -> ProbeSettings:
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default, str(f.metadata["help"])) for f in fields(ProbeSettings)
)
