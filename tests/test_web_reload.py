"""The server never blocks the store's writer (issue #21): while ``serve`` runs, ``llmcensus store update`` in another
process opens the store and folds new observations, and the server then shows them; and the pseudonym index is kept
in the data folder (0600, tagged with the key) so that a restart does not recompute it."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analyze_data import observation, tiny_models, write_tiny
from fastapi.testclient import TestClient

import llmcensus
from llmcensus.observations.schema import OBSERVATION_SCHEMA
from llmcensus.pseudonym import Pseudonymizer
from llmcensus.store.layout import Layout
from llmcensus.web.pseudoindex import FINGERPRINT_KEY, PseudonymIndex, key_fingerprint
from llmcensus.web.readmodel import ReadModel, ServeOptions
from llmcensus.web.snapshot import PREFIX, sweep_stale

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
D5 = dt.date(2025, 4, 3)
NEW = "1.0.3.1"


def _add_day(root: Path) -> None:
    """A sweep of a new day with a host the store has never seen (a part file, as a sweep commits it)."""
    folder = Layout(root).day_dir(D5)
    folder.mkdir(parents=True)
    rows = [observation(NEW, D5, [tiny_models()["llama3"]], version="0.14.0", running=[])]
    pq.write_table(pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA), folder / "part-2025-04-03-000001.parquet")


def test_store_update_runs_while_the_server_serves_and_the_server_then_shows_the_new_data(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "data")
    llmcensus.store_update(data)
    app = llmcensus.dashboard_app(data, reload_seconds=0.2)
    model: ReadModel = app.app.state.model
    client = TestClient(app)
    try:
        assert client.get("/api/hosts").json()["total"] == 8
        before = client.get("/api/activity").json()["days"]
        _add_day(data)
        done = subprocess.run([sys.executable, "-m", "llmcensus", "store", "update", "--data", str(data)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr  # the server held no lock on the store file
        # the watcher sees the store change and swaps in a new snapshot; the update writes the file more than once,
        # so a snapshot taken while it ran may still be the old state: wait for the new one
        deadline = time.monotonic() + 30
        while client.get("/api/hosts").json()["total"] != 9 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert model.generation >= 1
        hosts = client.get("/api/hosts").json()
        assert hosts["total"] == 9
        shown = Pseudonymizer.for_data(data).pseudonym(NEW)
        assert hosts["hosts"][0]["host"] == shown  # newest last day first
        page = client.get(f"/api/hosts/{shown}").json()
        assert [(d["day"], d["version"]) for d in page["days"]] == [(D5.isoformat(), "0.14.0")]
        after = client.get("/api/activity").json()["days"]
        assert after[:-1] == before and after[-1]["day"] == D5.isoformat()
        assert client.get(f"/hosts/{shown}").status_code == 200
        model.reload()  # a last write of the update that the watcher has not taken yet, if any
        assert model.reload() is False  # nothing changed since: the snapshot is kept
    finally:
        model.close()
    assert not model._state.snap.folder.exists()  # the private copy is gone with the server


def test_the_pseudonym_index_is_kept_in_the_data_folder_and_reused(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "data")
    llmcensus.store_update(data)
    first = ReadModel(ServeOptions(data, reload_seconds=None))
    try:
        assert first.index is not None and first.index.ready.wait(30)
        assert first.index.loaded == 0
    finally:
        first.close()
    path = Layout(data).pseudonym_index
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # a reverse table of published pseudonyms: like the key
    table = pq.read_table(path)
    key = (data / "pseudonym.key").read_bytes()
    assert table.schema.metadata[FINGERPRINT_KEY].decode() == key_fingerprint(key)
    pan = Pseudonymizer(key)
    assert table.num_rows == 8 and all(pan.pseudonym(r["ip"]) == r["pseudonym"] for r in table.to_pylist())
    again = PseudonymIndex(data, path)
    assert again.loaded == 8 and again.extend(str(ip) for ip in table.column("ip").to_pylist()) == 0  # none recomputed
    assert again.extend(["1.0.9.9", "not an address"]) == 1 and pq.read_table(path).num_rows == 9
    other = tmp_path / "other"
    other.mkdir()
    stale = PseudonymIndex(other, path)  # another folder's key: the saved pseudonyms are not its own
    assert stale.loaded == 0


def test_private_folders_of_servers_that_are_gone_are_swept(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"{PREFIX}{int(gone.stdout)}-abc"
    alive = tmp_path / f"{PREFIX}{os.getpid()}-def"
    other = tmp_path / "llmcensus-other"
    for folder in (dead, alive, other):
        (folder / "store").mkdir(parents=True)
    sweep_stale(tmp_path)
    assert not dead.exists() and alive.exists() and other.exists()


def test_the_server_starts_while_a_writer_holds_the_store_open(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "data")
    llmcensus.store_update(data)
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom llmcensus.store import db\n"
        f"con = db.connect({str(Layout(data).store_db('ip'))!r})\n"
        "con.execute(\"SET checkpoint_threshold = '1GB'\")\n"  # the change stays in the WAL, as mid-update
        "con.execute('CREATE TABLE s_extra AS SELECT 1 AS x')\nprint('holding', flush=True)\ntime.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "holding"
        model = ReadModel(ServeOptions(data, reload_seconds=None))  # DuckDB would refuse to attach the file itself
        try:
            assert model.hosts(10)[0] == 8
        finally:
            model.close()
        assert writer.poll() is None  # the writer was never disturbed
    finally:
        writer.kill()
        writer.wait()
