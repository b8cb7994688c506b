"""The one explicit table of runtime modules the probe speaks.

Every module has the same shape (STYLE.md habit 2): ``NAME``, ``DEFAULT_PORTS``, ``REQUESTS`` (its
allowlist of (method, path)), a ``parse_<endpoint>`` per endpoint, ``Result`` and ``scan``.
The engine sends nothing that is not in ``ALLOWLIST``, the union of the modules' ``REQUESTS``.

Adding a runtime: a module here + a line in ``RUNTIMES`` + a simulator persona + fixtures + a line
in ``docs/probing.md`` (that is the whole checklist).
"""

from __future__ import annotations

from types import ModuleType

from llmcensus.probe.runtimes import ollama

RUNTIMES: tuple[ModuleType, ...] = (ollama,)

ALLOWLIST: frozenset[tuple[str, str]] = frozenset(req for mod in RUNTIMES for req in mod.REQUESTS)
