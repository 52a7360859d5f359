"""Does this machine give two processes two cores right now? A control for the 1-/2-worker
replay ratio (``replay_bench.py``) on a shared host.

The same CPU-bound pure-Python job (arithmetic and a dict of strings) runs once in one worker
process and then in two at the same time; the throughput ratio is 2x on two idle cores. Run
it beside a replay pair: when it drops, the replay ratio drops with it.

    python benchmarks/two_cores.py            # 3 rounds
    python benchmarks/two_cores.py --rounds 5
"""

from __future__ import annotations

import argparse
import multiprocessing
import time


def work(n: int) -> float:
    """Wall seconds for ``n`` steps of the job."""
    started = time.perf_counter()
    x = 0
    for i in range(n):
        x += i * i % 7
    table = {}
    for i in range(n // 4):
        table[str(i)] = i
    return time.perf_counter() - started


def main() -> None:
    """Print the 2-process throughput ratio for each round."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=12_000_000)
    args = parser.parse_args()
    for _ in range(args.rounds):
        with multiprocessing.Pool(1) as pool:
            one = pool.map(work, [args.steps])[0]
        with multiprocessing.Pool(2) as pool:
            two = max(pool.map(work, [args.steps, args.steps]))
        print(f"one process {one:.2f} s; two processes {two:.2f} s each for the same work:"
              f" throughput ratio {2 * one / two:.2f}x (2.00x on two idle cores)")


if __name__ == "__main__":
    main()
