"""The fast path: a whole study's observations without HTTP, in the probe's schema.

For analytics benchmarks and calibration at full scale (175,108 hosts x 293 days, ~7.2 M
successful observations) this writes, day by day, exactly the records a perfect probe would write
for every target of the day's sweep: successes with the inventory, running models and show fields
the host's *version* exposes (null where the version lacks a field), and failures as statuses
(outages -> connection_refused, silent -> read_timeout, ...). Look-alikes, decoys and the other runtimes' hosts
get the record ``records.py`` restates from their persona (runtime, version, auth, model list with the fields
the probe fills). What it does not synthesise, and marks so: ``source = 'fastpath'``, ``exchanges`` null (no raw
bodies), ``requests = 0``, ``show_status = 'fastpath'`` on Ollama models, ``show_keys`` null.

Memory stays bounded: one day is built and written at a time, with spec-level columns gathered
by index (``pyarrow.compute.take``) and version-dependent fields masked column-wise.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from llmcensus.observations.schema import MODEL, OBSERVATION_SCHEMA, RUNNING, SCHEMA_VERSION
from llmcensus.observations.writer import observation_id, write_parquet_atomic
from llmcensus.simulate import farms
from llmcensus.simulate.inventory import DAY_NS
from llmcensus.simulate.records import record
from llmcensus.simulate.versions import RELEASES, parse_version
from llmcensus.simulate.wire.gojson import rfc3339nano
from llmcensus.simulate.world import (
    RUNNING_COUNTS,
    World,
    expires_at_ns,
    ip_text,
    uniform,
)
from llmcensus.store.layout import Layout

TEMPLATE_FLAGS = (("tools", ".Tools"), ("suffix", ".Suffix"), ("thinking", ".Thinking"), ("system", ".System"))
_FROM_PREFIX = "/root/.ollama/models/blobs/sha256-"


@dataclass(frozen=True)
class FastpathSummary:
    days: int
    observations: int
    successes: int
    seconds: float
    out: Path


def _spec_table(world: World) -> pa.Table:
    """One row per model build with every spec-constant MODEL field (show fields from ShowData)."""
    rows: dict[str, list[Any]] = {f.name: [] for f in MODEL}
    extra: dict[str, list[Any]] = {
        "is_hf": [],
        "is_cloud": [],
        "caps_pre_thinking": [],
        "local_chat": [],
        "clip": [],
        "caps_pre_projector": [],
    }
    for i, s in enumerate(world.inventory.specs):
        cloud = s.kind == "cloud"
        sd = None if cloud else world.show_for(i)
        caps = list(s.capabilities)
        rows["name"].append(s.name)
        rows["model"].append(s.name)
        rows["modified_at"].append(None)
        rows["modified_at_utc"].append(None)
        rows["size"].append(s.size)
        rows["digest"].append(s.digest)
        rows["parent_model"].append("")
        rows["format"].append("" if cloud else "gguf")
        rows["family"].append(s.family)
        rows["families"].append(list(s.families) if s.families is not None else None)
        rows["parameter_size"].append(s.parameter_size)
        rows["quantization_level"].append(s.quantization)
        rows["context_length"].append(s.context_length)
        rows["embedding_length"].append(s.embedding_length)
        rows["remote_model"].append(s.remote_model)
        rows["remote_host"].append(s.remote_host)
        rows["tags_capabilities"].append(caps)
        rows["show_status"].append("not_applicable" if cloud else "fastpath")
        rows["capabilities"].append(None if cloud else list(sd.capabilities) if sd else caps)
        rows["system"].append(s.system)
        template = sd.template if sd else None
        rows["template_sha"].append(hashlib.sha256(template.encode()).hexdigest() if template is not None else None)
        rows["template_flags"].append([f for f, ref in TEMPLATE_FLAGS if ref in template] if template else None)
        rows["license_head"].append(sd.license[:200] if sd and sd.license else None)
        rows["parameters"].append(sd.parameters if sd and sd.parameters else None)
        rows["modelfile_from"].append(sd.modelfile_from if sd else None)
        info = sd.model_info if sd else {}
        arch = info.get("general.architecture") if info else None
        rows["arch"].append(arch)
        pc_ = info.get("general.parameter_count") if info else None
        rows["parameter_count"].append(int(pc_) if isinstance(pc_, int | float) else None)
        ctx = info.get(f"{arch}.context_length") if info and arch else None
        rows["train_context_length"].append(int(ctx) if isinstance(ctx, int | float) else None)
        rows["has_projector"].append(
            None if cloud else bool(sd and (sd.projector_info or "clip" in (s.families or ())))
        )
        rows["show_keys"].append(None)
        extra["is_hf"].append(s.kind == "derivative_hf")
        extra["is_cloud"].append(cloud)
        show_caps = list(sd.capabilities) if sd else caps
        extra["caps_pre_thinking"].append([c for c in show_caps if c != "thinking"])
        extra["local_chat"].append(not cloud and "embedding" not in s.capabilities)
        extra["clip"].append("clip" in (s.families or ()))
        # before v0.6.8 a separate projector (llava's clip) did not make a model report vision
        in_file_vision = any(str(k).endswith(".vision.block_count") for k in (sd.model_info if sd else {}))
        extra["caps_pre_projector"].append(
            [
                c
                for c in show_caps
                if c != "thinking" and (c != "vision" or in_file_vision or "clip" not in (s.families or ()))
            ]
        )
    cols = {f.name: pa.array(rows[f.name], type=f.type) for f in MODEL}
    cols.update({k: pa.array(v) for k, v in extra.items()})
    return pa.table(cols)


def rfc3339nano_many(unix_ns: np.ndarray, offset_min: np.ndarray) -> np.ndarray:
    """Vectorised ``rfc3339nano``: Go's RFC3339Nano in each fixed-offset zone, fraction zeros trimmed."""
    out = np.empty(unix_ns.shape[0], dtype=object)
    for off in np.unique(offset_min):
        sel = offset_min == off
        local = (unix_ns[sel] + int(off) * 60 * 10**9).astype("datetime64[ns]")
        text = np.char.rstrip(np.char.rstrip(np.datetime_as_string(local, unit="ns"), "0"), ".")
        o = int(off)
        suffix = "Z" if o == 0 else f"{'+' if o > 0 else '-'}{abs(o) // 60:02d}:{abs(o) % 60:02d}"
        out[sel] = np.char.add(text, suffix)
    return out


def _null_where(arr: pa.Array[Any], keep: np.ndarray) -> pa.Array[Any]:
    """Null out entries where ``keep`` is False (a field the host's version does not expose)."""
    if keep.all():
        return arr
    out: pa.Array[Any] = pc.if_else(pa.array(keep), arr, pa.nulls(len(arr), arr.type))
    return out


class _VersionFlags:
    def __init__(self) -> None:
        v = [parse_version(x) for x, _ in RELEASES]
        self.tags_v30 = np.array([x >= (0, 30, 0) for x in v])
        self.remote = np.array([x >= (0, 12, 0) for x in v])
        self.show_caps = np.array([x >= (0, 6, 4) for x in v])
        self.thinking = np.array([x >= (0, 9, 0) for x in v])
        self.projector_vision = np.array([x >= (0, 6, 8) for x in v])
        self.ps = np.array([x >= (0, 1, 38) for x in v])
        self.ps_ctx = np.array([x >= (0, 10, 0) for x in v])
        self.model_info = np.array([x >= (0, 1, 45) for x in v])
        self.model_key = np.array([x >= (0, 1, 21) for x in v])
        self.details = np.array([x >= (0, 1, 15) for x in v])
        self.shared = np.array([(0, 1, 38) <= x < (0, 1, 42) for x in v])


def write_fastpath(world: World, out: Path, *, progress: Callable[[int, int], None] | None = None) -> FastpathSummary:
    t0 = time.perf_counter()
    out = Path(out)
    h = world.hosts
    inv = world.inventory
    p = world.params
    specs = _spec_table(world)
    vf = _VersionFlags()
    tz = h.tz_offset
    # per-instance modified_at strings (constant over days), in the host's zone
    mod_str = rfc3339nano_many(inv.modified_ns, tz[inv.host])
    mod_utc = inv.modified_ns // 1000
    up = np.zeros((h.n, p.days), dtype=bool)
    up[h.up_host, h.up_day] = True
    ip_strs = np.array([ip_text(int(x)) for x in h.ip], dtype=object)
    total = successes = 0
    records: dict[tuple[int, bool], dict[str, Any]] = {}  # per (host, up): constant over days
    # Parquet encoding releases the GIL: day d is written on a worker thread while day d+1 is built.
    pending: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for day in range(p.days):
            table = _day_table(world, day, specs, vf, up, mod_str, mod_utc, ip_strs, records)
            total += table.num_rows
            successes += int(np.count_nonzero(table.column("status").to_numpy(zero_copy_only=False) == "success"))
            date = p.start + timedelta(days=day)
            sweep = f"fastpath-{p.seed}-{date.isoformat()}"
            path = Layout(out).part_path(date, sweep, 0)
            pending.append(pool.submit(write_parquet_atomic, table, path))
            while len(pending) > 1:
                pending.pop(0).result()
            if progress is not None:
                progress(day + 1, p.days)
        for f in pending:
            f.result()
    return FastpathSummary(p.days, total, successes, time.perf_counter() - t0, out)


def _day_table(
    world: World,
    day: int,
    specs: pa.Table,
    vf: _VersionFlags,
    up: np.ndarray,
    mod_str: np.ndarray,
    mod_utc: np.ndarray,
    ip_strs: np.ndarray,
    cache: dict[tuple[int, bool], dict[str, Any]],
) -> pa.Table:
    h = world.hosts
    inv = world.inventory
    everyone = np.nonzero((h.first_day <= day) & (h.last_day >= day))[0]
    is_ollama = np.isin(h.behaviour[everyone], ["ollama", "honeypot"])
    alive = everyone[is_ollama]  # Ollama and clone-farm members, column-wise; the others go through records.py
    kind = h.behaviour[alive]
    fingerprinted = up[alive, day]  # an Ollama-looking host answers on its up days and refuses on the others
    status = np.where(fingerprinted, "success", "connection_refused").astype(object)
    vidx = np.where(
        (h.upgrade_day[alive] >= 0) & (day >= h.upgrade_day[alive]), h.upgrade_idx[alive], h.version_idx[alive]
    )

    # instances present today on fingerprinted hosts, grouped by row (alive is sorted by host)
    inst_mask = (inv.add_day <= day) & (inv.remove_day > day)
    row_of_host = np.full(h.n, -1, dtype=np.int64)
    row_of_host[alive[fingerprinted]] = np.nonzero(fingerprinted)[0]
    inst_idx = np.nonzero(inst_mask & (row_of_host[inv.host] >= 0))[0]
    inst_row = row_of_host[inv.host[inst_idx]]
    counts = np.bincount(inst_row, minlength=alive.shape[0])
    canned = (kind == "honeypot")[inst_row]  # clone farms send the same full `details` whatever version they claim
    models = _models_array(specs, inv.spec[inst_idx], vidx[inst_row], vf, mod_str[inst_idx], mod_utc[inst_idx], canned)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    models_list = pa.ListArray.from_arrays(pa.array(offsets), models, mask=pa.array(~fingerprinted))

    running_list, running_count = _running(
        world, day, alive, fingerprinted, fingerprinted & (kind == "ollama"), vidx, specs, inst_idx, inst_row, vf
    )
    version = np.array([RELEASES[int(v)][0] for v in vidx], dtype=object)
    version[~fingerprinted] = None
    runtime = np.where(fingerprinted, "ollama", None).astype(object)
    # nginx in front of a genuine Ollama names itself; clone farms answer directly whatever port they sit on
    via_nginx = fingerprinted & h.proxy[alive] & (kind == "ollama")
    proxied = [bool(x) if f else None for x, f in zip(via_nginx.tolist(), fingerprinted.tolist(), strict=True)]
    n = alive.shape[0]
    # a fake's slips as the probe records them (farms.py): its markers and the Server header it names itself in
    fake = world.farm_kinds[alive]
    evidence = [list(farms.MARKERS[k]) if f and k else None for k, f in zip(fake, fingerprinted.tolist(), strict=True)]
    server = [("nginx/1.24.0" if v else farms.SERVER.get(k)) if f else None
              for k, v, f in zip(fake, via_nginx.tolist(), fingerprinted.tolist(), strict=True)]
    cols: dict[str, pa.Array] = {
        **_identity(world, day, alive, ip_strs[alive], h.port[alive], h.scheme[alive]),
        "status": pa.array(status.tolist(), pa.string()),
        "error": pa.nulls(n, pa.string()),
        "runtime": pa.array(runtime.tolist(), pa.string()),
        "runtime_evidence": pa.array(evidence, pa.list_(pa.string())),
        "version": pa.array(version.tolist(), pa.string()),
        "auth": pa.array(np.where(fingerprinted, "open", "unknown").tolist(), pa.string()),
        "proxied": pa.array(proxied, pa.bool_()),
        "server_header": pa.array(server, pa.string()),
        "runtime_data": pa.nulls(n, pa.string()),
        "models": models_list,  # inline (schema v3 allows it): the fast path writes no inventory store
        "inventory_hash": pa.nulls(n, pa.string()),
        "model_show_status": pa.nulls(n, pa.list_(pa.string())),
        "model_count": pa.array(counts.astype(np.int32), mask=~fingerprinted),
        "running": running_list,
        "running_count": running_count,
        "requests": pa.array(np.zeros(n, dtype=np.int16)),
        "elapsed_ms": pa.nulls(n, pa.float32()),
        "exchanges": pa.nulls(n, OBSERVATION_SCHEMA.field("exchanges").type),
    }
    ollama = pa.table(cols, schema=OBSERVATION_SCHEMA)
    others = _records_table(world, day, everyone[~is_ollama], ip_strs, cache)
    return pa.concat_tables([ollama, others]) if others.num_rows else ollama


def _identity(
    world: World, day: int, host_ids: np.ndarray, ips: np.ndarray, ports: np.ndarray, schemes: np.ndarray
) -> dict[str, pa.Array]:
    """The columns that say which target was visited when (the same for every kind of host)."""
    p = world.params
    n = host_ids.shape[0]
    date = p.start + timedelta(days=day)
    base_us = int(datetime(date.year, date.month, date.day, 2, tzinfo=UTC).timestamp()) * 10**6
    observed_us = base_us + ((host_ids.astype(np.int64) * 7919) % 14_400) * 10**6
    sweep = f"fastpath-{p.seed}-{date.isoformat()}"
    return {
        "schema_version": pa.array(np.full(n, SCHEMA_VERSION, dtype=np.int16)),
        "observation_id": pa.array([observation_id(sweep, ip, int(pt)) for ip, pt in zip(ips, ports, strict=True)],
                                   pa.string()),
        "sweep_id": pa.array([sweep] * n, pa.string()),
        "source": pa.array(["fastpath"] * n, pa.string()),
        "observed_at": pa.array(observed_us, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "day": pa.array([date] * n, pa.date32()),
        "ip": pa.array(list(ips), pa.string()),
        "port": pa.array(np.asarray(ports, dtype=np.int32)),
        "scheme": pa.array(list(schemes), pa.string()),
        "dial_ip": pa.nulls(n, pa.string()),
        "dial_port": pa.nulls(n, pa.int32()),
    }


def _records_table(
    world: World, day: int, decoys: np.ndarray, ip_strs: np.ndarray, cache: dict[tuple[int, bool], dict[str, Any]]
) -> pa.Table:
    """Look-alikes, decoys and the other runtimes' hosts: one ``records.record`` per host, constant over its up days
    (decoys are up every day; another runtime's host refuses connections on its outage days). ``cache`` keeps
    each (host, up) record for the next days."""
    h = world.hosts
    rh = world.runtimes
    targets: list[tuple[int, str, int, str]] = [(int(i), ip_strs[i], int(h.port[i]), str(h.scheme[i])) for i in decoys]
    recs = []
    for host, *_ in targets:
        rec = cache.get((host, True))
        if rec is None:
            rec = cache[(host, True)] = record(world.view(host, day))
        recs.append(rec)
    if rh is not None:
        for i in rh.alive(day).tolist():
            view, up = rh.open_view(i), rh.is_up(i, day)
            rec = cache.get((view.host_id, up))
            if rec is None:
                rec = cache[(view.host_id, up)] = record(rh.view(i, day))
            targets.append((view.host_id, view.ip, view.port, view.scheme))
            recs.append(rec)
    n = len(targets)
    if not n:
        return OBSERVATION_SCHEMA.empty_table()
    cols: dict[str, Any] = _identity(
        world, day, np.array([t[0] for t in targets], dtype=np.int64), np.array([t[1] for t in targets], dtype=object),
        np.array([t[2] for t in targets]), np.array([t[3] for t in targets], dtype=object),
    )
    for name in ("status", "runtime", "version", "auth", "proxied", "server_header", "models", "model_count",
                 "running", "running_count"):
        cols[name] = pa.array([r[name] for r in recs], OBSERVATION_SCHEMA.field(name).type)
    cols.update(
        error=pa.nulls(n, pa.string()),
        runtime_evidence=pa.nulls(n, pa.list_(pa.string())),
        runtime_data=pa.nulls(n, pa.string()),
        inventory_hash=pa.nulls(n, pa.string()),
        model_show_status=pa.nulls(n, pa.list_(pa.string())),
        requests=pa.array(np.zeros(n, dtype=np.int16)),
        elapsed_ms=pa.nulls(n, pa.float32()),
        exchanges=pa.nulls(n, OBSERVATION_SCHEMA.field("exchanges").type),
    )
    return pa.table(cols, schema=OBSERVATION_SCHEMA)


def _models_array(
    specs: pa.Table,
    spec_idx: np.ndarray,
    vidx: np.ndarray,
    vf: _VersionFlags,
    mod_str: np.ndarray,
    mod_utc: np.ndarray,
    canned: np.ndarray,
) -> pa.StructArray:
    take = pa.array(spec_idx.astype(np.int64))
    col = {f.name: specs[f.name].take(take).combine_chunks() for f in MODEL}
    v30 = vf.tags_v30[vidx]
    col["modified_at"] = pa.array(mod_str.tolist(), pa.string())
    col["modified_at_utc"] = pa.array(mod_utc.astype("datetime64[us]"), pa.timestamp("us", tz="UTC"))
    col["model"] = _null_where(col["model"], vf.model_key[vidx])
    for name in ("context_length", "embedding_length", "tags_capabilities"):
        col[name] = _null_where(col[name], v30)
    has_details = vf.details[vidx] | canned
    # details.parent_model from v0.1.21 (clone farms send it whenever their claimed version has it)
    col["parent_model"] = pa.array(np.where(has_details & vf.model_key[vidx], "", None).tolist(), pa.string())
    # no `details` object before 0.1.15: family, size and quantization are unknown there
    for name in ("format", "family", "families", "parameter_size", "quantization_level"):
        col[name] = _null_where(col[name], has_details)
    for name in ("remote_model", "remote_host"):
        col[name] = _null_where(col[name], vf.remote[vidx])
    hf = specs["is_hf"].take(take).to_numpy(zero_copy_only=False)
    col["quantization_level"] = pc.if_else(
        pa.array(hf & ~v30 & has_details), pa.scalar("unknown"), col["quantization_level"]
    )
    caps = col["capabilities"]
    pre = specs["caps_pre_thinking"].take(take).combine_chunks()
    caps = pc.if_else(pa.array(vf.thinking[vidx]), caps, pre.cast(caps.type))
    pre_proj = specs["caps_pre_projector"].take(take).combine_chunks()
    caps = pc.if_else(pa.array(vf.projector_vision[vidx]), caps, pre_proj.cast(caps.type))
    col["capabilities"] = _null_where(caps, vf.show_caps[vidx])
    for name in ("arch", "parameter_count", "train_context_length"):
        col[name] = _null_where(col[name], vf.model_info[vidx])
    # before model_info (v0.1.45) only a clip family tells about a projector; otherwise unknown
    clip = specs["clip"].take(take).to_numpy(zero_copy_only=False)
    col["has_projector"] = _null_where(col["has_projector"], vf.model_info[vidx] | (clip & has_details))
    if canned.any():
        _canned_show(col, canned, clip)
    return pa.StructArray.from_arrays([col[f.name] for f in MODEL], fields=list(MODEL))


CANNED_TEMPLATE = "{{ .Prompt }}"


def _canned_show(col: dict[str, Any], canned: np.ndarray, clip: np.ndarray) -> None:
    """Clone-farm members answer /api/show with one canned body (wire/lookalikes.py): record what it says."""
    n = len(canned)
    keep = ~canned
    for name in ("capabilities", "system", "license_head", "parameter_count", "train_context_length"):
        col[name] = _null_where(col[name], keep)
    sha = hashlib.sha256(CANNED_TEMPLATE.encode()).hexdigest()
    col["template_sha"] = pc.if_else(pa.array(canned), pa.scalar(sha), col["template_sha"])
    col["template_flags"] = pc.if_else(pa.array(canned), pa.scalar([], pa.list_(pa.string())), col["template_flags"])
    col["parameters"] = pc.if_else(pa.array(canned), pa.scalar(""), col["parameters"])
    col["modelfile_from"] = pc.if_else(pa.array(canned), col["name"], col["modelfile_from"])
    col["arch"] = pc.if_else(pa.array(canned), col["family"], col["arch"])
    col["has_projector"] = pc.if_else(pa.array(canned), pa.array(clip[:n]), col["has_projector"])


def _running(
    world: World,
    day: int,
    alive: np.ndarray,
    fingerprinted: np.ndarray,
    eligible: np.ndarray,
    vidx: np.ndarray,
    specs: pa.Table,
    inst_idx: np.ndarray,
    inst_row: np.ndarray,
    vf: _VersionFlags,
) -> tuple[pa.Array, pa.Array]:
    """The /api/ps list, drawn exactly as ``World.running_instances`` draws it."""
    p = world.params
    h = world.hosts
    inv = world.inventory
    n = alive.shape[0]
    share = world.running_share[alive]
    loaded = eligible & (uniform(p.seed, alive.astype(np.uint64), day, 1) < share)
    want = RUNNING_COUNTS[(uniform(p.seed, alive.astype(np.uint64), day, 2) * 10).astype(np.int64)]
    local = specs["local_chat"].to_numpy(zero_copy_only=False)[inv.spec[inst_idx]]
    cand = local & loaded[inst_row]
    # rank among the row's local instances, in inventory order (inst_idx is sorted by host then spec)
    rank = np.zeros(inst_idx.shape[0], dtype=np.int64)
    if cand.any():
        ci = np.nonzero(cand)[0]
        rows = inst_row[ci]
        first = np.searchsorted(rows, rows, side="left")
        rank[ci] = np.arange(ci.shape[0]) - first
    chosen = cand & (rank < want[inst_row])
    sel = inst_idx[chosen]
    sel_row = inst_row[chosen]
    counts = np.bincount(sel_row, minlength=n)
    ps_ok = vf.ps[vidx]
    spec_take = pa.array(inv.spec[sel].astype(np.int64))
    tier = h.tier[alive][sel_row]
    gpu = np.isin(tier, ["hyperscaler", "indie_cloud", "academic"])
    size = specs["size"].take(spec_take).to_numpy(zero_copy_only=False).astype(np.int64)
    ram = (size * 1.12).astype(np.int64) + 300_000_000
    now = world.epoch0_ns + day * DAY_NS + 12 * 3_600 * 10**9
    pos = rank[chosen]
    host_ids = alive[sel_row]
    pinned = uniform(p.seed, host_ids.astype(np.uint64), day, 10 + pos) < 0.06
    tzs = h.tz_offset[host_ids]
    exp_str = [
        rfc3339nano(expires_at_ns(now, bool(pin)), int(z)) for pin, z in zip(pinned.tolist(), tzs.tolist(), strict=True)
    ]
    ctx_choices = np.array([2048, 4096, 8192, 16384])
    ctx = ctx_choices[(uniform(p.seed, host_ids.astype(np.uint64), pos, 3) * 4).astype(np.int64)]
    ctx_ok = vf.ps_ctx[vidx[sel_row]]
    vram = np.where(gpu, ram, 0)
    # v0.1.38-0.1.41 share one struct with /api/tags, whose omitempty drops a zero size_vram
    vram_known = (vram != 0) | ~vf.shared[vidx[sel_row]]
    # /api/ps lists by expiry, latest first (Go sorts on whole seconds, stably): pinned models lead
    order = np.lexsort((pos, ~pinned, sel_row))
    spec_take = pa.array(inv.spec[sel[order]].astype(np.int64))
    ram, vram, vram_known, ctx, ctx_ok = ram[order], vram[order], vram_known[order], ctx[order], ctx_ok[order]
    exp_str = [exp_str[k] for k in order.tolist()]
    struct = pa.StructArray.from_arrays(
        [
            specs["name"].take(spec_take).combine_chunks(),
            specs["name"].take(spec_take).combine_chunks(),
            pa.array(ram),
            specs["digest"].take(spec_take).combine_chunks(),
            specs["family"].take(spec_take).combine_chunks(),
            specs["parameter_size"].take(spec_take).combine_chunks(),
            _running_quant(specs, spec_take, vf.tags_v30[vidx[sel_row[order]]]),
            pa.array(exp_str, pa.string()),
            pa.array(vram, mask=~vram_known),
            pa.array(ctx.astype(np.int64), mask=~ctx_ok),
        ],
        fields=list(RUNNING),
    )
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    present = fingerprinted & ps_ok  # honeypots answer /api/ps with an empty list
    running = pa.ListArray.from_arrays(pa.array(offsets), struct, mask=pa.array(~present))
    running_count = pa.array(counts.astype(np.int32), mask=~present)
    return running, running_count


def _running_quant(specs: pa.Table, take: pa.Array, v30: np.ndarray) -> pa.Array:
    """/api/ps details as /api/tags': a Hugging Face pull reports ``unknown`` before v0.30."""
    quant = specs["quantization_level"].take(take).combine_chunks()
    hf = specs["is_hf"].take(take).to_numpy(zero_copy_only=False)
    out: pa.Array = pc.if_else(pa.array(hf & ~v30), pa.scalar("unknown"), quant)
    return out
