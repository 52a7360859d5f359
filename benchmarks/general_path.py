"""``authorize`` on the general path, distinct requests: the DeepRacer service role's
identity policies with a bucket policy (every object key new) and with a trust policy for
``sts:AssumeRole`` (every role name new). Median per request over 10 chunks, thread CPU
time, GC off while timing.

    python benchmarks/general_path.py

To compare two checkouts, run it with each one's ``src`` first on ``PYTHONPATH``, in
alternating processes (the machine is shared: compare pairs, not single runs).
"""

from __future__ import annotations

import gc
import random
import statistics
import string
import time

import drpolicy

ACCOUNT = "123456789012"
CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSDeepRacerServiceRole/session"
BUCKET_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "s3:*", "Resource": "arn:aws:s3:::deepracer-data/*"}]}
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "sts:AssumeRole"}]}


def main(count: int = 20000, warm: int = 500, chunks: int = 10) -> None:
    """Print the median time per distinct request of each case."""
    policies = list(drpolicy.role("deepracer").policies)
    rng = random.Random(1)

    def word() -> str:
        return "".join(rng.choices(string.ascii_lowercase + string.digits, k=12))

    cases = {
        "bucket policy": (BUCKET_POLICY, [
            (rng.choice(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
             f"arn:aws:s3:::deepracer-data/{word()}/{word()}.csv") for _ in range(count)]),
        "trust policy": (TRUST_POLICY, [
            ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/service-role/R-{word()}")
            for _ in range(count)]),
    }
    size = (count - warm) // chunks
    for name, (policy, requests) in cases.items():
        for action, resource in requests[:warm]:
            drpolicy.authorize(CALLER, action, resource, identity_policies=policies,
                               resource_policy=policy)
        times = []
        gc.disable()
        try:
            for k in range(chunks):
                chunk = requests[warm + k * size: warm + (k + 1) * size]
                t0 = time.thread_time_ns()
                for action, resource in chunk:
                    drpolicy.authorize(CALLER, action, resource, identity_policies=policies,
                                       resource_policy=policy)
                times.append((time.thread_time_ns() - t0) / len(chunk))
        finally:
            gc.enable()
        print(f"authorize with a {name}: {statistics.median(times) / 1000:.2f} µs per distinct"
              f" request (median of {chunks} chunks of {size:,})")


if __name__ == "__main__":
    main()
