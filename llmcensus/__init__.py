"""llmcensus: an open observatory of internet-exposed LLM servers.

Stages, in the only direction data flows (each is a subpackage; a stage never imports a later one):

    targets -> probe -> observations -> enrich -> store -> analyze -> report

plus ``simulate`` (the world we probe), ``discover`` (where targets come from), ``reference``
(bundled reference data every stage may read) and ``cli`` (the only module that imports every stage).

The public API (``docs/api.md``, ``llmcensus/api.py``) is re-exported here lazily: ``llmcensus.scan``,
``llmcensus.enrich``, ``llmcensus.report``, ``llmcensus.study``, ``llmcensus.store_update``, ``llmcensus.events``,
``llmcensus.open_store``, ``llmcensus.metrics``, ``llmcensus.dossier`` and every other name of ``api.__all__``
(``tests/test_cli_thin.py`` checks the two lists agree). ``import llmcensus`` loads none of the stages (no DuckDB, no
pyarrow) until one of them is used.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

_API = ("alerts", "build_address_pool", "check_alerts", "data_layout", "discovery_formats", "dossier", "events",
        "explain_lineage", "import_candidates", "merge", "metrics", "notification_export", "open_store", "optout_add",
        "optout_list", "optout_remove", "parse_port_ranges", "probe_setting_names", "probe_settings", "run", "scan",
        "serve", "serve_token", "dashboard_app", "export",
        "simulate_observations", "simulate_params", "simulate_serve", "simulate_truth", "simulate_world",
        "store_update", "study", "sweep", "sweep_defaults", "DossierSummary", "ExportSummary", "Progress",
        "StudyResult", "SweepResult", "WorldSummary")
# ``enrich`` and ``report`` are both an API function and a stage subpackage. The import system binds
# ``llmcensus.enrich`` to the subpackage whenever ``llmcensus.enrich.run`` is imported, so a plain re-export would
# be overwritten; instead the subpackage itself is made callable: ``llmcensus.enrich(data)`` calls
# ``llmcensus.api.enrich`` and ``llmcensus.enrich.run`` stays the module. Both packages hold only a docstring, so
# importing them here costs nothing.
_CALLABLE_STAGES = ("enrich", "report")
__all__ = ["__version__", *_API, *_CALLABLE_STAGES]


class _CallableStage(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from llmcensus import api

        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)


for _name in _CALLABLE_STAGES:
    importlib.import_module(f"{__name__}.{_name}").__class__ = _CallableStage
del _name


def __getattr__(name: str) -> Any:
    if name in _API:
        from llmcensus import api

        value = getattr(api, name)
        setattr(sys.modules[__name__], name, value)
        return value
    raise AttributeError(f"module 'llmcensus' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
