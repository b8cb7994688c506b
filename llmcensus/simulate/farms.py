"""The kinds of fake Ollama hosts the simulator plants (issue #19), one per clone farm or lone fake, with the tells
each one leaves; ``docs/simulation.md`` ("Clone farms and fakes") says where each comes from.

A host is a farm member when ``Hosts.farm >= 0`` (``population.py``); its kind follows from its farm ``f`` and
its rank ``r`` among the farm's members (by host index), so the wire, the fast path and the ground truth agree:

* ``canned``     (f % 3 == 0): every member serves one canned inventory, identical nanosecond stamps rendered in
                 its own time zone; tags entries carry /api/ps's fields (``expires_at`` zero time *and*
                 ``size_vram``), a slip no Ollama version makes.
* ``pool``       (f % 3 == 1): the real farm's shape (the shared captures): each member serves a different subset
                 of one small pool, identical nanosecond stamps, entries not in Ollama's newest-first order, and
                 a generate reply's keys at the top level of /api/tags.
* ``sequential`` (f % 3 == 2, r even): a lone fake: digests that count up, the same fractional second on every
                 model, a ``Server`` header Ollama never sends, entry keys in an order Ollama never writes.
* ``volatile``   (f % 3 == 2, r odd): a lone fake whose every stamp changes from one visit to the next.
"""

from __future__ import annotations

import hashlib

import numpy as np

KINDS = ("canned", "pool", "sequential", "volatile")
# What the probe records for each kind's slips in ``runtime_evidence`` (``probe/runtimes/lookalikes.py``): the
# fast path writes the same markers, so that the probed and the perfect study flag the same hosts.
MARKERS: dict[str, tuple[str, ...]] = {
    "canned": ("tags_ps_fields",),
    "pool": ("tags_extra_keys", "tags_unsorted"),
    "sequential": ("tags_key_order",),
    "volatile": (),
}
SERVER: dict[str, str] = {"sequential": "Werkzeug/3.0.1 Python/3.11.4"}
# The real farm's /api/tags carries a generate reply's keys beside "models" (captured bodies, issue #19).
GENERATE_KEYS: dict[str, object] = {"model": "llama3", "created_at": "2025-03-29T20:18:17.974766226Z",
                                    "response": "", "done": True}
SEQUENTIAL_FRACTION_NS = 517_283_000  # the one fractional second of a sequential fake (".517283")


def kind_of(farm: int, rank: int) -> str:
    f = farm % 3
    if f == 0:
        return "canned"
    if f == 1:
        return "pool"
    return "sequential" if rank % 2 == 0 else "volatile"


def member_kinds(farm: np.ndarray) -> np.ndarray:
    """The kind of every host (``""`` for hosts in no farm), from ``Hosts.farm``."""
    out = np.full(farm.shape[0], "", dtype=object)
    for f in np.unique(farm[farm >= 0]).tolist():
        members = np.nonzero(farm == f)[0]  # ascending host index: the rank
        out[members] = [kind_of(int(f), r) for r in range(members.shape[0])]
    return out


def sequential_digest(first: str, j: int) -> str:
    """The j-th digest of a sequential fake: 56 hex digits derived from the first model's digest, then the last 8
    counting up. Derived, not copied: a copied prefix would claim another build's 12-digit short digest, which
    enrichment reads as that build's lineage."""
    stem = hashlib.sha256(f"sequential:{first}".encode()).hexdigest()[:56]
    return f"{stem}{j + 1:08x}"
