"""The Spark engine: the same per-task pipeline as the local engine, run in
``mapPartitions`` on PySpark (private; the ``spark`` extra).

The policy source is broadcast once; each executor process builds its evaluator once per
broadcast. Event files are read by Spark (``binaryFiles``: local paths, ``s3a://``, ``hdfs://``
... whatever the cluster reads), one file per record, so a single file must fit in an
executor's memory (CloudTrail delivers files of at most a few MB).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from drpolicy.errors import MissingDependencyError, RequestError
from drpolicy.replay._evaluate import RESULT_COLUMNS, Evaluator, PolicySource
from drpolicy.replay._inputs import discover, events_of_bytes
from drpolicy.replay._summary import Summary

_EVALUATORS: dict[PolicySource, Evaluator] = {}


def _pyspark() -> Any:
    try:
        import pyspark
        import pyspark.sql
    except ImportError as exc:
        raise MissingDependencyError(
            "the Spark engine needs pyspark: pip install 'drpolicy[spark]'"
        ) from exc
    return pyspark


def _session(workers: int) -> Any:
    pyspark = _pyspark()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("drpolicy replay")
    if not pyspark.SparkConf().contains("spark.master"):  # not under spark-submit
        builder = builder.master(f"local[{workers}]").config("spark.ui.enabled", "false")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _schema() -> Any:
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    lists = {"reasons", "proposed_reasons"}
    return StructType([
        StructField(name, ArrayType(StringType()) if name in lists else StringType(), True)
        for name in RESULT_COLUMNS
    ])


def _local_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def _evaluate_partition(
    files: Iterable[tuple[str, bytes]], source: Any, origins: dict[str, str]
) -> Iterator[tuple[Any, ...]]:
    """In an executor: (path, content) pairs -> result rows."""
    policies: PolicySource = source.value
    evaluator = _EVALUATORS.get(policies)
    if evaluator is None:  # once per executor process and policy source
        evaluator = _EVALUATORS[policies] = Evaluator(policies)
    row = evaluator.row
    for uri, data in files:
        origin = origins.get(_local_path(uri), uri)
        for item, event_time in events_of_bytes(origin, data):
            r = row(item, event_time)
            yield tuple(list(v) if isinstance(v, tuple) else v for v in r)


def run_spark(
    paths: list[str], source: PolicySource, *, workers: int, out: str | os.PathLike[str] | None
) -> Summary:
    """Replay ``paths`` on Spark; results written as Parquet to ``out`` when given."""
    Evaluator(source)  # a bad source fails here, in the driver
    if out is not None and "://" not in str(out) and Path(out).exists():
        raise RequestError(f"the output `{out}` exists: the Spark engine does not overwrite")
    spark = _session(workers)
    sc = spark.sparkContext
    local = [p for p in paths if "://" not in p]
    remote = [p for p in paths if "://" in p]
    files = discover(local) if local else []
    origins = {str(f.resolve()): str(f) for f in files}
    inputs = [f.resolve().as_uri() for f in files] + remote
    if not inputs:
        raise RequestError("no inputs")
    sc._jsc.hadoopConfiguration().set(
        "mapreduce.input.fileinputformat.input.dir.recursive", "true")
    broadcast = sc.broadcast(source)
    partitions = max(2 * workers, 1)
    rdd = sc.binaryFiles(",".join(inputs), minPartitions=partitions)
    if rdd.getNumPartitions() < partitions:  # small files are combined into few splits
        rdd = rdd.repartition(partitions)
    results = rdd.mapPartitions(lambda part: _evaluate_partition(part, broadcast, origins))
    frame = spark.createDataFrame(results, _schema()).persist()
    try:
        if out is not None:
            if Path(out).suffix.lower() not in ("", ".parquet"):
                raise RequestError(f"the Spark engine writes a Parquet folder, not `{out}`")
            frame.write.mode("errorifexists").parquet(str(out))
        proposed = bool(source.proposed)
        summary: Summary = frame.rdd.mapPartitions(
            lambda part: [Summary(proposed).add_rows(part)]
        ).fold(Summary(proposed), lambda a, b: a.merge(b))
    finally:
        frame.unpersist()
    return summary
