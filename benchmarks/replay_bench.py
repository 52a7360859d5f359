"""Replay throughput and memory: a generated gzip CloudTrail log, the local engine with 1 and
2 workers, and Spark in local mode beside them.

    python benchmarks/replay_bench.py                      # 1,000,000 events (a few minutes)
    python benchmarks/replay_bench.py --events 100000      # a quick look
    python benchmarks/replay_bench.py --no-spark --repeat 3  # 1 and 2 workers, 3 pairs

The log is written once (seeded, ``drpolicy.replay._generate``, the test account's
principals) to ``--data`` as CloudTrail delivers it: gzipped ``{"Records": [...]}`` files of
2,000 events. Each configuration runs in a fresh process so its peak memory (largest resident
set of the process and of any one of its worker processes) is its own. The load average is
printed beside every run: the machine may be shared.

Besides the wall-clock ratio, the CPU time of the parent and of the workers gives the speedup
two idle cores allow: the 1-worker run's CPU time over the busier of the 2-worker run's
parent and (average) worker if the two overlap fully, over their sum if they never do (the
parent's own work is mostly start-up: imports, the policies' compilation). On a shared
machine CPU time is the steadier measure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "data" / "account" / "authorization-details.json"


def _one(engine: str, workers: int, data: Path, out: Path) -> dict[str, Any]:
    """Run one configuration in this process and report it."""
    from drpolicy.replay import PolicySource, replay

    source = PolicySource.account_export(EXPORT.read_text(encoding="utf-8"))
    load = os.getloadavg()[0]
    start = time.perf_counter()
    summary = replay(data, source, engine=engine, workers=workers, out=out)
    seconds = time.perf_counter() - start
    events = summary.counts["events"]
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    own, children = me.ru_maxrss, kids.ru_maxrss
    cpu_driver = me.ru_utime + me.ru_stime
    cpu = cpu_driver + kids.ru_utime + kids.ru_stime
    return {"engine": engine, "workers": workers, "events": events, "seconds": seconds,
            "events_per_s": events / seconds, "cpu_s": cpu, "driver_cpu_s": cpu_driver,
            "events_per_cpu_s": events / cpu, "peak_rss_mb": max(own, children) / 1024,
            "driver_rss_mb": own / 1024, "load_before": load,
            "load_after": os.getloadavg()[0], "summary": summary.to_json()}


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/drpolicy-replay-bench"))
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--out-format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the 1- and 2-worker pair this many times, back to back")
    parser.add_argument("--one", nargs=4, metavar=("ENGINE", "WORKERS", "DATA", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine, workers, data, out = args.one
        print(json.dumps(_one(engine, int(workers), Path(data), Path(out))))
        return 0

    from drpolicy.replay._generate import write_trail

    logs = args.data / f"trail-{args.events}"
    if not logs.exists():
        start = time.perf_counter()
        write_trail(logs / "tmp", args.events, per_file=2000, seed=2026)
        (logs / "tmp").rename(logs / "AWSLogs-root")
        print(f"generated {args.events:,} events in {time.perf_counter() - start:.0f} s")
    size = sum(p.stat().st_size for p in logs.rglob("*.gz"))
    files = sum(1 for _ in logs.rglob("*.gz"))
    print(f"input: {args.events:,} events in {files} gzip files, {size / 1e6:.0f} MB on disk;"
          f" {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")

    runs = [("local", 1), ("local", 2)] * max(args.repeat, 1)
    if not args.no_spark:
        runs.append(("spark", 2))
    results, digests, pairs = [], {}, []
    for engine, workers in runs:
        suffix = "parquet" if engine == "spark" else args.out_format
        out = args.data / f"out-{engine}-{workers}.{suffix}"
        if out.is_dir():
            shutil.rmtree(out)
        elif out.exists():
            out.unlink()
        proc = subprocess.run(
            [sys.executable, __file__, "--one", engine, str(workers), str(logs), str(out)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            print(f"{engine} x{workers}: FAILED\n{proc.stderr[-2000:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(result)
        if engine == "local" and workers == 1:
            pairs.append([result])
        elif engine == "local" and pairs and len(pairs[-1]) == 1:
            pairs[-1].append(result)
        if out.is_file():
            digests[(engine, workers)] = _digest(out)
        if engine == "spark":  # the JVM and its Python workers are not this process's children
            cost = (f"CPU and memory of the JVM not measured; driver RSS"
                    f" {result['driver_rss_mb']:.0f} MB")
        else:
            cost = (f"CPU {result['cpu_s']:.1f} s (driver {result['driver_cpu_s']:.1f} s) ="
                    f" {result['events_per_cpu_s']:,.0f} events per CPU-second; peak RSS"
                    f" {result['peak_rss_mb']:.0f} MB per process (driver"
                    f" {result['driver_rss_mb']:.0f} MB)")
        print(f"{engine:5} workers={workers}: {result['events']:,} events in"
              f" {result['seconds']:.1f} s = {result['events_per_s']:,.0f} events/s; {cost};"
              f" load average {result['load_before']:.2f} -> {result['load_after']:.2f}")
    by = {(r["engine"], r["workers"]): r for r in results}
    for one, two in (p for p in pairs if len(p) == 2):
        workers_cpu = (two["cpu_s"] - two["driver_cpu_s"]) / two["workers"]
        print(f"2 workers / 1 worker: {two['events_per_s'] / one['events_per_s']:.2f}x wall"
              f" (load {one['load_before']:.2f} -> {two['load_after']:.2f}); CPU 1 worker"
              f" {one['cpu_s']:.1f} s, 2 workers {two['cpu_s']:.1f} s (parent"
              f" {two['driver_cpu_s']:.1f} s, {workers_cpu:.1f} s per worker): two idle cores"
              f" allow {one['cpu_s'] / (two['driver_cpu_s'] + workers_cpu):.2f}x (parent"
              f" never overlapping the workers) to"
              f" {one['cpu_s'] / max(two['driver_cpu_s'], workers_cpu):.2f}x (fully overlapping)")
        same = one["summary"] == two["summary"]
        same_out = digests.get(("local", 1)) == digests.get(("local", 2))
        print(f"1 and 2 workers: summaries {'identical' if same else 'DIFFER'},"
              f" outputs {'identical' if same_out else 'DIFFER'}")
    if ("spark", 2) in by and ("local", 1) in by:
        same = by[("spark", 2)]["summary"] == by[("local", 1)]["summary"]
        print(f"spark vs local: summaries {'identical' if same else 'DIFFER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
