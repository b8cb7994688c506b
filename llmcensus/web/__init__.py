"""The dashboard and HTTP API over the store (issue #21; ``docs/dashboard.md``): ``llmcensus serve``.

* ``readmodel.py``  what the server reads: the current snapshot, a cursor per request, metric results cached by
                    (name, parameters) per snapshot, host histories, alerts; the reload when the store changes
* ``snapshot.py``   a private copy of the store and its analysis relations (``store.derive.attach``): the server
                    never locks the store file, so its writer is never blocked
* ``pseudoindex.py`` pseudonym <-> address for every address of the store, kept in ``<data>/store/``
* ``query.py``      request values -> bound query parameters, row filters and pagination (never SQL text)
* ``security.py``   the bind rule (loopback, or a token), the token check, response headers
* ``app.py``        the JSON, CSV and Parquet endpoints (``/api/...``) and the FastAPI application
* ``pages.py``      the server-rendered HTML pages (Jinja2) and their plotly charts (``plotly.min.js`` served from
                    the installed ``plotly`` package, never a CDN)

The last stage: it reads ``analyze`` (the metric registry), ``report`` (dossiers) and ``monitor`` (alerts), and no
stage imports it (``tests/test_import_contract.py``).
"""
