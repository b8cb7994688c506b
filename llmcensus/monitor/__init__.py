"""Lineage monitoring: watchlists, alert rules over the store, and their delivery (issue #18).

Reads the store's relations (``store/derive.py``, ``store/lineage.py``) and the named metrics; writes only under
``<data>/monitor/``. The stage after ``analyze``: ``cli`` (``llmcensus run``, ``llmcensus store update``) calls
``check.check`` after each store update.
"""
