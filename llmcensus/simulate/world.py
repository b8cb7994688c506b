"""A simulated world: hosts + inventories, and what each looks like on any day.

``build_world(params)`` is deterministic from ``params.seed``. ``world.views(day)`` gives the
``HostView``s the server answers with on that day (hosts in an outage and refusing decoys are
``REFUSED``: nothing listens); ``world.targets(day)`` the (ip, port) list the day's sweep visits;
``world.expected(day)`` what a correct probe should record for each target (ground truth).
Per-(host, day) random choices (running models) use a counter-based hash, so the fast path
(``fastpath.py``) computes exactly the same values without building views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

import numpy as np
import pyarrow as pa

from llmcensus.simulate import farms, runtime_mix
from llmcensus.simulate.catalog import ModelSpec
from llmcensus.simulate.inventory import DAY_NS, Inventory, build_inventory
from llmcensus.simulate.params import Params
from llmcensus.simulate.population import PERSISTENT, Hosts, build_hosts, version_at
from llmcensus.simulate.runtime_world import RuntimeHosts, build_runtime_hosts
from llmcensus.simulate.versions import parse_version
from llmcensus.simulate.views import Behaviour, HostView, ModelView, RunningView, ShowData

# Models a host with something loaded wants in memory (Ollama loads up to 3 per GPU by default): mean 2.3, so that,
# capped by the host's local chat models, the high-capability, high-availability hosts run 1.8 on average (§1 #38).
RUNNING_COUNTS = np.array([1, 1, 2, 2, 2, 3, 3, 3, 3, 3])
PINNED_SHARE = 0.06  # running models pinned with keep_alive -1 (expires_at in year 2318)


def mix64(*values: np.ndarray | int) -> np.ndarray:
    """splitmix64 over combined inputs -> uint64 (vectorised, deterministic)."""
    x = np.zeros(1, dtype=np.uint64)
    for v in values:
        x = x * np.uint64(0x9E3779B97F4A7C15) + np.asarray(v, dtype=np.uint64)
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return x


def uniform(*values: np.ndarray | int) -> np.ndarray:
    return (mix64(*values) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def expires_at_ns(now_ns: int, pinned: bool) -> int:
    """keep_alive -1 adds Go's largest duration (year 2318); otherwise the default 5 minutes."""
    return now_ns + (2**63 - 1 if pinned else 300 * 10**9)


def ip_text(x: int) -> str:
    return f"{x >> 24}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}"


@dataclass
class World:
    params: Params
    hosts: Hosts
    inventory: Inventory
    runtimes: RuntimeHosts | None = None  # the other runtimes' hosts (runtime_world.py), after the Ollama world's

    @cached_property
    def epoch0_ns(self) -> int:
        s = self.params.start
        return int(datetime(s.year, s.month, s.day, tzinfo=UTC).timestamp()) * 10**9

    def date_of(self, day: int) -> date:
        return self.params.start + timedelta(days=day)

    @cached_property
    def running_share(self) -> np.ndarray:
        """Per host: probability of having a model loaded on a given day (by tier)."""
        shares = self.params.running_share_by_tier
        out = np.array([shares.get(str(t), 0.25) for t in self.hosts.tier])
        # the persistent backbone serves: its models stay loaded (§1 #38: 1.8 models running on average in
        # the high-availability subset, which is nearly all persistent hosts)
        out[self.hosts.cls == PERSISTENT] = self.params.persistent_running_share
        return out

    @cached_property
    def _inst_bounds(self) -> np.ndarray:
        return np.searchsorted(self.inventory.host, np.arange(self.hosts.n + 1))

    @cached_property
    def _up(self) -> set[tuple[int, int]]:
        return set(zip(self.hosts.up_host.tolist(), self.hosts.up_day.tolist(), strict=True))

    def alive(self, day: int) -> np.ndarray:
        h = self.hosts
        return np.nonzero((h.first_day <= day) & (h.last_day >= day))[0]

    def is_up(self, host: int, day: int) -> bool:
        return (host, day) in self._up

    def instances(self, host: int, day: int) -> np.ndarray:
        lo, hi = self._inst_bounds[host], self._inst_bounds[host + 1]
        inv = self.inventory
        sel = np.arange(lo, hi)
        return sel[(inv.add_day[sel] <= day) & (inv.remove_day[sel] > day)]

    def running_instances(self, host: int, day: int, present: np.ndarray) -> np.ndarray:
        """Loaded models: a host-day draw against the tier's running share, then its first 1-3 local chat models."""
        if present.shape[0] == 0:
            return present
        if uniform(self.params.seed, host, day, 1)[0] >= self.running_share[host]:
            return present[:0]
        local = [
            i
            for i in present
            if self.inventory.specs[self.inventory.spec[i]].kind != "cloud"
            and "embedding" not in self.inventory.specs[self.inventory.spec[i]].capabilities
        ]
        count = int(RUNNING_COUNTS[int(uniform(self.params.seed, host, day, 2)[0] * 10)])
        return np.array(local[:count], dtype=np.int64)

    # --- views -----------------------------------------------------------------------------------------

    @cached_property
    def _show_cache(self) -> dict[int, ShowData]:
        return {}

    def show_for(self, spec_index: int) -> ShowData:
        cached = self._show_cache.get(spec_index)
        if cached is None:
            from llmcensus.simulate.wire import build_show

            s = self.inventory.specs[spec_index]
            cached = build_show(
                name=s.name,
                family=s.family,
                families=s.families,
                parameter_size=s.parameter_size,
                quantization=s.quantization,
                capabilities=s.capabilities,
                system=s.system,
                digest=s.digest,
                context_length=s.context_length,
                embedding_length=s.embedding_length,
                lineage=s.lineage or None,
            )
            self._show_cache[spec_index] = cached
        return cached

    def model_view(self, inst: int, version: tuple[int, int, int]) -> ModelView:
        inv = self.inventory
        s: ModelSpec = inv.specs[inv.spec[inst]]
        quant = s.quantization
        if s.kind == "derivative_hf" and version < (0, 30, 0):
            quant = "unknown"  # Hugging Face-generated configs; 0.30+ back-fills from the GGUF
        return ModelView(
            name=s.name,
            digest=s.digest,
            size=s.size,
            modified_at_ns=int(inv.modified_ns[inst]),
            format="" if s.kind == "cloud" else "gguf",
            family=s.family,
            families=s.families,
            parameter_size=s.parameter_size,
            quantization_level=quant,
            context_length=s.context_length,
            embedding_length=s.embedding_length,
            remote_model=s.remote_model,
            remote_host=s.remote_host,
            capabilities=s.capabilities,
            show=None if s.kind == "cloud" else self.show_for(int(inv.spec[inst])),
        )

    @cached_property
    def farm_kinds(self) -> np.ndarray:
        """Each host's fake kind (``farms.py``; ``""`` for hosts in no farm)."""
        return farms.member_kinds(self.hosts.farm)

    def view(self, host: int, day: int) -> HostView:
        h = self.hosts
        kind = str(h.behaviour[host])
        behaviour = Behaviour(kind)
        if kind in ("ollama", "honeypot") and not self.is_up(host, day):
            behaviour = Behaviour.REFUSED
        version = version_at(h, host, day)
        vt = parse_version(version)
        present = self.instances(host, day)
        models = tuple(self.model_view(int(i), vt) for i in present)
        running: tuple[RunningView, ...] = ()
        if behaviour is Behaviour.OLLAMA:
            run = self.running_instances(host, day, present)
            now = self.epoch0_ns + day * DAY_NS + 12 * 3_600 * 10**9
            items = []
            for j, i in enumerate(run):
                mv = models[int(np.nonzero(present == i)[0][0])]
                pinned = uniform(self.params.seed, host, day, 10 + j)[0] < PINNED_SHARE
                gpu = str(h.tier[host]) in ("hyperscaler", "indie_cloud", "academic")
                ram = int(mv.size * 1.12) + 300_000_000
                items.append(
                    RunningView(
                        model=mv,
                        size=ram,
                        size_vram=ram if gpu else 0,
                        expires_at_ns=expires_at_ns(now, bool(pinned)),
                        context_length=[2048, 4096, 8192, 16384][int(uniform(self.params.seed, host, j, 3)[0] * 4)],
                    )
                )
            running = tuple(items)
        extra: dict[str, str] = {}
        if kind in ("localai", "llama_cpp", "sglang", "koboldcpp") and models:
            extra["alias"] = models[0].name
        if kind == "honeypot":
            extra["farm_kind"] = str(self.farm_kinds[host])
        return HostView(
            host_id=host,
            ip=ip_text(int(h.ip[host])),
            port=int(h.port[host]),
            scheme=str(h.scheme[host]),
            behaviour=behaviour,
            version=version,
            tz_offset_min=int(h.tz_offset[host]),
            models=models,
            running=running,
            origins_wildcard=bool(h.origins_wildcard[host]),
            proxy="nginx" if h.proxy[host] else None,
            extra=extra,
        )

    def runtime_views(self, day: int) -> list[HostView]:
        """The other runtimes' hosts alive on ``day`` (``REFUSED`` on their outage days)."""
        rh = self.runtimes
        return [] if rh is None else [rh.view(int(i), day) for i in rh.alive(day)]

    def views(self, day: int) -> list[HostView]:
        return [self.view(int(i), day) for i in self.alive(day)] + self.runtime_views(day)

    def targets(self, day: int) -> list[tuple[str, int]]:
        h = self.hosts
        own = [(ip_text(int(h.ip[i])), int(h.port[i])) for i in self.alive(day)]
        return own + [(v.ip, v.port) for v in self.runtime_views(day)]

    def expected(self, day: int) -> pa.Table:
        """What a correct probe records for each of the day's targets (status, runtime, version, model names).

        Ollama hosts and clone farms from the world's arrays; look-alikes, decoys and the other runtimes' hosts
        from ``runtime_mix.expected`` of the view they answer with."""
        rows = []
        for i in self.alive(day):
            host = int(i)
            kind = str(self.hosts.behaviour[host])
            ip, port = ip_text(int(self.hosts.ip[host])), int(self.hosts.port[host])
            if kind not in ("ollama", "honeypot"):
                rows.append(_truth_row(host, ip, port, kind, runtime_mix.expected(self.view(host, day))))
                continue
            up = self.is_up(host, day)
            names = sorted(self.inventory.specs[self.inventory.spec[j]].name for j in self.instances(host, day))
            rows.append(
                {
                    "host_id": host,
                    "ip": ip,
                    "port": port,
                    "behaviour": kind,
                    "status": "success" if up else "connection_refused",
                    "runtime": "ollama" if up else None,
                    "version": version_at(self.hosts, host, day) if up else None,
                    "model_names": names if up else None,
                }
            )
        rh = self.runtimes
        for view in self.runtime_views(day):
            kind = str(rh.runtime[view.host_id - rh.first_id])  # type: ignore[union-attr]
            rows.append(_truth_row(view.host_id, view.ip, view.port, kind, runtime_mix.expected(view)))
        return pa.Table.from_pylist(rows)


def _truth_row(host: int, ip: str, port: int, kind: str, truth: dict[str, object]) -> dict[str, object]:
    models = truth["models"] if truth["status"] == "success" else None
    return {
        "host_id": host,
        "ip": ip,
        "port": port,
        "behaviour": kind,
        "status": truth["status"],
        "runtime": truth["runtime"],
        "version": truth["version"],
        "model_names": sorted(str(n) for n in models) if isinstance(models, list) else None,
    }


def build_world(params: Params) -> World:
    rng = np.random.default_rng(params.seed)
    hosts = build_hosts(params, rng)
    inventory = build_inventory(params, hosts, rng)
    runtimes = build_runtime_hosts(params, hosts.ip, hosts.n) if params.other_runtimes > 0 else None
    return World(params=params, hosts=hosts, inventory=inventory, runtimes=runtimes)


class WorldViews:
    """A picklable day -> views factory for ``FleetProcess``: the child rebuilds the world from params."""

    def __init__(self, params_json: str) -> None:
        self.params_json = params_json
        self._world: World | None = None

    def __getstate__(self) -> dict[str, str]:
        return {"params_json": self.params_json}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.params_json = state["params_json"]
        self._world = None

    @property
    def world(self) -> World:
        if self._world is None:
            from llmcensus.simulate.params import params_from_json

            self._world = build_world(params_from_json(self.params_json))
        return self._world

    def __call__(self, day: int) -> list[HostView]:
        return self.world.views(day)


class SimClock:
    """Simulated wall clock for a day: the day's date at 12:00 UTC plus real time elapsed since the day began."""

    def __init__(self, start_iso: str, day: int) -> None:
        import time as _time

        s = date.fromisoformat(start_iso)
        self.base_ns = int(datetime(s.year, s.month, s.day, 12, tzinfo=UTC).timestamp()) * 10**9 + day * DAY_NS
        self.t0 = _time.monotonic_ns()

    def __call__(self) -> int:
        import time as _time

        return self.base_ns + (_time.monotonic_ns() - self.t0)


class ClockForDay:
    """``clock_for_day`` for ``FleetProcess`` (picklable)."""

    def __init__(self, start_iso: str) -> None:
        self.start_iso = start_iso

    def __call__(self, day: int) -> SimClock:
        return SimClock(self.start_iso, day)
