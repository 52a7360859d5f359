"""The local engine: a process pool, policies compiled once per worker, bounded batches
(private)."""

from __future__ import annotations

import collections
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from drpolicy.errors import LoaderError
from drpolicy.replay._evaluate import Evaluator, PolicySource
from drpolicy.replay._inputs import Task, events, tasks
from drpolicy.replay._outputs import Writer, encode
from drpolicy.replay._summary import Summary

_EVALUATOR: Evaluator | None = None
_FORMAT: str | None = None


def _init(source: PolicySource, fmt: str | None) -> None:
    """Worker initializer: compile the policies once for every task this worker runs."""
    global _EVALUATOR, _FORMAT
    _EVALUATOR = Evaluator(source)
    _FORMAT = fmt


def run_task(task: Task) -> tuple[Any, Summary]:
    """Evaluate one task in this worker: ``(encoded rows or None, partial summary)``.

    A failure comes back as ``(_Failure, None)``: drpolicy's errors carry constructor
    arguments that pickling between processes would lose.
    """
    evaluator = _EVALUATOR
    assert evaluator is not None, "worker not initialised"
    try:
        rows = evaluate_task(evaluator, task)
    except LoaderError as exc:
        return _Failure(exc.source, str(exc)), None  # type: ignore[return-value]
    summary = Summary(evaluator.proposed is not None).add_rows(rows)
    return (None if _FORMAT is None else encode(rows, _FORMAT)), summary


class _Failure:
    """A worker's LoaderError, in a form that pickles."""

    def __init__(self, source: str, message: str) -> None:
        self.source, self.message = source, message

    def raise_(self) -> None:
        raise LoaderError(self.source, self.message.removeprefix(f"{self.source}: "))


def evaluate_task(evaluator: Evaluator, task: Task) -> list[tuple[Any, ...]]:
    """The result rows of one task."""
    row = evaluator.row
    return [row(item, event_time) for item, event_time in events(task)]


class Progress:
    """A one-line progress display on a terminal: events, events/s, and percent and ETA
    from the bytes read when the input size is known."""

    def __init__(self, total_bytes: int, stream: IO[str] | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty()
        self.total = total_bytes
        self.start = self.last = time.monotonic()
        self.events = self.done = 0

    def update(self, events: int, done_bytes: int) -> None:
        self.events += events
        self.done += done_bytes
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.5:
            return
        self.last = now
        rate = self.events / max(now - self.start, 1e-9)
        line = f"\r{self.events:>12,} events  {rate:>9,.0f} events/s"
        if self.total > 0 and self.done > 0:
            fraction = min(self.done / self.total, 1.0)
            eta = (now - self.start) * (1 - fraction) / fraction
            line += f"  {fraction:6.1%}  ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()


def run_local(
    files: Sequence[Path],
    source: PolicySource,
    *,
    workers: int,
    out: str | Path | None,
    progress: bool = True,
) -> Summary:
    """Replay ``files`` with ``workers`` processes (1: in this process)."""
    writer = Writer(out)
    summary = Summary(bool(source.proposed))
    meter = Progress(sum(p.stat().st_size for p in files)) if progress else None
    try:
        for (payload, part), size in _results(files, source, workers, writer.fmt):
            if isinstance(payload, _Failure):
                payload.raise_()
            if payload is not None:
                writer.write(payload)
            summary.merge(part)
            if meter is not None:
                meter.update(part.counts["events"], size)
    finally:
        writer.close()
        if meter is not None:
            meter.close()
    return summary


def _results(
    files: Sequence[Path], source: PolicySource, workers: int, fmt: str | None
) -> Iterator[tuple[tuple[Any, Summary], int]]:
    if workers <= 1:
        _init(source, fmt)
        for task, size in tasks(files):
            yield run_task(task), size
        return
    Evaluator(source)  # a bad source fails here, not in every worker's initializer
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    window = 2 * workers
    with ctx.Pool(workers, initializer=_init, initargs=(source, fmt)) as pool:
        pending: collections.deque[tuple[Any, int]] = collections.deque()
        for task, size in tasks(files):
            pending.append((pool.apply_async(run_task, (task,)), size))
            if len(pending) >= window:  # bounded: at most `window` tasks in flight
                result, done = pending.popleft()
                yield result.get(), done
        while pending:
            result, done = pending.popleft()
            yield result.get(), done


def default_workers() -> int:
    """The CPU count available to this process."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
