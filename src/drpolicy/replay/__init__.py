"""Replay request logs (CloudTrail) against current and proposed policies.

Each event becomes an IAM request (principal, action, resource, context: see
docs/replay.md for the mapping and its coverage), is decided by the real evaluator with the
current policies and, when given, the proposed ones, and is counted in a :class:`Summary`:
what is allowed and denied, what the proposal would break, and where drpolicy disagrees with
what the log recorded.

>>> from drpolicy.replay import PolicySource, map_event
>>> request = map_event({"eventID": "e1", "eventTime": "2026-10-05T09:12:44Z",
...     "eventSource": "s3.amazonaws.com", "eventName": "HeadObject", "awsRegion": "us-east-1",
...     "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/carol"},
...     "requestParameters": {"bucketName": "example-reports", "key": "carol/q3.csv"}})
>>> request.principal, request.action, request.resource
('arn:aws:iam::111122223333:user/carol', 's3:GetObject', 'arn:aws:s3:::example-reports/carol/q3.csv')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from drpolicy.errors import RequestError
from drpolicy.replay._evaluate import NOT_EVALUATED, RESULT_COLUMNS, PolicySource
from drpolicy.replay._inputs import discover
from drpolicy.replay._local import default_workers, run_local
from drpolicy.replay._mapping import UNMAPPED_REASONS, Request, Unmapped, map_record
from drpolicy.replay._summary import Summary

__all__ = [
    "ENGINES",
    "NOT_EVALUATED",
    "RESULT_COLUMNS",
    "UNMAPPED_REASONS",
    "PolicySource",
    "Request",
    "Summary",
    "Unmapped",
    "map_event",
    "replay",
]

ENGINES: Final = ("local", "spark")
"""The engines :func:`replay` runs on."""


def __dir__() -> list[str]:
    return __all__


def map_event(record: Any) -> Request | Unmapped:
    """One CloudTrail record (a parsed JSON object, or an EventBridge envelope) as the IAM
    request it made, or as an :class:`Unmapped` with the reason it cannot be evaluated.

    Role and user paths that the event does not carry are filled in from the policy source
    by :func:`replay`, not here.
    """
    return map_record(record)


def replay(
    events: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    source: PolicySource,
    *,
    engine: str = "local",
    workers: int | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
    unused: bool = True,
) -> Summary:
    """Replay event files against ``source`` (and its proposed policies).

    Args:
        events: files or folders (walked): CloudTrail log files (``{"Records": [...]}``,
            ``.json`` or ``.json.gz``), one event per line (JSONL), or request tables
            (JSONL, CSV or Parquet with columns principal, action, resource, context). With
            the Spark engine also any path the cluster reads (``s3a://...``).
        source: the policies (see :class:`PolicySource`).
        engine: ``local`` (a process pool) or ``spark`` (PySpark; the ``spark`` extra).
        workers: local processes (default: the CPU count); with Spark the local-mode cores
            when no cluster is configured.
        out: write one result per event here, as JSONL, CSV or Parquet by extension (with
            Spark: a Parquet folder).
        progress: show a progress line on a terminal's stderr.
        unused: also list, per principal of the log that ``source`` defines, the actions it
            is granted (the catalog's what-can) and never used in the log
            (``Summary.granted_unused``; docs/replay.md says how far the expansion goes).

    Raises:
        LoaderError: an input cannot be read.
        RequestError: a bad engine, worker count or output name.
        MissingDependencyError: Parquet without pyarrow, Spark without pyspark.
    """
    paths = [events] if isinstance(events, (str, os.PathLike)) else list(events)
    if engine not in ENGINES:
        raise RequestError(f"unknown engine `{engine}`: one of {', '.join(ENGINES)}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise RequestError(f"workers must be a positive integer, not {workers!r}")
    count = default_workers() if workers is None else workers
    if engine == "spark":
        from drpolicy.replay._spark import run_spark

        summary = run_spark([str(p) for p in paths], source, workers=count, out=out)
    else:
        files = discover(paths)
        if out is not None and Path(out).exists() and Path(out).resolve() in {
            f.resolve() for f in files
        }:
            raise RequestError(f"the output `{out}` is also one of the inputs")
        summary = run_local(files, source, workers=count,
                            out=None if out is None else Path(out), progress=progress)
    if unused:
        from drpolicy.replay._unused import granted_unused

        summary.granted_unused = granted_unused(source, summary.actions)
    return summary
