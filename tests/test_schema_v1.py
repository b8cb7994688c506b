"""A v1 dataset reads through the current reader and gives the same metrics as before (issue #16, acceptance 4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from compare import same

from llmcensus.cli.main import main
from llmcensus.observations.reader import read_observations
from llmcensus.observations.schema import OBSERVATION_SCHEMA, SCHEMA_VERSION

FROZEN = Path(__file__).parent / "fixtures" / "v1_study"
VOLATILE = {"generated_at", "llmcensus_version"}


def _metrics(path: Path) -> dict[str, Any]:
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in VOLATILE}


def test_a_v1_study_reads_as_the_current_schema_and_gives_the_same_metrics(tmp_path: Path) -> None:
    assert SCHEMA_VERSION >= 2
    data = tmp_path / "data"
    for name in ("observations", "show", "sweeps"):
        shutil.copytree(FROZEN / name, data / name)
    table = read_observations(data)
    assert table.schema.names == OBSERVATION_SCHEMA.names
    assert set(table.column("schema_version").to_pylist()) == {1}
    assert table.column("runtime_data").null_count == table.num_rows  # upgraded on the fly, nothing rewritten
    assert table.column("inventory_hash").null_count == table.num_rows  # v3: v1 model lists stay inline
    assert table.column("models").null_count < table.num_rows
    assert main(["enrich", "run", "--data", str(data)]) == 0
    assert main(["report", "--data", str(data), "--out", str(tmp_path / "report")]) == 0
    got, want = _metrics(tmp_path / "report" / "metrics.json"), _metrics(FROZEN / "metrics.json")
    assert got.keys() == want.keys()
    for key in want.keys() - {"metrics"}:
        assert same(got[key], want[key]), key
    # every metric the v1 code computed, value for value (new metrics and new columns may be added; definitions may
    # be reworded)
    assert set(want["metrics"]) <= set(got["metrics"])
    for name, frozen in want["metrics"].items():
        now = got["metrics"][name]
        kept = frozen["columns"]
        assert [c for c in now["columns"] if c in kept] == kept, name
        rows = [{c: r[c] for c in kept} for r in now["rows"]]
        assert same(rows, frozen["rows"]), name
    frozen = sorted(p.relative_to(FROZEN) for p in (FROZEN / "observations").rglob("*"))
    assert sorted(p.relative_to(data) for p in (data / "observations").rglob("*")) == frozen
