"""The local engine: a process pool, policies compiled once per worker, bounded batches
(private).

With several workers the parent does almost nothing per event: it names the tasks (a whole
file is one task, passed by path), and each worker reads, decompresses, decodes, maps,
evaluates and encodes its task, writes the encoded rows to a part file next to the output, and
returns only the part's path and a partial summary. The parent appends the parts in input
order (an in-kernel copy for JSONL and CSV) and merges the summaries, so the output is
byte-identical to a one-worker run.
"""

from __future__ import annotations

import collections
import gc
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import IO, Any

from drpolicy.errors import LoaderError
from drpolicy.replay._evaluate import Evaluator, PolicySource
from drpolicy.replay._inputs import Task, events, tasks
from drpolicy.replay._outputs import Writer, encode, write_part
from drpolicy.replay._summary import Summary

_EVALUATOR: Evaluator | None = None
_FORMAT: str | None = None
_PARTS: Path | None = None


def _init(source: PolicySource, fmt: str | None, parts: Path | None = None) -> None:
    """Worker initializer: compile the policies once for every task this worker runs."""
    global _EVALUATOR, _FORMAT, _PARTS
    _EVALUATOR = Evaluator(source)
    _FORMAT = fmt
    _PARTS = parts


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


def run_part(index: int, task: Task) -> tuple[Any, Summary | None]:
    """Evaluate one task in a worker process: ``(part file or None, partial summary)``; the
    part holds the task's encoded rows (:func:`write_part`), the parent appends it."""
    evaluator = _EVALUATOR
    assert evaluator is not None, "worker not initialised"
    try:
        rows = evaluate_task(evaluator, task)
    except LoaderError as exc:
        return _Failure(exc.source, str(exc)), None
    summary = Summary(evaluator.proposed is not None).add_rows(rows)
    if _FORMAT is None or _PARTS is None:
        return None, summary
    path = _PARTS / f"{index:010d}.part"
    write_part(rows, _FORMAT, path)
    return path, summary


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
    parts = None
    if workers > 1 and writer.path is not None:  # next to the output: same file system
        parts = Path(tempfile.mkdtemp(prefix=".drpolicy-replay-", dir=writer.path.parent))
    results = _results(files, source, workers, writer.fmt, parts)
    try:
        for (payload, part), size in results:
            if isinstance(payload, _Failure):
                payload.raise_()
            if isinstance(payload, Path):
                writer.append_part(payload)
                payload.unlink()
            elif payload is not None:
                writer.write(payload)
            summary.merge(part)
            if meter is not None:
                meter.update(part.counts["events"], size)
    finally:
        results.close()  # stops the pool before its part files are removed
        writer.close()
        if parts is not None:
            shutil.rmtree(parts, ignore_errors=True)
        if meter is not None:
            meter.close()
    return summary


def _results(
    files: Sequence[Path], source: PolicySource, workers: int, fmt: str | None,
    parts: Path | None,
) -> Generator[tuple[tuple[Any, Summary], int], None, None]:
    if workers <= 1:
        _init(source, fmt)
        for task, size in tasks(files):
            yield run_task(task), size
        return
    Evaluator(source)  # a bad source fails here, not in every worker's initializer
    fork = "fork" in multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    # Results are small (a part file's path and a summary), so more tasks can be in flight
    # than workers: a worker never waits for a slow task ahead of it. Memory stays bounded:
    # a task is a file's path or one block of at most BLOCK bytes.
    window = 4 * workers
    if fork:  # the workers' garbage collector leaves the inherited objects alone
        gc.freeze()
    try:
        pool = ctx.Pool(workers, initializer=_init, initargs=(source, fmt, parts))
    finally:
        if fork:
            gc.unfreeze()
    with pool:
        pending: collections.deque[tuple[Any, int]] = collections.deque()
        for index, (task, size) in enumerate(tasks(files)):
            pending.append((pool.apply_async(run_part, (index, task)), size))
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
