"""The model_capabilities view on a tiny hand-made observations dataset with known answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from enrich_support import model, observation, write_observations

from llmcensus.enrich.capabilities import LABELS, capabilities_sql, create_capabilities_view
from llmcensus.enrich.schema import CAPABILITIES

CAPS = ("completion", "tools", "insert", "vision", "embedding", "thinking", "image", "audio")

ROWS = [
    # v0.9.0: the show list is authoritative for everything up to thinking
    observation("o1", "1.1.1.1", "0.9.0", [
        model("qwen3:8b", family="qwen3", parameter_size="8.2B", capabilities=["completion", "tools", "thinking"],
              template_flags=["system", "tools", "thinking"]),
        model("nomic-embed-text:latest", family="nomic-bert", parameter_size="137M", capabilities=["embedding"]),
    ]),
    # v0.7.0: reported list, but thinking cannot be reported yet -> inferred from the template or unknown
    observation("o2", "8.8.8.8", "0.7.0", [
        model("deepseek-r1:8b", family="llama", parameter_size="8.0B", capabilities=["completion", "tools"],
              template_flags=["system", "tools"]),
        model("qwq:latest", family="qwen2", parameter_size="32.8B", capabilities=["completion", "tools"],
              template_flags=["tools", "thinking"]),
    ]),
    # v0.5.7: no list at all -> template flags, projector and architecture
    observation("o3", "9.9.9.9", "0.5.7", [
        model("llava:7b", family="llama", families=["llama", "clip"], parameter_size="7B", template_flags=["system"]),
        model("qwen2.5-coder:7b", family="qwen2", parameter_size="7.6B", template_flags=["tools", "suffix"]),
        model("mxbai-embed-large:latest", family="bert", parameter_size="334M"),
        model("gemma3:1b", family="gemma3", parameter_size="999.89M", template_flags=[]),
        model("gemma3:12b", family="gemma3", parameter_size="12.2B", template_flags=[]),
        model("mystery:latest", family="newarch", parameter_size="3B"),
        model("gpt-oss:20b", family="gptoss", parameter_size="20.9B"),
    ]),
    # v0.30: /api/tags list when show was not read
    observation("o4", "4.4.4.4", "0.30.1", [
        model("gemma4:latest", family="gemma4", tags_capabilities=["completion", "vision", "audio", "tools"]),
    ]),
    observation("o5", "5.5.5.5", None, None),  # refused: no models, no rows
]

# (observation, model_idx) -> {cap: (value, source)}; caps not listed are (None, "unknown")
EXPECTED: dict[tuple[str, int], dict[str, tuple[Any, str]]] = {
    ("o1", 1): {"completion": (True, "reported"), "tools": (True, "reported"), "insert": (False, "reported"),
                "vision": (False, "reported"), "embedding": (False, "reported"), "thinking": (True, "reported")},
    ("o1", 2): {"completion": (False, "reported"), "tools": (False, "reported"), "insert": (False, "reported"),
                "vision": (False, "reported"), "embedding": (True, "reported"), "thinking": (False, "reported")},
    ("o2", 1): {"completion": (True, "reported"), "tools": (True, "reported"), "insert": (False, "reported"),
                "vision": (False, "reported"), "embedding": (False, "reported")},
    ("o2", 2): {"completion": (True, "reported"), "tools": (True, "reported"), "insert": (False, "reported"),
                "vision": (False, "reported"), "embedding": (False, "reported"), "thinking": (True, "inferred")},
    ("o3", 1): {"completion": (True, "inferred"), "tools": (False, "inferred"), "insert": (False, "inferred"),
                "vision": (True, "inferred"), "embedding": (False, "inferred")},
    ("o3", 2): {"completion": (True, "inferred"), "tools": (True, "inferred"), "insert": (True, "inferred"),
                "vision": (False, "inferred"), "embedding": (False, "inferred")},
    ("o3", 3): {"completion": (False, "inferred"), "vision": (False, "inferred"), "embedding": (True, "inferred")},
    ("o3", 4): {"completion": (True, "inferred"), "tools": (False, "inferred"), "insert": (False, "inferred"),
                "vision": (False, "inferred"), "embedding": (False, "inferred")},
    ("o3", 5): {"completion": (True, "inferred"), "tools": (False, "inferred"), "insert": (False, "inferred"),
                "vision": (True, "inferred"), "embedding": (False, "inferred")},
    ("o3", 6): {},
    ("o3", 7): {"completion": (True, "inferred"), "vision": (False, "inferred"), "embedding": (False, "inferred"),
                "thinking": (True, "inferred")},
    ("o4", 1): {"completion": (True, "reported"), "tools": (True, "reported"), "insert": (False, "reported"),
                "vision": (True, "reported"), "embedding": (False, "reported"), "thinking": (False, "reported"),
                "image": (False, "reported"), "audio": (True, "reported")},
}


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], dict[str, Any]]:
    data: Path = tmp_path_factory.mktemp("caps")
    write_observations(data, ROWS)
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW observations AS SELECT * FROM read_parquet('{data.as_posix()}/observations/**/*.parquet', "
        "hive_partitioning = false)"
    )
    create_capabilities_view(con)
    cur = con.execute("SELECT * FROM model_capabilities")
    cols = [d[0] for d in cur.description]
    out = {}
    for row in cur.fetchall():
        rec = dict(zip(cols, row, strict=True))
        out[(rec["observation_id"], rec["model_idx"])] = rec
    con.close()
    return out


def test_one_row_per_model_instance(view: dict[tuple[str, int], dict[str, Any]]) -> None:
    assert set(view) == set(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_known_answers(view: dict[tuple[str, int], dict[str, Any]], key: tuple[str, int]) -> None:
    rec = view[key]
    for cap in CAPS:
        value, source = EXPECTED[key].get(cap, (None, "unknown"))
        assert (rec[cap], rec[f"{cap}_source"]) == (value, source), (key, cap)
        assert rec[f"{cap}_source"] in LABELS
        if rec[f"{cap}_source"] == "unknown":
            assert rec[cap] is None


def test_view_covers_every_capability_and_is_rendered() -> None:
    sql = capabilities_sql()
    assert "{" not in sql.split("CREATE OR REPLACE VIEW", 1)[1]
    for cap in CAPABILITIES:
        assert f"AS {cap}_source" in sql
