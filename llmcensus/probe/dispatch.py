"""Which runtime answers: the runtime table is the dispatch (zgrab2's module map, looped over).

One visit, one ``Visit`` (a request is sent at most once and every module reads every reply):

1. **Ollama's port, or a port no other module claims**: Ollama's own visit runs first, exactly as it
   always has (``ollama.scan``: ``/api/version``, ``/api/tags``, ``GET /`` when needed, ``/api/ps``,
   ``/api/show``). When it recognises Ollama or one of the runtimes that answer Ollama's paths, or the
   host did not answer at all, the visit is over.
   A runtime recognised there through Ollama's paths is then visited as itself (its own ``scan``).
2. **Otherwise, identification**: the ``IDENTIFY`` requests of the modules that claim the port, the
   generic ``GET /v1/models``, then every other module's first, second, ... request, round by round in
   table order, each sent once: at most ``CLAIMED_PORT_REQUESTS`` on a claimed port and
   ``IDENTIFY_REQUESTS`` on a port nobody claims. After each reply every module reads the evidence
   (``identify``) and says how strongly it claims it (``claims``); a product-specific claim
   (``STRONG``) ends the search at once.
3. **Detail**: the strongest module (ties: table order) runs its ``scan`` within what is left of the
   visit's budget. With no claim at all, the status says what kind of HTTP service answered.
"""

from __future__ import annotations

from datetime import datetime
from types import ModuleType

from llmcensus.observations.schema import Runtime, Status
from llmcensus.probe.http import CONNECTION_FAILURES, Exchange, HostClient
from llmcensus.probe.runtimes import ALLOWLIST, BY_NAME, MODULES, ollama
from llmcensus.probe.runtimes.base import Result, Visit, decide_unrecognised, posture
from llmcensus.probe.runtimes.common import ollama_evidence
from llmcensus.probe.showcache import ShowCache

STRONG = 3  # a claim on a product-specific marker: no other request is needed to decide
# Requests spent looking for a runtime after Ollama's own visit found none, on a port no module claims (80, 443,
# ...: reverse proxies front every runtime): enough for each module's cheapest identifying request, so a web
# server that is no LLM runtime costs 3 + 10 requests, within the per-address cap.
IDENTIFY_REQUESTS = 10
CLAIMED_PORT_REQUESTS = 8  # on a port some module claims (its own requests come first)
GENERIC = ("GET", "/v1/models")  # the one request most runtimes answer


def order_for(port: int) -> list[ModuleType]:
    """Modules that claim ``port`` first (table order), then the others."""
    return sorted(MODULES, key=lambda m: port not in m.DEFAULT_PORTS)


class Claims:
    """Every module's evidence on a visit's replies, read incrementally: each reply is read once by each module
    (``identify`` reads replies independently, so the evidence of a set of replies is the union of the
    evidence of each), and a module's claim is weighed on the union. Reading every reply again after each
    new one cost a quarter of a millisecond a visit on other runtimes' ports."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.evidence: dict[str, list[str]] = {m.NAME: [] for m in MODULES}

    def best(self, visit: Visit) -> tuple[ModuleType | None, int, list[str]]:
        """The strongest claim on the replies so far: (module, strength, its evidence); ties go to table order."""
        new = {k: ex for k, ex in visit.replies.items() if k not in self.seen}
        self.seen.update(new)
        best: tuple[ModuleType | None, int, list[str]] = (None, 0, [])
        for mod in MODULES:
            evidence = self.evidence[mod.NAME]
            if new:
                fresh = ollama_evidence(new) if mod is ollama else mod.identify(new)
                evidence.extend(e for e in fresh if e not in evidence)
            strength = mod.claims(evidence)
            if strength > best[1]:
                best = (mod, strength, list(evidence))
        return best


def best_claim(visit: Visit) -> tuple[ModuleType | None, int, list[str]]:
    """The strongest claim on the replies so far, read from scratch (see ``Claims`` for the incremental form)."""
    return Claims().best(visit)


async def fingerprint(client: HostClient, cache: ShowCache, result: Result, *, port: int, observed_at: datetime,
                      sweep_id: str) -> None:
    visit = Visit(client, result)
    claimers = [m for m in MODULES if port in m.DEFAULT_PORTS and m is not ollama]
    if not claimers:
        await ollama.scan(client, cache, result, observed_at=observed_at, sweep_id=sweep_id)
        _absorb(visit)
        if result.status in CONNECTION_FAILURES or result.runtime != Runtime.UNKNOWN.value:
            await _native(visit, result)
            return
    plan = _plan(claimers, visit)
    claims = Claims()
    winner, strength, evidence = claims.best(visit)
    for method, path in plan:
        if strength >= STRONG or client.budget_left <= 1:
            break
        ex = await visit.get(path, method=method)
        if ex is None:
            break
        if ex.failure is not None and ex.failure in CONNECTION_FAILURES and len(client.exchanges) == 1:
            result.status, result.error = ex.failure, ex.error  # nothing answers on this port
            return
        winner, strength, evidence = claims.best(visit)
    answered = list(visit.replies.values()) or list(client.exchanges)
    if winner is None:
        result.version = None  # an /api/version from something that is no runtime we know is no version
        if claimers:  # on a port Ollama's visit did not decide, the replies say what answered
            result.runtime = Runtime.UNKNOWN.value
            result.models = result.running = None
            result.note(*(e for ex in answered for e in _server(ex)))
            posture(result, answered)
            _unknown(result, answered)
        return
    if winner is ollama:  # Ollama on another runtime's port: its own visit, reusing what was asked
        result.evidence, result.runtime = [], None
        await ollama.scan(client, cache, result, observed_at=observed_at, sweep_id=sweep_id, seen=visit.replies)
        _absorb(visit)
        await _native(visit, result)
        return
    await _hand_over(winner, visit, result, evidence)


def _plan(claimers: list[ModuleType], visit: Visit) -> list[tuple[str, str]]:
    """Identification requests: the claimers' own (a runtime on its own port is the likeliest answer), the
    generic list, then every other module's first, second, ... request (round by round, so each runtime gets
    its cheapest chance before any gets a second), capped."""
    plan = [req for mod in claimers for req in mod.IDENTIFY] + [GENERIC]
    others = [m for m in MODULES if m not in claimers]
    depth = max((len(m.IDENTIFY) for m in MODULES), default=0)
    plan += [mod.IDENTIFY[i] for i in range(depth) for mod in others if i < len(mod.IDENTIFY)]
    cap = CLAIMED_PORT_REQUESTS if claimers else IDENTIFY_REQUESTS
    return [req for req in dict.fromkeys(plan) if req in ALLOWLIST and req not in visit.replies][:cap]


def _absorb(visit: Visit) -> None:
    """Every GET Ollama's visit sent becomes a reply of the visit: nothing is asked twice."""
    for done in visit.client.exchanges:
        if done.method == "GET":
            visit.replies.setdefault((done.method, done.path), done)


async def _native(visit: Visit, result: Result) -> None:
    """After Ollama's own visit: a runtime recognised through Ollama's paths (llama.cpp, SGLang, LocalAI,
    KoboldCpp, Open WebUI) is then visited as itself, so its version and models are its own."""
    native = BY_NAME.get(result.runtime or "")
    if native is None or native is ollama or visit.client.budget_left <= 0 or result.status in CONNECTION_FAILURES:
        return
    _absorb(visit)
    await _hand_over(native, visit, result, native.identify(visit.replies))


async def _hand_over(winner: ModuleType, visit: Visit, result: Result, evidence: list[str]) -> None:
    """The chosen module's detail visit, on a clean result (what the identification read stays in the visit)."""
    result.runtime = winner.NAME
    result.models, result.running, result.version, result.extras = None, None, None, None
    result.status, result.error = None, None
    result.evidence = list(evidence)
    posture(result, visit.replies.values())
    await winner.scan(visit)


def _server(ex: Exchange) -> list[str]:
    from llmcensus.probe.runtimes import lookalikes

    return lookalikes.server_evidence(ex.server)


def _unknown(result: Result, replies: list[Exchange]) -> None:
    """Status of a visit in which no runtime was recognised (the rules of docs/schema.md)."""
    failures = [ex for ex in replies if ex.failure is not None]
    codes = [ex.status for ex in replies if ex.status is not None]
    if not codes and failures:
        result.status, result.error = failures[0].failure, failures[0].error
    elif codes and all(c in (401, 403) for c in codes):
        result.status, result.error = Status.AUTH_REQUIRED, f"HTTP {codes[0]} on every path"
    else:
        decide_unrecognised(result, replies)
