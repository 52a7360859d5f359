"""The Spark engine (local mode) gives the local engine's results, row for row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drpolicy.replay import PolicySource, replay
from drpolicy.replay._generate import write_lines, write_trail

pytest.importorskip("pyspark")
pq = pytest.importorskip("pyarrow.parquet")

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "data" / "account" / "authorization-details.json"
HANDWRITTEN = ROOT / "tests" / "data" / "cloudtrail" / "handwritten.json"


@pytest.mark.slow
def test_spark_and_local_engines_agree(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    write_trail(inputs / "trail", 3000, per_file=400, seed=21, drift=0.02)
    write_lines(inputs / "bridge.jsonl.gz", 500, seed=22)
    (inputs / "handwritten.json").write_bytes(HANDWRITTEN.read_bytes())
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::example-datalake/curated/*"}]}
    source = PolicySource.account_export(EXPORT.read_text(encoding="utf-8")).propose(
        {"DataLakeRead": json.dumps(narrow)})

    local = replay(inputs, source, workers=2, out=tmp_path / "local.jsonl")
    spark = replay(inputs, source, engine="spark", workers=2, out=tmp_path / "spark.parquet")

    assert spark.to_json() == local.to_json()
    assert local.to_json()["would_break"] > 0 and local.to_json()["disagree_with_log"] > 0
    local_rows = [json.loads(line) for line in
                  (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines()]
    spark_rows = pq.read_table(tmp_path / "spark.parquet").to_pylist()
    assert len(spark_rows) == len(local_rows) == 3515
    key = lambda r: r["event_id"]
    assert sorted(spark_rows, key=key) == sorted(local_rows, key=key)
