"""A Rich progress bar for sweeps: done/total, rate, and counts by status (on stderr)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class SweepProgress:
    def __init__(self, total: int | None, *, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self.total = total
        self._last = 0

    def start(self) -> None:
        if not self.enabled:
            return
        self._progress = Progress(
            TextColumn("[bold]scan"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>7.0f} hosts/s"), TimeElapsedColumn(), TextColumn("{task.fields[counts]}"),
            console=Console(stderr=True), refresh_per_second=4, transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("scan", total=self.total, rate=0.0, counts="")

    def update(self, done: int, counts: Mapping[str, int]) -> None:
        if self._progress is None or self._task is None:
            return
        text = " ".join(f"{k}={v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        elapsed = self._progress.tasks[0].elapsed or 0.0
        self._progress.update(self._task, completed=done, counts=text, rate=done / elapsed if elapsed else 0.0)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
