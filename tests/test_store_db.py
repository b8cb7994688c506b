"""The study's DuckDB connection: its memory budget follows the machine unless the user sets one."""

from __future__ import annotations

import os

import pytest

from llmcensus.errors import ConfigError
from llmcensus.store.db import MEMORY_LIMIT_ENV, connect, default_memory_limit
from llmcensus.store.ingest import fold_rows


def _limit_bytes(con_limit: str) -> float:
    """DuckDB shows the setting rounded to one decimal, e.g. "2.7 GiB"."""
    number, unit = con_limit.split()
    return float(number) * {"MiB": 2**20, "GiB": 2**30, "KiB": 2**10}[unit]


def test_default_budget_is_two_thirds_of_physical_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    assert default_memory_limit() == f"{max(2560, total_mb * 2 // 3)}MB"
    got = connect().execute("SELECT current_setting('memory_limit')").fetchone()
    assert got is not None
    assert _limit_bytes(got[0]) == pytest.approx(max(2560, total_mb * 2 // 3) * 1e6, rel=0.05)


def test_budget_never_below_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    monkeypatch.setattr(os, "sysconf", lambda name: 1024 if name == "SC_PHYS_PAGES" else 4096)  # a 4 MiB machine
    assert default_memory_limit() == "2560MB"


def test_environment_and_argument_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "3GB")
    got = connect().execute("SELECT current_setting('memory_limit')").fetchone()
    assert got is not None and _limit_bytes(got[0]) == pytest.approx(3e9, rel=0.05)
    got = connect(memory_limit="1GB").execute("SELECT current_setting('memory_limit')").fetchone()
    assert got is not None and _limit_bytes(got[0]) == pytest.approx(1e9, rel=0.05)


def test_malformed_budget_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ConfigError, match="memory limit 'lots'"):
        connect()


@pytest.mark.parametrize(("budget", "expected"), [("2560MB", 1_286_253), ("16070MB", 8_332_683), ("100MB", 1_000_000)])
def test_rows_held_before_a_mid_month_fold_follow_the_budget(budget: str, expected: int) -> None:
    # a quarter of the budget over two workers at 240 bytes a held observation: 2560 MB shows as "2.3 GiB",
    # 2.3 * 2**30 / (4 * 2 * 240) = 1,286,253; 100 MB would give 52,000 rows, below the floor of a million
    assert fold_rows(connect(memory_limit=budget)) == expected


def test_an_unlimited_budget_means_no_mid_month_fold() -> None:
    con = connect()
    con.execute("SET memory_limit = '-1'")  # shown as "16383.9 PiB": no mid-month fold, as the user asked
    assert fold_rows(con) > 10**12
