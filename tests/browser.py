"""A headless Chromium page for the browser tests (report, dossier): one place that knows how to start it and
which page events count as errors."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]  # fmt: skip


@contextmanager
def browser_page() -> Iterator[tuple[Any, list[str]]]:
    """(a blank page of a fresh headless Chromium, the console errors, page errors and dialogs it raises)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: errors.append("dialog: " + d.message))
            yield page, errors
        finally:
            browser.close()


@contextmanager
def page_at(path: Path) -> Iterator[tuple[Any, list[str]]]:
    """(the loaded page of ``path``, the errors it raised so far)."""
    with browser_page() as (page, errors):
        page.goto(path.as_uri(), timeout=20_000)
        yield page, errors


def free_port() -> int:
    """A TCP port free on loopback now (the server binds it a moment later)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """The ASGI ``app`` served by uvicorn on a free loopback port in a thread: its base URL."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        assert server.started, "the server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
