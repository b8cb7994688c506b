"""Model lists stored once by content hash (schema v3, issue #15): nothing lost, nothing shared that differs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from runtime_support import ollama_sweeps

from llmcensus.errors import DataError
from llmcensus.observations import writer as writer_module
from llmcensus.observations.contentstore import part_files
from llmcensus.observations.inventories import Inventories, InventoryStore, resolved_sql, split
from llmcensus.observations.reader import read_observations
from llmcensus.observations.schema import OBSERVATION_SCHEMA
from llmcensus.store import db
from llmcensus.store.layout import Layout

JSON = {"Content-Type": "application/json; charset=utf-8"}
SHOW = json.dumps({"system": "be brief", "capabilities": ["completion", "tools"], "template": "{{ .Prompt }}",
                   "model_info": {"general.architecture": "llama"}}).encode()


def _tags(*models: tuple[str, str]) -> bytes:
    return json.dumps({"models": [
        {"name": name, "model": name, "size": 1000, "digest": digest, "modified_at": "2026-01-01T00:00:00.5Z",
         "details": {"format": "gguf", "family": "llama", "parameter_size": "8B", "quantization_level": "Q4_K_M"}}
        for name, digest in models]}).encode()


LIST = _tags(("a:latest", "ab" * 32), ("b:7b", "cd" * 32))
# Two hosts send the same list; a third sends one that differs in one digest only.
HOSTS = {("192.0.2.1", 11434): LIST, ("192.0.2.2", 11434): LIST,
         ("192.0.2.3", 11434): _tags(("a:latest", "ab" * 32), ("b:7b", "ef" * 32))}


def _sweeps(data: Path, sweeps: list[str]) -> None:
    ollama_sweeps(data, HOSTS, sweeps, SHOW)


def _by_id(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {r["observation_id"]: r["models"] for r in rows}


def test_a_list_is_stored_once_per_content_and_reads_back_with_each_visits_show_status(tmp_path: Path) -> None:
    _sweeps(tmp_path, ["first", "second"])
    layout = Layout(tmp_path)
    raw = ds.dataset([str(p) for p in layout.observation_files()], format="parquet").to_table()
    assert raw.num_rows == 6 and raw.column("models").null_count == 6, "model lists are not inline in v3 parts"
    assert raw.column("inventory_hash").null_count == 0
    stored = Inventories(layout.inventories)
    assert len(stored) == 2, "the two hosts with one list share it; the third host's list differs in one digest"
    obs = read_observations(tmp_path).to_pylist()
    for o in obs:
        models = o["models"]
        want = {(m["name"], m["digest"]) for m in json.loads(HOSTS[(o["ip"], o["port"])])["models"]}
        assert {(m["name"], m["digest"]) for m in models} == want
        assert all(m["capabilities"] == ["completion", "tools"] and m["system"] == "be brief" for m in models)
        # where the show fields came from stays with the visit, not with the shared list
        assert {m["show_status"] for m in models} == ({"fetched"} if o["sweep_id"] == "first" else {"cached"})
        assert o["model_count"] == len(models)


def test_duckdb_and_the_documented_join_read_the_lists_as_the_arrow_reader_does(tmp_path: Path) -> None:
    _sweeps(tmp_path, ["first", "second"])
    layout = Layout(tmp_path)
    want = _by_id(read_observations(tmp_path).to_pylist())
    source = f"read_parquet({db.quote(layout.observations / '**' / '*.parquet')}, union_by_name = true)"
    con = db.connect()
    try:
        columns = con.sql(f"SELECT * FROM {source} LIMIT 0").columns
        got = con.sql(resolved_sql(source, columns, part_files(layout.inventories))).to_arrow_table()
        assert _by_id(got.select(["observation_id", "models"]).to_pylist()) == want
        text = (Path(__file__).parents[1] / "docs" / "schema.md").read_text()
        snippet = text.split("```sql\n", 1)[1].split("```", 1)[0].replace("data/", f"{tmp_path.as_posix()}/")
        documented = con.sql(snippet).to_arrow_table().select(["observation_id", "models"]).to_pylist()
        assert _by_id(documented) == want
    finally:
        con.close()


def test_inline_and_stored_lists_resolve_side_by_side_and_a_missing_list_is_an_error(tmp_path: Path) -> None:
    models = [{"name": "x:1b", "digest": "11" * 32, "show_status": "cached", "family": "qwen2"}]
    store = InventoryStore(tmp_path / "inventories")
    digest, statuses, _ = store.add(models)
    assert statuses == ["cached"] and digest == split(models)[0]
    assert store.add([dict(models[0], show_status="fetched")])[0] == digest, "show_status is not part of the list"
    assert store.add([dict(models[0], family="llama")])[0] != digest, "any other field makes another list"
    store.flush("t")
    rows = [{"observation_id": "stored", "models": None, "inventory_hash": digest, "model_show_status": ["fetched"]},
            {"observation_id": "inline", "models": [{"name": "y:2b", "show_status": "error"}], "inventory_hash": None},
            {"observation_id": "unread", "models": None, "inventory_hash": None}]
    table = pa.Table.from_pylist(rows, schema=pa.schema([OBSERVATION_SCHEMA.field(n) for n in (
        "observation_id", "models", "inventory_hash", "model_show_status")]))
    out = {r["observation_id"]: r["models"] for r in Inventories(tmp_path / "inventories").resolve(table).to_pylist()}
    assert [(m["name"], m["family"], m["show_status"]) for m in out["stored"]] == [("x:1b", "qwen2", "fetched")]
    assert [(m["name"], m["show_status"]) for m in out["inline"]] == [("y:2b", "error")]
    assert out["unread"] is None
    bad = table.set_column(2, "inventory_hash", pa.array(["ff" * 16, None, None], pa.string()))
    with pytest.raises(DataError, match="not in the store"):
        Inventories(tmp_path / "inventories").resolve(bad)


def test_a_list_is_committed_before_the_part_that_refers_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               ) -> None:
    order: list[str] = []
    real = writer_module.write_parquet_atomic

    def spy(table: pa.Table, path: Path, **kw: Any) -> None:
        order.append(path.parent.name if path.parent.name in ("inventories", "bodies") else "observations")
        real(table, path, **kw)

    monkeypatch.setattr(writer_module, "write_parquet_atomic", spy)
    _sweeps(tmp_path, ["first"])
    assert "inventories" in order and order.index("inventories") < order.index("observations")
