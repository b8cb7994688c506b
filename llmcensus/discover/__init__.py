"""discover stage: where targets come from.

* ``formats/``   one parser per source export (censys, shodan, fofa, masscan, zmap, list), one table.
* ``importer``   parse files into the candidates dataset, reporting malformed records (file:line).
* ``candidates`` the append-only candidates dataset (``<data>/candidates/part-*.parquet``).
* ``sweep``, ``sweepplan``  the asyncio TCP-connect sweep and its dry-run plan.
* ``optout``     the opt-out list every stage honours (``<data>/optout.txt``).
* ``channels``   the per-channel report (``sql/channel_*.sql``).
"""
