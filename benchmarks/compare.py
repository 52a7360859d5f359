"""drpolicy against the other ways a Python user can answer IAM questions, in one run.

Run from the repository root (the comparison engines are optional: any that is not installed
is reported as unavailable)::

    /tmp/venv/bin/python benchmarks/compare.py

Sections:

1. Agreement: every engine's answer on the DeepRacer request mix against drpolicy's (and
   drpolicy's against the hand-checked labels); every disagreement is printed.
2. Speed on distinct requests (the headline): every drpolicy entry point and every engine on a
   stream of ~50,000 requests derived from the mix in which every request is new (so no memo
   helps; :mod:`distinct`), each entry point on its own stream; the repeated 62-request mix
   beside it as a second column. Answers are checked against the labels. Every row is
   prepared first, then the rows are timed in turn, one chunk of each stream at a time (20
   chunks by default), so a noisy spell of a shared machine hits every row alike.
3. Scaling on distinct requests: synthetic policies of 10 to 10,000 statements, four kinds
   (statements that match nothing, varied statements hit at random, 10,000 statements sharing
   one action, a new action on every request), cold (first touch of each statement) and warm
   (the sizes of one kind timed in turn, chunk by chunk). The older repeated-request scaling
   table follows.
4. Compilation of 10,000 statements: time and memory; validate time.
5. The issue-10 targets, as measured by this run.

Timing: a clock around a loop calling ``decide(request)`` over the request
list repeated enough times for a round to last ``--round-ms``; the garbage collector is off
during a round; the reported figure is the median over ``--rounds`` rounds. The clock is the
benchmark thread's CPU time by default (``--clock cpu``: other processes on a shared machine do
not inflate it; every engine measured runs on the calling thread) or the wall clock
(``--clock wall``). Everything an
engine can prepare (parsing, compiling, translating, entity stores) is built before timing.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import distinct
import synthetic
from engines import Decide, Engine, Workload, load_engines
from workload import DATA_DIR, Request, deepracer_policies, deepracer_requests

REFERENCE = "drpolicy"
FLOOR = "floor"
SCALING_ENGINES = ("drpolicy", "regex", "naive", "cedarpy", "pmapper", "moto")
MAX_SIZE = {"moto": 1000}
"""Engines capped below 10,000 statements (moto's per-call regex compilation thrashes the
``re`` cache: ~0.1 s per decision at 1,000 statements already)."""
SLOW_CUTOFF_S = 2.0
"""An engine whose single decision takes longer than this is not run at larger sizes."""


# ----------------------------------------------------------------------------- timing


CLOCK: Callable[[], int] = time.thread_time_ns
"""The per-decision clock (``--clock``)."""


def _run(decide: Decide, seq: Sequence[Request]) -> int:
    t0 = CLOCK()
    for r in seq:
        decide(r)
    return CLOCK() - t0


def per_decision_ns(
    decide: Decide, requests: Sequence[Request], *, round_ns: int, rounds: int
) -> tuple[float, float, float]:
    """Median, min and max ns per decision over ``rounds`` rounds of at least ``round_ns``."""
    reqs = list(requests)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        loops = 1
        elapsed = _run(decide, reqs)  # also the warm-up
        while elapsed < round_ns:
            loops = max(loops * 2, int(loops * round_ns / max(elapsed, 1) * 1.1))
            elapsed = _run(decide, reqs * loops)
        if elapsed > 1_000_000_000:  # slow engine: a few rounds are enough
            rounds = min(rounds, 3)
        seq = reqs * loops
        n = len(seq)
        samples = [_run(decide, seq) / n for _ in range(rounds)]
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples), min(samples), max(samples)


def fmt_time(ns: float | None) -> str:
    """A duration in ns, as µs or ms."""
    if ns is None:
        return "-"
    us = ns / 1000
    if us < 10:
        return f"{us:.2f} µs"
    if us < 1000:
        return f"{us:.1f} µs"
    if us < 1_000_000:
        return f"{us / 1000:.2f} ms"
    return f"{us / 1_000_000:.2f} s"


def fmt_ratio(x: float | None) -> str:
    """A ratio, with sensible precision."""
    if x is None:
        return "-"
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x" if x < 100 else f"{x:.0f}x"


def fmt_bytes(n: float) -> str:
    """A byte count in KiB/MiB."""
    return f"{n / 1024:.0f} KiB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MiB"


def heading(text: str) -> None:
    """Print a section heading."""
    print()
    print(text)
    print("=" * len(text))


# ----------------------------------------------------------------------------- sections


def machine_report() -> None:
    """Python version, machine, engine versions."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()},"
        f" {sys.executable})"
    )
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {cpu or 'unknown CPU'},"
          f" {platform.platform()}")


def load(selected: set[str] | None) -> tuple[dict[str, Engine], dict[str, str]]:
    """Available engines by name, and the reason for each unavailable one."""
    engines: dict[str, Engine] = {}
    missing: dict[str, str] = {}
    for e in load_engines():
        if isinstance(e, tuple):
            missing[e[0]] = e[1]
        elif selected is None or e.name in selected or e.name in (REFERENCE, FLOOR):
            engines[e.name] = e
    return engines, missing


def build_safely(engine: Engine, workload: Workload) -> tuple[Decide | None, str, float]:
    """Build an engine; an engine that fails to build is reported, not fatal."""
    t0 = time.perf_counter()
    try:
        decide = engine.build(workload)
    except Exception as exc:  # noqa: BLE001 - a comparison engine failing must not stop the report
        return None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0
    return decide, "", time.perf_counter() - t0


def answer(decide: Decide, r: Request) -> bool | str:
    """The engine's answer, or the exception it raised, as text."""
    try:
        return bool(decide(r))
    except Exception as exc:  # noqa: BLE001 - any engine error is reported as its answer
        return f"error {type(exc).__name__}: {exc}"


def agreement(
    engines: dict[str, Engine], workload: Workload
) -> tuple[dict[str, Decide], dict[str, str], int]:
    """Section 1. Returns the built engines, the ones that failed, and how many requests
    drpolicy answers differently from the hand-checked labels."""
    heading(f"1. Agreement on the DeepRacer mix ({len(workload.requests)} requests)")
    built: dict[str, Decide] = {}
    failed: dict[str, str] = {}
    for name, e in engines.items():
        decide, error, _ = build_safely(e, workload)
        if decide is None:
            failed[name] = f"setup failed: {error}"
        else:
            built[name] = decide
    ref = built[REFERENCE]
    ref_answers = {r: answer(ref, r) for r in workload.requests}

    wrong = [r for r in workload.requests if ref_answers[r] != r.expected]
    allowed = sum(1 for r in workload.requests if r.expected)
    print(f"drpolicy vs the hand-checked labels ({allowed} allowed, "
          f"{len(workload.requests) - allowed} denied): "
          f"{len(workload.requests) - len(wrong)}/{len(workload.requests)} agree")
    for r in wrong:
        print(f"  LABEL MISMATCH {r.describe()}: drpolicy={ref_answers[r]} label={r.expected}"
              f" ({r.why})")

    print()
    print(f"{'engine':<18} {'agrees':>7} {'differs':>8}")
    disagreements: list[tuple[str, Request, bool | str, bool | str]] = []
    for name, decide in built.items():
        if name == REFERENCE:
            continue
        with engines[name].around():
            answers = {r: answer(decide, r) for r in workload.requests}
        diff = [r for r in workload.requests if answers[r] != ref_answers[r]]
        disagreements += [(name, r, answers[r], ref_answers[r]) for r in diff]
        print(f"{name:<18} {len(workload.requests) - len(diff):>7} {len(diff):>8}")
    for name, error in failed.items():
        print(f"{name:<18} {'-':>7} {'-':>8}  ({error})")
    print()
    if disagreements:
        print("Disagreements (engine: request -> engine's answer / drpolicy's answer):")
        for name, r, theirs, ours in disagreements:
            print(f"  {name:<9} {r.describe()}")
            print(f"  {'':<9}   -> {name}={theirs} drpolicy={ours}   [{r.why}]")
    else:
        print("No disagreements.")
    return built, failed, len(wrong)


def speed(
    engines: dict[str, Engine], built: dict[str, Decide], workload: Workload,
    *, round_ns: int, rounds: int,
) -> dict[str, float]:
    """Section 2. Returns median ns per decision by engine."""
    heading("2a. Speed on the repeated DeepRacer mix (median of rounds, per decision)")
    results: dict[str, tuple[float, float, float]] = {}
    for name, decide in built.items():
        with engines[name].around():
            if name == "drpolicy-cached":
                for r in workload.requests:  # make sure every request is cached
                    decide(r)
            results[name] = per_decision_ns(
                decide, workload.requests, round_ns=round_ns, rounds=rounds
            )
    ref = results[REFERENCE][0]
    floor = results[FLOOR][0] if FLOOR in results else None
    print(f"{'engine':<18} {'version':<9} {'per decision':>13} {'spread':>8}"
          f" {'vs drpolicy':>12} {'vs floor':>9}  what")
    for name, (med, lo, hi) in results.items():
        e = engines[name]
        spread = f"±{(hi - lo) / 2 / med * 100:.0f}%"
        print(f"{name:<18} {e.version:<9} {fmt_time(med):>13} {spread:>8}"
              f" {fmt_ratio(med / ref):>12} {fmt_ratio(med / floor if floor else None):>9}"
              f"  {e.label}")
    print("vs drpolicy = engine time / drpolicy uncached time (above 1: slower than drpolicy);"
          " vs floor = engine time / dict-lookup time.")
    return {name: v[0] for name, v in results.items()}


def scaling(
    engines: dict[str, Engine], sizes: Sequence[int], *, round_ns: int, rounds: int
) -> tuple[dict[tuple[str, str], dict[int, float]], list[str]]:
    """Section 3. Returns {(kind, engine): {size: ns}} and notes."""
    heading("3b. Scaling, one repeated request per case (median per decision)")
    names = [n for n in SCALING_ENGINES if n in engines]
    table: dict[tuple[str, str], dict[int, float]] = {}
    builds: dict[tuple[str, int], float] = {}
    notes: list[str] = []
    stopped: set[tuple[str, str]] = set()
    for n in sizes:
        shapes = {
            "varied": [synthetic.scaling_case("nothing", n), synthetic.scaling_case("last", n)],
            "same_action": [synthetic.scaling_case("resource", n)],
        }
        for shape, cases in shapes.items():
            policies = cases[0][0]
            kinds = ["nothing", "last"] if shape == "varied" else ["resource"]
            requests = [c[1][0] for c in cases]
            workload = Workload(f"synthetic-{shape}-{n}", policies, requests)
            for name in names:
                if n > MAX_SIZE.get(name, n) or all((k, name) in stopped for k in kinds):
                    continue
                decide, error, build_s = build_safely(engines[name], workload)
                if decide is None:
                    notes.append(f"{name} at {n} statements ({shape}): {error}")
                    continue
                builds[(name, n)] = builds.get((name, n), 0.0) + build_s
                for kind, req in zip(kinds, requests):
                    got = answer(decide, req)
                    if got != req.expected:
                        notes.append(
                            f"{name} answers {got} for {req.id} (expected {req.expected})"
                        )
                    if (kind, name) in stopped:
                        continue
                    med, _, _ = per_decision_ns(decide, [req], round_ns=round_ns, rounds=rounds)
                    table.setdefault((kind, name), {})[n] = med
                    if med > SLOW_CUTOFF_S * 1e9 and n < max(sizes):
                        stopped.add((kind, name))
                del decide
                gc.collect()

    header = f"{'kind':<9} {'engine':<9}" + "".join(f" {n:>10}" for n in sizes)
    print(header + f" {'growth':>9}")
    for kind in synthetic.KINDS:
        for name in names:
            row = table.get((kind, name), {})
            cells = "".join(f" {fmt_time(row.get(n)):>10}" for n in sizes)
            growth = (
                row[sizes[-1]] / row[sizes[0]] if sizes[0] in row and sizes[-1] in row else None
            )
            print(f"{kind:<9} {name:<9}{cells} {fmt_ratio(growth):>9}")
    print(f"growth = time at {sizes[-1]:,} statements / time at {sizes[0]:,}.")
    print("Setup (parse/compile/translate) time per engine, both policy shapes together:")
    for name in names:
        cells = "".join(
            f" {n:>6}: {builds[(name, n)]:.2f}s" for n in sizes if (name, n) in builds
        )
        print(f"  {name:<9}{cells}")
    for name, cap in MAX_SIZE.items():
        if name in names and cap < sizes[-1]:
            notes.append(f"{name} is run up to {cap:,} statements only (capped: too slow beyond)")
    for kind, name in sorted(stopped):
        notes.append(f"{name} ({kind}) not run at larger sizes: a decision took more"
                     f" than {SLOW_CUTOFF_S:.0f} s")
    for note in notes:
        print(f"  note: {note}")
    return table, notes


def per_request_distinct(
    decide: Decide, stream: Sequence[Request], *, chunks: int, budget_s: float
) -> tuple[float, int, list[bool | str]]:
    """Median ns per request over ``chunks`` disjoint chunks of ``stream``, each request
    asked once (GC off); stops early after ``budget_s`` seconds (at least 3 chunks). Returns
    the median, how many requests were asked, and the answers."""
    size = max(1, len(stream) // chunks)
    samples: list[float] = []
    answers: list[bool | str] = []
    started = time.perf_counter()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for k in range(chunks):
            chunk = stream[k * size:(k + 1) * size]
            t0 = CLOCK()
            try:
                got: list[bool | str] = [decide(r) for r in chunk]
            except Exception:  # noqa: BLE001 - fall back to per-request answers with errors
                got = [answer(decide, r) for r in chunk]
            samples.append((CLOCK() - t0) / len(chunk))
            answers += got
            if k >= 2 and time.perf_counter() - started > budget_s:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples), len(answers), answers


class _Row(NamedTuple):
    name: str
    label: str
    decide: Decide
    stream: Sequence[Request]
    around: Any
    rep: float | None


def interleaved_distinct(
    rows: Sequence[_Row], *, chunks: int, budget_s: float
) -> list[tuple[float, list[bool | str]]]:
    """Time every row on ``chunks`` disjoint chunks of its own stream, taking the rows in
    turn for each chunk (GC off while a chunk is timed). A row whose time spent exceeds
    ``budget_s`` stops after 3 chunks. Returns per row the median ns per request and the
    answers it gave."""
    spent = [0.0] * len(rows)
    samples: list[list[float]] = [[] for _ in rows]
    answers: list[list[bool | str]] = [[] for _ in rows]
    gc_was_enabled = gc.isenabled()
    for k in range(chunks):
        for i, row in enumerate(rows):
            if k >= 3 and spent[i] > budget_s:
                continue
            size = max(1, len(row.stream) // chunks)
            chunk = row.stream[k * size:(k + 1) * size]
            if not chunk:
                continue
            with row.around():
                started = time.perf_counter()
                gc.disable()
                try:
                    t0 = CLOCK()
                    try:
                        got: list[bool | str] = [row.decide(r) for r in chunk]
                    except Exception:  # noqa: BLE001 - per-request answers with errors
                        got = [answer(row.decide, r) for r in chunk]
                    samples[i].append((CLOCK() - t0) / len(chunk))
                finally:
                    if gc_was_enabled:
                        gc.enable()
                spent[i] += time.perf_counter() - started
            answers[i] += got
    return [(statistics.median(x), a) for x, a in zip(samples, answers)]


def distinct_speed(
    engines: dict[str, Engine], workload: Workload, repeated: dict[str, float],
    *, round_ns: int, rounds: int, per_request: int, budget_s: float,
) -> dict[str, float]:
    """Section 2: every entry point and engine on its own distinct stream."""
    heading("2. Speed per decision: distinct requests (headline) and the repeated mix")
    policies, mix = workload.policies, workload.requests
    seeds = iter(range(100, 1000))
    bad = distinct.verify_sample(policies, distinct.distinct_stream(policies, mix, 20, seed=99))
    print(f"Distinct stream: {per_request} variants of each of the {len(mix)} mix requests"
          f" ({per_request * len(mix):,} requests, every one new; a fresh stream per row);"
          f" labels checked against tests/reference.py on a sample: {len(bad)} wrong")
    # Prepare every row first (repeated mix, fresh stream, warm-up), then time them chunk by
    # chunk in turn, so that a noisy spell of a shared machine hits every row alike and the
    # ratios of one run stay comparable.
    prepared: list[_Row] = []

    def prepare(name: str, label: str, build: Callable[[list[Request]], Decide],
                repeat_decide: Decide | None, around: Any = contextlib.nullcontext,
                rep: float | None = None) -> None:
        with around():
            if repeat_decide is not None:  # also warms up what a long-running process keeps
                rep = per_decision_ns(repeat_decide, mix, round_ns=round_ns, rounds=rounds)[0]
            warm = distinct.distinct_stream(policies, mix, 3, seed=next(seeds))
            stream = distinct.distinct_stream(policies, mix, per_request, seed=next(seeds))
            decide = build(warm + stream)
            for r in warm:  # first touch of every statement: matchers are built on first use
                answer(decide, r)
        prepared.append(_Row(name, label, decide, stream, around, rep))

    for name in (FLOOR,):
        if name in engines:
            e = engines[name]
            prepare(name, e.label, lambda s, e=e: e.build(Workload("distinct", policies, s)),
                    None, rep=repeated.get(name))
    for name, (label, build) in distinct.entry_points(policies).items():
        prepare(name, label, build, build(list(mix)))
    for name, e in engines.items():
        if name in (REFERENCE, FLOOR, "drpolicy-cached", "drpolicy-nocache"):
            continue
        prepare(name, e.label, lambda s, e=e: e.build(Workload("distinct", policies, s)),
                None, around=e.around, rep=repeated.get(name))
    timed = interleaved_distinct(prepared, chunks=4 * rounds, budget_s=budget_s)
    rows: list[tuple[str, str, float, int, int, float | None]] = []
    for row, (med, answers) in zip(prepared, timed):
        wrong = sum(1 for r, a in zip(row.stream, answers) if a != r.expected)
        rows.append((row.name, row.label, med, len(answers), wrong, row.rep))
    prepared.clear()
    timed.clear()
    gc.collect()
    ref = next(r[2] for r in rows if r[0] == "Role.is_allowed")
    print(f"{'entry point / engine':<22} {'distinct':>10} {'vs Role':>8} {'asked':>7}"
          f" {'wrong':>6} {'repeated mix':>13}  what")
    out: dict[str, float] = {}
    for name, label, med, asked, wrong, rep in rows:
        out[name] = med
        print(f"{name:<22} {fmt_time(med):>10} {fmt_ratio(med / ref):>8} {asked:>7,}"
              f" {wrong:>6} {fmt_time(rep):>13}  {label}")
    print("distinct = median per request over disjoint chunks of a stream where every request"
          " is new; vs Role = / Role.is_allowed's distinct time; wrong = answers that differ"
          " from the labels; repeated mix = the 62 mix requests asked again and again.")

    # can_assume: its own question (principal, role), distinct principals/contexts
    import drpolicy

    questions, contexts = distinct.can_assume_stream(per_request * 20)
    catalog = {name: drpolicy.role(name) for _, name, _ in questions}
    calls = [(p, catalog[n], c or None, e) for (p, n, e), c in zip(questions, contexts)]
    gc.disable()
    t0 = CLOCK()
    got = [drpolicy.can_assume(p, r, c) for p, r, c, _ in calls]
    elapsed = (CLOCK() - t0) / len(calls)
    gc.enable()
    wrong = sum(1 for g, (_, _, _, e) in zip(got, calls) if g != e)
    out["can_assume"] = elapsed
    print(f"{'can_assume':<22} {fmt_time(elapsed):>10} {fmt_ratio(elapsed / ref):>8}"
          f" {len(calls):>7,} {wrong:>6} {'-':>13}  distinct principals/contexts, catalog roles")
    return out


def distinct_scaling(
    sizes: Sequence[int], *, count: int, engines: dict[str, Engine]
) -> dict[tuple[str, str], dict[int, float]]:
    """Section 3a: distinct-request scaling for drpolicy (cold and warm) and the regex
    baseline."""
    import drpolicy

    heading("3. Scaling with the number of statements, distinct requests (per decision)")
    table: dict[tuple[str, str], dict[int, float]] = {}
    notes: list[str] = []
    for kind in synthetic.DISTINCT_KINDS:
        warm_rows: list[_Row] = []
        for label in ("drpolicy cold", "drpolicy warm", "regex"):  # the printed order
            if label != "regex" or "regex" in engines:
                table[(kind, label)] = {}
        for n in sizes:
            # the cold part touches every statement (and action form) once
            touch = 3 * n if kind in ("varied", "actions") else n
            policies, reqs = synthetic.distinct_case(kind, n, touch + count)
            doc = policies[synthetic.ROLE][0]
            role = drpolicy.Role.from_policies(synthetic.ROLE, {"p": doc})
            cold_part, warm_part = reqs[:touch], reqs[touch:]
            ask = role.is_allowed

            def decide(r: Request, ask: Any = ask) -> bool:
                return bool(ask(r.action, r.resource, r.context))

            med, _, answers = per_request_distinct(decide, cold_part, chunks=5, budget_s=60)
            wrong = sum(1 for r, a in zip(cold_part, answers) if a != r.expected)
            if wrong:
                notes.append(f"drpolicy {kind} {n} cold: {wrong} wrong answers")
            table.setdefault((kind, "drpolicy cold"), {})[n] = med
            warm_rows.append(_Row(str(n), "", decide, warm_part, contextlib.nullcontext, None))
            if "regex" in engines and n <= 10000:
                regex = engines["regex"].build(Workload("s", policies, warm_part))
                med, _, _ = per_request_distinct(regex, warm_part[:2000], chunks=3, budget_s=20)
                table.setdefault((kind, "regex"), {})[n] = med
            del role, ask
        # the warm parts of every size in turn, chunk by chunk (noise hits every size alike)
        for row, (med, answers) in zip(
            warm_rows, interleaved_distinct(warm_rows, chunks=10, budget_s=60)
        ):
            wrong = sum(1 for r, a in zip(row.stream, answers) if a != r.expected)
            if wrong:
                notes.append(f"drpolicy {kind} {row.name} warm: {wrong} wrong answers")
            table.setdefault((kind, "drpolicy warm"), {})[int(row.name)] = med
        warm_rows.clear()
        gc.collect()
    print(f"{'kind':<12} {'engine':<15}" + "".join(f" {n:>10}" for n in sizes) + f" {'growth':>9}")
    for (kind, name), row in table.items():
        cells = "".join(f" {fmt_time(row.get(n)):>10}" for n in sizes)
        growth = row[sizes[-1]] / row[sizes[0]] if sizes[0] in row and sizes[-1] in row else None
        print(f"{kind:<12} {name:<15}{cells} {fmt_ratio(growth):>9}")
    print("cold = the first request for each statement (its matchers are built on first use);"
          " warm = later requests, each still new. growth = time at the largest size / smallest.")
    for note in notes:
        print(f"  note: {note}")
    return table


def validate_report(sizes: Sequence[int], cutoff_s: float) -> None:
    """Section 4b: ``drpolicy.validate`` on the varied synthetic policy."""
    try:
        from drpolicy.validate import validate_policy
    except ImportError as exc:  # pragma: no cover - the validate extra is missing
        print(f"validate: unavailable ({exc})")
        return
    previous: tuple[int, float] | None = None
    for n in sizes:
        if previous is not None:
            # a size whose time, extrapolated linearly (validate's growth, see
            # docs/validate.md), is over the cutoff is skipped
            predicted = previous[1] * (n / previous[0])
            if predicted > cutoff_s:
                print(f"validate {n:>6,} statements: skipped (predicted {predicted:.0f} s from"
                      f" {previous[0]:,}, over {cutoff_s:.0f} s)")
                return
        doc, _ = synthetic.varied_policy(n)
        t0 = time.perf_counter()
        try:
            validate_policy(doc)
        except Exception as exc:  # noqa: BLE001 - report, do not stop the benchmark
            print(f"validate {n:,} statements: error {type(exc).__name__}: {exc}")
            return
        elapsed = time.perf_counter() - t0
        previous = (n, elapsed)
        print(f"validate {n:>6,} statements: {elapsed:.2f} s")
        if elapsed > cutoff_s:
            print(f"  (larger sizes skipped: over {cutoff_s:.0f} s)")
            return


def compile_report(n: int, repeats: int) -> dict[str, float]:
    """Section 4: drpolicy.Role.from_policies on n statements, time and memory.

    "cold" compiles a policy whose patterns drpolicy has never seen (a fresh token tag per
    run, so no pattern cache can help); "warm" compiles the same document again. Memory is
    tracemalloc's peak and what is still allocated afterwards with the role alive (this
    includes entries added to drpolicy's pattern caches), for a cold compile.
    """
    import drpolicy

    heading(f"4. Compiling {n:,} statements (drpolicy.Role.from_policies)")
    out: dict[str, float] = {}
    makers: dict[str, Callable[[str], dict[str, Any]]] = {
        "varied": lambda tag: synthetic.varied_policy(n, tag=tag)[0],
        "same_action": lambda tag: synthetic.same_action_policy(n, tag=tag)[0],
    }
    for shape, make in makers.items():
        def compile_once(doc: dict[str, Any]) -> Any:
            return drpolicy.Role.from_policies("SyntheticRole", {"p": doc})

        cold, warm = [], []
        for k in range(repeats):
            doc = make(f"{shape[0]}{k}x")
            gc.collect()
            t0 = time.perf_counter()
            role = compile_once(doc)
            cold.append(time.perf_counter() - t0)
            del role
            gc.collect()
            t0 = time.perf_counter()
            role = compile_once(doc)
            warm.append(time.perf_counter() - t0)
            del role
        doc = make(f"{shape[0]}mem")
        text = json.dumps(doc)
        gc.collect()
        tracemalloc.start()
        role = compile_once(doc)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del role
        gc.collect()
        tracemalloc.start()
        parsed = json.loads(text)
        json_current, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del parsed
        med = statistics.median(cold)
        out[shape] = med
        print(f"{shape:<12} cold {med:.3f} s, warm {statistics.median(warm):.3f} s"
              f" (median of {repeats});  tracemalloc peak {fmt_bytes(peak)},"
              f" retained {fmt_bytes(current)}")
        print(f"{'':<12} for scale: the policy is {fmt_bytes(len(text))} of JSON text,"
              f" {fmt_bytes(json_current)} as json.loads objects")
    return out


def targets(
    distinct_speeds: dict[str, float],
    dtable: dict[tuple[str, str], dict[int, float]],
    compile_s: dict[str, float],
    sizes: Sequence[int],
) -> None:
    """Section 5: issue 10's targets against this run's numbers (distinct requests)."""
    heading("5. Issue 10 targets, as measured in this run (distinct requests)")
    ref = distinct_speeds.get("Role.is_allowed")

    def line(text: str, value: float | None, ok: bool | None) -> None:
        verdict = "n/a" if ok is None else "MET" if ok else "NOT MET"
        print(f"  [{verdict:^7}] {text}: {fmt_ratio(value) if value is not None else '-'}")

    def ratio(name: str) -> float | None:
        return distinct_speeds[name] / ref if ref and name in distinct_speeds else None

    floor = distinct_speeds.get(FLOOR)
    for engine, factor in (("regex", 5), ("naive", 20)):
        r = ratio(engine)
        line(f"{engine} / Role.is_allowed >= {factor}x", r, None if r is None else r >= factor)
        if floor and engine in distinct_speeds:
            # the floor answers from a dict of precomputed answers: no engine can beat it
            print(f"            ceiling: {engine} / floor = "
                  f"{fmt_ratio(distinct_speeds[engine] / floor)} (the ratio a free decision"
                  f" would reach in this harness)")
    for name, bound in (("drpolicy.is_allowed", 1.2), ("Role.evaluate", 1.5),
                        ("authorize (parsed)", 2), ("authorize (dicts)", 3)):
        r = ratio(name)
        line(f"{name} / Role.is_allowed <= {bound}x", r, None if r is None else r <= bound)
    for kind in synthetic.DISTINCT_KINDS:
        row = dtable.get((kind, "drpolicy warm"), {})
        g = row[sizes[-1]] / row[sizes[0]] if sizes[0] in row and sizes[-1] in row else None
        line(f"growth {sizes[0]:,} -> {sizes[-1]:,} statements, {kind} (warm) <= 2x", g,
             None if g is None else g <= 2)
    for shape, secs in compile_s.items():
        verdict = "MET" if secs < 1 else "NOT MET"
        print(f"  [{verdict:^7}] compile {max(sizes):,} statements ({shape}) < 1 s: {secs:.3f} s")


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Run every section; return the exit status (0 unless drpolicy disagrees with a label)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round-ms", type=float, default=60.0,
                        help="minimum duration of one timing round (default 60)")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds (default 5)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(synthetic.SIZES),
                        help="statement counts for the scaling table")
    parser.add_argument("--engines", nargs="+", default=None,
                        help="only these engines (drpolicy and the floor always run)")
    parser.add_argument("--compile-repeats", type=int, default=3)
    parser.add_argument("--per-request", type=int, default=distinct.PER_REQUEST,
                        help="distinct variants of each mix request (default 813: ~50,400)")
    parser.add_argument("--budget-s", type=float, default=20.0,
                        help="time budget per row of the distinct table (slow engines stop"
                             " after 3 chunks once it is spent)")
    parser.add_argument("--scaling-requests", type=int, default=10000,
                        help="distinct requests per scaling case (default 10,000)")
    parser.add_argument("--validate-cutoff-s", type=float, default=30.0)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="per-decision clock: the benchmark thread's CPU time (default) or"
                             " the wall clock")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.thread_time_ns if args.clock == "cpu" else time.perf_counter_ns
    round_ns = int(args.round_ms * 1e6)
    started = time.perf_counter()

    import drpolicy

    print("drpolicy benchmark comparison (benchmarks/compare.py)")
    machine_report()
    engines, missing = load(set(args.engines) if args.engines else None)
    versions = ", ".join(f"{e.name} {e.version}" for e in engines.values())
    print(f"Engines: {versions}")
    for name, reason in missing.items():
        print(f"UNAVAILABLE: {name}: {reason}")
    print(f"drpolicy.decision_cache.maxsize = {drpolicy.decision_cache.maxsize};"
          f" timing: median of {args.rounds} rounds of >= {args.round_ms:g} ms, GC off,"
          f" clock: {'thread CPU time' if args.clock == 'cpu' else 'wall'}")

    mix = deepracer_requests()
    workload = Workload("deepracer", deepracer_policies(), mix, DATA_DIR / "deepracer.cedar")
    built, failed, label_mismatches = agreement(engines, workload)
    for name in failed:
        engines.pop(name)
    repeated = speed(engines, built, workload, round_ns=round_ns, rounds=args.rounds)
    del built
    gc.collect()
    distinct_speeds = distinct_speed(
        engines, workload, repeated, round_ns=round_ns, rounds=args.rounds,
        per_request=args.per_request, budget_s=args.budget_s,
    )
    sizes = sorted(args.sizes)
    dtable = distinct_scaling(sizes, count=args.scaling_requests, engines=engines)
    scaling(engines, sizes, round_ns=round_ns // 2, rounds=args.rounds)
    compile_s = compile_report(max(sizes), args.compile_repeats)
    validate_report([s for s in sizes if s >= 1000] or [max(sizes)], args.validate_cutoff_s)
    targets(distinct_speeds, dtable, compile_s, sizes)
    print()
    print(f"Total run time: {time.perf_counter() - started:.0f} s")
    return 0 if label_mismatches == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
