"""Wall-clock timings of the custom policy checks (drpolicy.analysis), one run, printed.

    python benchmarks/analysis_timings.py

Cases: every DeepRacer role's permission policy against itself, the two worked examples of
docs/analysis.md (narrowing the service role's S3 access: PASS; widening iam:PassRole: FAIL),
CheckAccessNotGranted and CheckNoPublicAccess on the catalog, and 100-statement identity
policies (deterministic synthetic data: actions, ARN patterns with wildcards, conditions of
every family) with one statement narrowed (PASS) or one widened (FAIL).
"""

from __future__ import annotations

import copy
import random
import statistics
import time
from typing import Any

from drpolicy import roles
from drpolicy.analysis import (
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
)
from drpolicy.catalog import role_document

SERVICES = ["s3", "iam", "lambda", "logs", "sagemaker", "kinesisvideo", "ec2", "sqs"]
VERBS = ["Get", "Put", "List", "Describe", "Create", "Delete", "Update", "Tag"]
NOUNS = ["Object", "Bucket", "Role", "Function", "LogStream", "Model", "Stream", "Queue"]


def synthetic(n: int, seed: int) -> dict[str, Any]:
    """An identity policy of ``n`` statements (deterministic for a seed)."""
    rnd = random.Random(seed)
    stmts = []
    for i in range(n):
        svc = rnd.choice(SERVICES)
        actions = [f"{svc}:{rnd.choice(VERBS)}{rnd.choice(NOUNS)}" for _ in range(rnd.randint(1, 4))]
        if rnd.random() < 0.2:
            actions.append(f"{svc}:{rnd.choice(VERBS)}*")
        resource = rnd.choice([
            f"arn:aws:{svc}:*:*:thing/team-{i}/*",
            f"arn:aws:{svc}:us-east-1:123456789012:res-{i}",
            f"arn:aws:s3:::bucket-{i}/*",
            "*",
        ])
        stmt: dict[str, Any] = {"Sid": f"S{i}", "Effect": "Deny" if rnd.random() < 0.1 else "Allow",
                                "Action": actions, "Resource": resource}
        roll = rnd.random()
        if roll < 0.15:
            stmt["Condition"] = {"StringEquals": {"aws:RequestTag/team": f"t{i % 7}"}}
        elif roll < 0.25:
            stmt["Condition"] = {"IpAddress": {"aws:SourceIp": f"10.{i % 250}.0.0/16"}}
        elif roll < 0.3:
            stmt["Condition"] = {"NumericLessThan": {"s3:max-keys": str(10 + i)}}
        elif roll < 0.35:
            stmt["Condition"] = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
        elif roll < 0.4:
            stmt["Condition"] = {"ForAnyValue:StringLike": {"aws:TagKeys": ["env*", "team"]}}
        stmts.append(stmt)
    return {"Version": "2012-10-17", "Statement": stmts}


def timed(label: str, fn: Any, expect: str) -> float:
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    flag = "" if result.result == expect else f"  (expected {expect}!)"
    print(f"{took * 1000:9.1f} ms  {result.result:4}  {label}{flag}")
    return took


def main() -> None:
    times: list[float] = []
    for name in roles():
        policy = role_document(name)["permission_policy"]
        times.append(timed(f"no-new-access {name} vs itself",
                           lambda p=policy: check_no_new_access(p, p), "PASS"))
    service = role_document("AWSDeepRacerServiceRole")["permission_policy"]
    narrowed = copy.deepcopy(service)
    wider = copy.deepcopy(service)
    for s in narrowed["Statement"]:
        if "s3:PutObject" in s["Action"]:
            s["Action"] = ["s3:GetObject", "s3:ListBucket"]
            s["Resource"] = ["arn:aws:s3:::deepracer-models-*", "arn:aws:s3:::*DeepRacer*"]
    for s in wider["Statement"]:
        if s["Action"] == ["iam:PassRole"]:
            s["Resource"] = "arn:aws:iam::*:role/*"
    times.append(timed("no-new-access service role, S3 narrowed",
                       lambda: check_no_new_access(service, narrowed), "PASS"))
    times.append(timed("no-new-access service role, PassRole widened",
                       lambda: check_no_new_access(service, wider), "FAIL"))
    times.append(timed("access-not-granted service role, iam:PassRole on Admin*",
                       lambda: check_access_not_granted(
                           service, actions=["iam:PassRole"],
                           resources=["arn:aws:iam::*:role/Admin*"]), "PASS"))
    for name in roles():
        trust = role_document(name)["trust_policy"]
        times.append(timed(f"no-public-access {name} trust policy",
                           lambda t=trust: check_no_public_access(t, resource_type="role"),
                           "PASS"))
    print(f"DeepRacer: median {statistics.median(times) * 1000:.1f} ms,"
          f" max {max(times) * 1000:.1f} ms over {len(times)} checks")

    big: list[float] = []
    for seed in range(5):
        base = synthetic(100, seed)
        narrower = copy.deepcopy(base)
        widened = copy.deepcopy(base)
        target = next(s for s in narrower["Statement"] if s["Effect"] == "Allow")
        target["Action"] = target["Action"][:1]
        wide = next(s for s in widened["Statement"] if s["Effect"] == "Allow"
                    and s["Resource"] != "*")
        wide["Resource"] = "*"
        big.append(timed(f"100 statements (seed {seed}): itself",
                         lambda b=base: check_no_new_access(b, b), "PASS"))
        big.append(timed(f"100 statements (seed {seed}): one statement narrowed",
                         lambda b=base, n=narrower: check_no_new_access(b, n), "PASS"))
        big.append(timed(f"100 statements (seed {seed}): one resource widened to *",
                         lambda b=base, w=widened: check_no_new_access(b, w), "FAIL"))
        big.append(timed(f"100 statements (seed {seed}): access-not-granted iam:PassRole",
                         lambda b=base: check_access_not_granted(b, actions=["iam:PassRole"]),
                         check_access_not_granted(base, actions=["iam:PassRole"]).result))
    print(f"100 statements: median {statistics.median(big) * 1000:.1f} ms,"
          f" max {max(big) * 1000:.1f} ms over {len(big)} checks")


if __name__ == "__main__":
    main()
