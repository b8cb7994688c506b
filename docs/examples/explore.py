"""Explore a finished study in DuckDB and pandas, and draw one figure.

    llmcensus study --out demo-out --hosts 200 --days 3      # or any data folder with observations
    python docs/examples/explore.py demo-out explore-out

Writes ``hosts_by_country.png`` when matplotlib is installed, else the figure's data as ``hosts_by_country.csv``
(llmcensus does not depend on matplotlib). Runs as a test: ``tests/test_api_docs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import llmcensus


def main(data: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)

    # 1. SQL over the store's relations (docs/store.md): one row per host, with its country
    con = llmcensus.open_store(data)
    try:
        by_country = con.sql("""
            SELECT g.country, count(*) AS hosts, round(avg(s.host_days), 2) AS mean_days_seen
            FROM host_stats s JOIN host_geo g USING (host)
            GROUP BY g.country ORDER BY hosts DESC, g.country LIMIT 15
        """).to_arrow_table()
    finally:
        con.close()

    # 2. A named metric as an Arrow table, then pandas (a dev dependency; plain Arrow without it)
    headline = llmcensus.metrics(data, ["headline"])["headline"]
    try:
        frame = by_country.to_pandas()
        print(headline.to_pandas().pivot(index="figure", columns="scope", values="value").head(8))
    except ImportError:
        frame = None
        print(headline.slice(0, 8).to_pylist())

    # 3. One figure: hosts per country
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        import pyarrow.csv as pacsv

        path = out / "hosts_by_country.csv"
        pacsv.write_csv(by_country, path)
        print(f"matplotlib is not installed: wrote the figure's data to {path}")
        return path
    fig, ax = plt.subplots(figsize=(8, 4))
    countries = by_country.column("country").to_pylist() if frame is None else list(frame["country"])
    hosts = by_country.column("hosts").to_pylist() if frame is None else list(frame["hosts"])
    ax.bar(countries, hosts)
    ax.set_xlabel("country")
    ax.set_ylabel("hosts")
    ax.set_title("Exposed Ollama hosts by country")
    path = out / "hosts_by_country.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: explore.py DATA_FOLDER OUT_FOLDER")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
