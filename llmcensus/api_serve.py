"""The dashboard and HTTP API of the public API (re-exported by ``llmcensus.api``): ``serve`` and ``dashboard_app``,
and ``export``, the pseudonymised copy of the observations for sharing (the same pseudonyms).

Kept beside ``api.py`` like ``api_dossier.py``: paths and plain values in, only ``LLMCensusError`` raised, nothing
printed, heavy imports (FastAPI, uvicorn, DuckDB) deferred to the call. ``docs/dashboard.md`` explains the bind
rule, the token and the pseudonyms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcensus.api_more import as_day
from llmcensus.errors import UsageError

if TYPE_CHECKING:
    from llmcensus.observations.export import ExportResult

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8731
RELOAD_SECONDS = 30.0  # the server compares the store file with its copy this often (one stat)


def dashboard_app(data_dir: str | Path, *, token: str | None = None, raw_addresses: bool = False,
                  host_key: str = "ip", reload_seconds: float | None = RELOAD_SECONDS) -> Any:
    """The ASGI application of the dashboard over the store of ``data_dir``: a private copy of the store as of its
    last update, checked every ``reload_seconds`` (None: never) and taken again when a writer has updated it; the
    store is never written nor locked. ``token``: every request must send ``Authorization: Bearer <token>``.
    Addresses are pseudonymised unless ``raw_addresses`` (the key is created in the data folder on first use)."""
    from llmcensus.web.app import create_app
    from llmcensus.web.readmodel import ReadModel, ServeOptions

    if not Path(data_dir).is_dir():
        raise UsageError(f"no data folder {data_dir}")
    if reload_seconds is not None and not reload_seconds > 0:
        raise UsageError(f"reload_seconds must be positive, not {reload_seconds}")
    model = ReadModel(ServeOptions(Path(data_dir), host_key=host_key, raw_addresses=raw_addresses,
                                   reload_seconds=reload_seconds))
    return create_app(model, token=token)


def serve_token(host: str, token_file: str | Path | None = None, environ: Mapping[str, str] | None = None
                ) -> str | None:
    """The token the server will require (from ``token_file``, else ``$LLMCENSUS_TOKEN``; None: no token), after
    checking the bind rule: listening on anything but loopback without a token is a ``UsageError``."""
    from llmcensus.web.security import check_bind, read_token

    token = read_token(token_file, environ)
    check_bind(host, token)
    return token


def serve(data_dir: str | Path, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          token_file: str | Path | None = None, raw_addresses: bool = False, host_key: str = "ip",
          log_level: str = "warning") -> None:
    """Serve the dashboard and API of ``data_dir`` on ``host:port`` until interrupted (uvicorn). The bind rule is
    checked before anything is loaded (``serve_token``)."""
    import uvicorn

    if not 0 < port < 65536:
        raise UsageError(f"port must be 1 to 65535, not {port}")
    token = serve_token(host, token_file)
    app = dashboard_app(data_dir, token=token, raw_addresses=raw_addresses, host_key=host_key)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                            server_header=False, proxy_headers=False)  # fmt: skip
    try:
        uvicorn.Server(config).run()
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    finally:
        app.app.state.model.close()  # the snapshot's private folder goes with it


def export(data_dir: str | Path, out: str | Path, *, since: dt.date | str | None = None,
           until: dt.date | str | None = None, raw_addresses: bool = False,
           progress: Callable[[str, int, int | None], None] | None = None) -> ExportResult:
    """Copy the observations of ``data_dir`` (the days ``since`` to ``until``, inclusive; every day by default) to
    the new or empty folder ``out``, in the same layout, every address replaced by the dashboard's pseudonym unless
    ``raw_addresses``; raw reply bodies are not copied; ``manifest.json`` and ``README.txt`` say what was done
    (``docs/dashboard.md``, "Sharing data")."""
    from llmcensus.observations.export import export_observations

    return export_observations(data_dir, out, since=as_day(since, "--since"), until=as_day(until, "--until"),
                               raw_addresses=raw_addresses, progress=progress)
