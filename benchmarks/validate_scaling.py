"""validate time against statement count (issue 10: validate must be linear).

Run: python benchmarks/validate_scaling.py [N ...]   (default 100 1000 10000)

Four shapes, each statement distinct: a bucket-per-team policy (one action, a resource pattern
per team), a mixed policy (actions from several services, some wildcards, conditions, a Deny
every tenth statement), compare.py's varied synthetic policy (benchmarks/synthetic.py: statements
sharing the `arn:aws:s3:::` and service prefixes, prefix, suffix and infix wildcards) and a
middle-wildcard policy (`arn:aws:s3:::data*t42x/*`: one literal prefix shared by all, the
distinguishing text between two wildcards). CPU seconds (`time.process_time`) of one
`validate_policy` call each.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from synthetic import varied_policy

from drpolicy.validate import validate_policy

_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:List*", "sagemaker:CreateTrainingJob",
            "logs:PutLogEvents", "iam:PassRole", "ec2:Describe*", "lambda:InvokeFunction")


def bucket_per_team(n: int) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::team-{i}/*"}
        for i in range(n)
    ]}


def mixed(n: int) -> dict[str, Any]:
    out = []
    for i in range(n):
        action = _ACTIONS[i % len(_ACTIONS)]
        service = action.split(":")[0]
        resource = (f"arn:aws:s3:::bucket-{i}/*" if service == "s3"
                    else f"arn:aws:iam::123456789012:role/r{i}" if service == "iam" else "*")
        stmt: dict[str, Any] = {"Effect": "Deny" if i % 10 == 9 else "Allow",
                                "Action": action, "Resource": resource}
        if i % 3 == 0:
            stmt["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": f"t{i}"}}
        out.append(stmt)
    return {"Version": "2012-10-17", "Statement": out}


def varied(n: int) -> dict[str, Any]:
    return varied_policy(n)[0]


def middle_wildcard(n: int) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::data*t{i}x/*"}
        for i in range(n)
    ]}


SHAPES = {"bucket-per-team": bucket_per_team, "mixed": mixed, "varied": varied,
          "middle-wildcard": middle_wildcard}


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100, 1000, 10000]
    validate_policy(bucket_per_team(2))  # load the data once, outside the timings
    print(f"{'statements':>10}" + "".join(f" {name + ' s':>17}" for name in SHAPES))
    for n in sizes:
        row = []
        for make in SHAPES.values():
            doc = make(n)
            t = time.process_time()
            validate_policy(doc)
            row.append(time.process_time() - t)
        print(f"{n:>10}" + "".join(f" {secs:>17.3f}" for secs in row), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
