"""Which runtime answers: the runtime table is the dispatch (zgrab2's module map, looped over).

One visit, one ``Visit`` (a request is sent at most once and every module reads every reply):

1. **Ollama's port, or a port no other module claims**: Ollama's own visit runs first, exactly as it
   always has (``ollama.scan``: ``/api/version``, ``/api/tags``, ``GET /`` when needed, ``/api/ps``,
   ``/api/show``). When it recognises Ollama or one of the runtimes that answer Ollama's paths, or the
   host did not answer at all, the visit is over.
2. **Otherwise, identification**: the ``IDENTIFY`` requests of the modules that claim the port, then
   the generic ``GET /v1/models``, then the other modules' ``IDENTIFY`` requests in table order, each
   sent once, at most ``IDENTIFY_REQUESTS`` of them on a port nobody claims (a web server that is not
   an LLM runtime costs a handful of requests, not the whole budget). After each reply every module
   reads the evidence (``identify``) and says how strongly it claims it (``claims``); a product-specific
   claim (``STRONG``) ends the search at once.
3. **Detail**: the strongest module (ties: table order) runs its ``scan`` within what is left of the
   visit's budget. With no claim at all, the status says what kind of HTTP service answered.
"""

from __future__ import annotations

from datetime import datetime
from types import ModuleType

from llmcensus.observations.schema import Runtime, Status
from llmcensus.probe.http import CONNECTION_FAILURES, Exchange, HostClient
from llmcensus.probe.runtimes import ALLOWLIST, MODULES, ollama
from llmcensus.probe.runtimes.base import Result, Visit, posture, unusable
from llmcensus.probe.showcache import ShowCache

STRONG = 3  # a claim on a product-specific marker: no other request is needed to decide
IDENTIFY_REQUESTS = 6  # requests spent looking for a runtime on a port that no module claims
GENERIC = ("GET", "/v1/models")  # the one request most runtimes answer


def order_for(port: int) -> list[ModuleType]:
    """Modules that claim ``port`` first (table order), then the others."""
    return sorted(MODULES, key=lambda m: port not in m.DEFAULT_PORTS)


def best_claim(visit: Visit) -> tuple[ModuleType | None, int, list[str]]:
    """The strongest claim on the replies so far: (module, strength, its evidence); ties go to table order."""
    best: tuple[ModuleType | None, int, list[str]] = (None, 0, [])
    for mod in MODULES:
        evidence = mod.identify(visit.replies)
        strength = mod.claims(evidence)
        if strength > best[1]:
            best = (mod, strength, evidence)
    return best


async def fingerprint(client: HostClient, cache: ShowCache, result: Result, *, port: int, observed_at: datetime,
                      sweep_id: str) -> None:
    visit = Visit(client, result)
    others_claim = any(port in m.DEFAULT_PORTS for m in MODULES if m is not ollama)
    if not others_claim:
        await ollama.scan(client, cache, result, observed_at=observed_at, sweep_id=sweep_id)
        if result.runtime not in (None, Runtime.UNKNOWN.value) or result.status in CONNECTION_FAILURES:
            return
        for done in client.exchanges:
            visit.replies.setdefault((done.method, done.path), done)
    plan: list[tuple[str, str]] = []
    for mod in order_for(port):
        for req in (*mod.IDENTIFY[:1], GENERIC, *mod.IDENTIFY[1:]) if port in mod.DEFAULT_PORTS else mod.IDENTIFY:
            if req not in plan:
                plan.append(req)
    if GENERIC not in plan:
        plan.insert(0, GENERIC)
    plan = [req for req in plan if req in ALLOWLIST]  # GENERIC is sent only once a module reads it
    if not any(port in m.DEFAULT_PORTS for m in MODULES):
        plan = plan[:IDENTIFY_REQUESTS]
    winner, strength, evidence = best_claim(visit)
    for method, path in plan:
        if strength >= STRONG or client.budget_left <= 1:
            break
        if (method, path) in visit.replies:
            continue
        ex = await visit.get(path, method=method)
        if ex is None:
            break
        if ex.failure is not None and ex.failure in CONNECTION_FAILURES and len(client.exchanges) == 1:
            result.status, result.error = ex.failure, ex.error  # nothing answers on this port
            return
        winner, strength, evidence = best_claim(visit)
    answered = list(visit.replies.values())
    if winner is None and not others_claim:
        return  # Ollama's visit already decided what kind of service this is
    if winner is None:
        result.runtime = Runtime.UNKNOWN.value
        result.models = result.running = None
        result.note(*(e for ex in answered for e in _server(ex)))
        posture(result, answered)
        _unknown(result, answered)
        return
    result.runtime = winner.NAME
    result.models, result.running, result.version = None, None, None
    result.evidence = list(evidence)
    posture(result, answered)
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
    elif any(c >= 500 or c == 429 for c in codes) or (
            any(unusable(c) for c in codes) and not any(200 <= c < 300 for c in codes)):
        worst = max(codes, key=lambda c: (c >= 500, c == 429, c))
        result.status, result.error = Status.HTTP_ERROR, f"HTTP {worst} and no LLM runtime recognised"
    elif codes and all(300 <= c < 400 for c in codes):
        where = next((ex.location for ex in replies if ex.location), None)
        where = where[:200] if where is not None else None
        result.status, result.error = Status.HTTP_ERROR, f"redirect (HTTP {codes[0]}) to {where}"
    else:
        result.status, result.error = Status.NOT_LLM, "HTTP service without a recognised LLM runtime"
