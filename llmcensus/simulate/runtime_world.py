"""The other runtimes in the calibrated world (issue #16): vLLM, LiteLLM, Open WebUI, llama.cpp … beside Ollama.

``--hosts N`` stays the number of Ollama hosts, and nothing here draws from the Ollama world's random stream:
these hosts come from their own stream (``seed``, ``STREAM``), so every Ollama host, inventory, metric and
ground-truth figure of a seed is the same with or without them (``Params.other_runtimes = 0``).

For each runtime *r* the world holds ``round(hosts × RATIO_TO_OLLAMA[r] × other_runtimes)`` hosts over the
window: the ratio of its public count to Ollama's counted by the same engine on the same date
(``runtime_mix.RATIO_TO_OLLAMA``, docs/simulation.md "Runtime shares"). Each host is placed like an Ollama host
(country -> (subdivision, tier) cell -> pool block, on an address no other host holds), is seen once, 2–100
times or persistently with Ollama's class shares and availabilities (``population.lifetimes``), and refuses
connections on its outage days. It runs one version of ``runtime_mix.VERSIONS[r]`` (uniform: no public version
census exists), is key-protected with ``KEY_PROTECTED_SHARE`` (vLLM, llama.cpp, LiteLLM; Open WebUI keeps its
models behind a login unless ``extra["auth"]`` says otherwise), listens on the runtime's default port and serves
the models the mixed fleet's personas serve (``runtime_mix.runtime_plan``: Hugging Face ids for vLLM/TGI/SGLang,
GGUF files for llama.cpp/KoboldCpp, LM Studio keys, LiteLLM aliases …), constant over its life.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa

from llmcensus.simulate import runtime_mix
from llmcensus.simulate.params import Params
from llmcensus.simulate.population import CLASS_NAMES, Placer, _persistence, lifetimes
from llmcensus.simulate.views import Behaviour, HostView

STREAM = 16  # the random stream of these hosts: np.random.default_rng([seed, STREAM])
OTHER_RUNTIMES = tuple(r for r in runtime_mix.RATIO_TO_OLLAMA if r != "ollama")
KEYED = ("vllm", "llama_cpp", "litellm")  # personas with a key-protected variant (extra["api_key"])


def runtime_counts(params: Params) -> dict[str, int]:
    """Hosts of each other runtime over the window (0 for all when ``other_runtimes`` is 0)."""
    scale = params.hosts * params.other_runtimes
    return {r: int(round(scale * runtime_mix.RATIO_TO_OLLAMA[r])) for r in OTHER_RUNTIMES}


@dataclass
class RuntimeHosts:
    """Column arrays, one entry per host of another runtime; host ids follow the Ollama world's (``first_id``)."""

    first_id: int
    runtime: np.ndarray  # object
    version: np.ndarray  # object: the runtime's own version
    key: np.ndarray  # bool: started with an API key
    salt: np.ndarray  # int64: varies models and options (runtime_mix.runtime_plan)
    ip: np.ndarray  # uint32
    port: np.ndarray  # int32
    country: np.ndarray  # object
    tier: np.ndarray  # object
    asn: np.ndarray  # int64 (-1 unknown)
    tz_offset: np.ndarray  # int32 minutes
    cls: np.ndarray  # int8 persistence class
    first_day: np.ndarray  # int32
    last_day: np.ndarray  # int32
    up_host: np.ndarray  # int32 index into these arrays, sorted with up_day
    up_day: np.ndarray  # int32
    _views: dict[int, HostView] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return int(self.ip.shape[0])

    @cached_property
    def _up(self) -> set[tuple[int, int]]:
        return set(zip(self.up_host.tolist(), self.up_day.tolist(), strict=True))

    def alive(self, day: int) -> np.ndarray:
        return np.nonzero((self.first_day <= day) & (self.last_day >= day))[0]

    def is_up(self, i: int, day: int) -> bool:
        return (i, day) in self._up

    def open_view(self, i: int) -> HostView:
        """The host as it answers on its up days (constant over its life)."""
        view = self._views.get(i)
        if view is None:
            r = str(self.runtime[i])
            plan = runtime_mix.runtime_plan(r, str(self.version[i]), int(self.salt[i]), key=bool(self.key[i]),
                                             port=int(self.port[i]))
            x = int(self.ip[i])
            view = HostView(host_id=self.first_id + i, ip=f"{x >> 24}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}",
                            port=int(self.port[i]), scheme="http", behaviour=plan.behaviour,
                            version=plan.version or plan.ollama_version,
                            tz_offset_min=int(self.tz_offset[i]), models=plan.models, running=plan.running,
                            extra=dict(plan.extra))
            self._views[i] = view
        return view

    def view(self, i: int, day: int) -> HostView:
        view = self.open_view(i)
        if self.is_up(i, day):
            return view
        return HostView(host_id=view.host_id, ip=view.ip, port=view.port, scheme=view.scheme,
                        behaviour=Behaviour.REFUSED, version=view.version, tz_offset_min=view.tz_offset_min)


def build_runtime_hosts(params: Params, taken_ips: np.ndarray, first_id: int) -> RuntimeHosts:
    """Draw the other runtimes' hosts on addresses not in ``taken_ips`` (the Ollama world's)."""
    rng = np.random.default_rng([params.seed, STREAM])
    counts = runtime_counts(params)
    runtime = np.array([r for r, k in counts.items() for _ in range(k)], dtype=object)
    total = runtime.shape[0]
    placer = Placer(params, rng)
    if total:
        row_of_block = {int(b): i for i, b in enumerate(placer.block.tolist())}
        for x in taken_ips.tolist():
            placer.used.add(int(x))
            row = row_of_block.get(int(x) & 0xFFFFFF00)
            if row is not None:
                placer.block_used[row] = placer.block_used.get(row, 0) + 1
    rows = placer.place(total)
    ip = placer.addresses(rows)
    tier = np.array([placer.cols["tier"][r] for r in rows], dtype=object)
    cls = _persistence(params, tier, rng)
    first, span, _, up_host, up_day = lifetimes(params, cls, rng)
    version = np.empty(total, dtype=object)
    key = np.zeros(total, dtype=bool)
    for r in counts:
        sel = np.nonzero(runtime == r)[0]
        versions = runtime_mix.VERSIONS[r]
        version[sel] = [versions[int(k)] for k in rng.integers(0, len(versions), size=sel.shape[0])]
        if r in KEYED:
            key[sel] = rng.random(sel.shape[0]) < runtime_mix.KEY_PROTECTED_SHARE[r][0]
    tz = np.array([placer.offset[r] for r in rows], dtype=np.int32)
    tz[rng.random(total) < 0.35] = 0  # Docker images run in UTC
    return RuntimeHosts(
        first_id=first_id,
        runtime=runtime,
        version=version,
        key=key,
        salt=np.asarray(rng.integers(0, 1 << 16, size=total), dtype=np.int64),
        ip=ip,
        port=np.array([runtime_mix.DEFAULT_PORTS[r][0] for r in runtime], dtype=np.int32),
        country=np.array([placer.cols["country"][r] for r in rows], dtype=object),
        tier=tier,
        asn=placer.asn[rows],
        tz_offset=tz,
        cls=cls,
        first_day=first.astype(np.int32),
        last_day=(first + span - 1).astype(np.int32),
        up_host=up_host,
        up_day=up_day,
    )


def runtime_hosts_table(rh: RuntimeHosts) -> pa.Table:
    """Ground truth of the other runtimes' hosts (``truth/runtime_hosts.parquet``): one row per host.

    ``status``, ``auth``, ``exposed_version`` and ``models`` are what an unauthenticated, read-only scanner can
    know on an up day (``runtime_mix.expected``); ``models`` is null where the list is hidden."""
    truths = [runtime_mix.expected(rh.open_view(i)) for i in range(rh.n)]
    ups = np.bincount(rh.up_host, minlength=rh.n)
    return pa.table(
        {
            "host_id": pa.array(np.arange(rh.n, dtype=np.int32) + rh.first_id),
            "runtime": pa.array(rh.runtime.tolist(), pa.string()),
            "version": pa.array(rh.version.tolist(), pa.string()),
            "exposed_version": pa.array([t["version"] for t in truths], pa.string()),
            "key_protected": pa.array([bool(t["key_protected"]) for t in truths]),
            "status": pa.array([t["status"] for t in truths], pa.string()),
            "auth": pa.array([t["auth"] for t in truths], pa.string()),
            "models": pa.array([t["models"] for t in truths], pa.list_(pa.string())),
            "ip": pa.array([rh.open_view(i).ip for i in range(rh.n)], pa.string()),
            "port": pa.array(rh.port),
            "country": pa.array(rh.country.tolist(), pa.string()),
            "tier": pa.array(rh.tier.tolist(), pa.string()),
            "asn": pa.array([None if x < 0 else x for x in rh.asn.tolist()], pa.int64()),
            "persistence_class": pa.array([CLASS_NAMES[c] for c in rh.cls], pa.string()),
            "first_day": pa.array(rh.first_day),
            "last_day": pa.array(rh.last_day),
            "up_days": pa.array(ups.astype(np.int32)),
        }
    )
