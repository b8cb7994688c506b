"""The one explicit table of runtime modules the probe speaks (zgrab2's ``bin/default_modules.go``).

Every module has the same shape (``base.py`` says what each name means): ``NAME``, ``DEFAULT_PORTS``,
``REQUESTS`` (its allowlist of (method, path)), ``IDENTIFY``, ``identify``, ``claims``, ``PARSERS``
(one pure parser per endpoint) and ``scan``. The engine sends nothing that is not in ``ALLOWLIST``, the
union of the modules' ``REQUESTS``. The order of ``MODULES`` breaks ties between equally strong claims:
the more specific runtime first, the generic OpenAI-compatible verdict last.

Adding a runtime: a module here + a line in ``MODULES`` + a simulator persona + a fixture folder
(``tests/fixtures/runtimes/<name>/``) + a line in ``docs/probing.md``; a test fails when one is missing.
"""

from __future__ import annotations

from types import ModuleType

from llmcensus.probe.runtimes import (
    koboldcpp,
    litellm,
    llama_cpp,
    lm_studio,
    localai,
    ollama,
    open_webui,
    openai_compatible,
    sglang,
    text_generation_webui,
    tgi,
    vllm,
)

MODULES: tuple[ModuleType, ...] = (
    ollama, llama_cpp, koboldcpp, sglang, open_webui, localai, vllm, lm_studio, tgi, text_generation_webui,
    litellm, openai_compatible,
)
BY_NAME: dict[str, ModuleType] = {m.NAME: m for m in MODULES}
RUNTIMES = MODULES  # the older name

ALLOWLIST: frozenset[tuple[str, str]] = frozenset(req for mod in MODULES for req in mod.REQUESTS)
DEFAULT_PORTS: tuple[int, ...] = tuple(sorted({p for mod in MODULES for p in mod.DEFAULT_PORTS}))


def render_markdown() -> str:
    """The runtime table of ``docs/probing.md`` (generated; ``tests/test_probing_docs.py`` keeps it current)."""
    lines = ["| runtime | default ports | requests, in order of use (the allowlist) |", "|---|---|---|"]
    for mod in MODULES:
        ports = ", ".join(str(p) for p in mod.DEFAULT_PORTS) or "any (claims none)"
        requests = ", ".join(f"`{m} {p}`" for m, p in mod.REQUESTS) or "(none yet)"
        lines.append(f"| `{mod.NAME}` | {ports} | {requests} |")
    return "\n".join(lines) + "\n"
