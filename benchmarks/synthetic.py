"""Seeded generator of synthetic policies for the scaling benchmarks.

Two policy shapes, each built for 10, 100, 1,000 or 10,000 statements:

``varied``
    Statement *i* has its own token ``T0000i`` in every action and resource pattern, so a request
    built from one statement's token matches that statement and no other. Actions mix exact
    names, prefix (``s3:GetT00042*``), suffix (``ec2:*T00042Tags``) and ``?`` patterns across
    eight services (40% ``s3``); resources mix exact ARNs, ``*`` region/account fields, infix and
    prefix wildcards, and a few ``Resource: "*"``. About 30% of statements carry a condition
    (StringEquals / StringLike / StringEqualsIgnoreCase); every tenth statement (index 3, 13,
    23, ...) is a Deny. The last statement is always an Allow.

``same_action``
    Every statement allows ``s3:GetObject`` and differs only in its resource pattern (exact,
    bucket prefix, infix, deep path), so an index on actions cannot narrow anything down.

Three request kinds, one request each (``scaling_case(kind, n)``):

``nothing``
    ``s3:GetT99999Object`` on a bucket no statement names: same service and shape as the
    statements' patterns, matches none (implicit deny).
``last``
    built from the last statement of the ``varied`` policy: matches it and only it (allow).
``resource``
    ``s3:GetObject`` against the ``same_action`` policy, on a resource that only the last
    statement's pattern matches (allow).

All synthetic requests carry the same context (``aws:RequestedRegion``, a principal tag and a
resource tag) so the conditions are evaluated. Expected answers hold by construction and are
checked against drpolicy by ``compare.py`` and the benchmark suite.
"""

from __future__ import annotations

import random
from typing import Any, Final

from workload import PolicySet, Request

__all__ = [
    "CONTEXT",
    "KINDS",
    "ROLE",
    "SEED",
    "SIZES",
    "same_action_policy",
    "scaling_case",
    "varied_policy",
]

SEED: Final = 20180627
SIZES: Final = (10, 100, 1000, 10000)
KINDS: Final = ("nothing", "last", "resource")
ROLE: Final = "SyntheticRole"
ACCOUNT: Final = "123456789012"
SERVICES: Final = ("ec2", "dynamodb", "sqs", "sns", "lambda", "logs", "kms")

CONTEXT: Final[dict[str, str]] = {
    "aws:RequestedRegion": "eu-west-1",
    "aws:PrincipalTag/team": "dr-racing",
    "aws:ResourceTag/env": "PROD",
}
"""The context every synthetic request carries; each generated condition is true for it."""

_CONDITIONS: Final[tuple[dict[str, Any], ...]] = (
    {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
    {"StringLike": {"aws:PrincipalTag/team": "dr-*"}},
    {"StringEqualsIgnoreCase": {"aws:ResourceTag/env": "prod"}},
)


def _token(i: int, tag: str = "") -> str:
    return f"{tag}T{i:05d}"


def _varied_statement(
    i: int, rng: random.Random, tag: str = ""
) -> tuple[dict[str, Any], str, str]:
    """One statement of the ``varied`` policy and a request (action, resource) matching it."""
    statement, actions, resources = _varied_statement_forms(i, rng, tag)
    return statement, actions[0][1], resources[0][1]


def _varied_statement_forms(
    i: int, rng: random.Random, tag: str = ""
) -> tuple[dict[str, Any], list[tuple[str, str]], list[tuple[str, str]]]:
    """One statement of the ``varied`` policy with its (pattern, matching sample) forms."""
    tok = _token(i, tag)
    svc = "s3" if rng.random() < 0.4 else rng.choice(SERVICES)
    forms = [
        (f"{svc}:Describe{tok}", f"{svc}:Describe{tok}"),
        (f"{svc}:Get{tok}*", f"{svc}:Get{tok}Object"),
        (f"{svc}:*{tok}Tags", f"{svc}:List{tok}Tags"),
        (f"{svc}:Put{tok}Item?", f"{svc}:Put{tok}Items"),
    ]
    rng.shuffle(forms)
    actions = forms[: rng.randint(1, 3)]

    low = tok.lower()
    if svc == "s3":
        res_forms = [
            (f"arn:aws:s3:::bucket-{low}/report.csv", f"arn:aws:s3:::bucket-{low}/report.csv"),
            (f"arn:aws:s3:::bucket-{low}/*", f"arn:aws:s3:::bucket-{low}/a/b.json"),
            (f"arn:aws:s3:::*-{low}/*", f"arn:aws:s3:::team-{low}/c.txt"),
        ]
    else:
        res_forms = [
            (f"arn:aws:{svc}:us-east-1:{ACCOUNT}:res/{tok}",
             f"arn:aws:{svc}:us-east-1:{ACCOUNT}:res/{tok}"),
            (f"arn:aws:{svc}:*:{ACCOUNT}:res/{tok}/*",
             f"arn:aws:{svc}:eu-west-1:{ACCOUNT}:res/{tok}/x/y"),
            (f"arn:aws:{svc}:us-*-1:*:res/*-{tok}-*",
             f"arn:aws:{svc}:us-west-1:{ACCOUNT}:res/app-{tok}-data"),
        ]
    rng.shuffle(res_forms)
    resources = res_forms[: rng.randint(1, 2)]
    if rng.random() < 0.05:
        resources = [("*", resources[0][1])]

    statement: dict[str, Any] = {
        "Sid": f"S{i}",
        "Effect": "Deny" if i % 10 == 3 else "Allow",
        "Action": [a for a, _ in actions] if len(actions) > 1 else actions[0][0],
        "Resource": [r for r, _ in resources] if len(resources) > 1 else resources[0][0],
    }
    roll = rng.random()
    if roll < 0.3:
        statement["Condition"] = _CONDITIONS[int(roll * 10)]
    return statement, actions, resources


def varied_policy(
    n: int, seed: int = SEED, tag: str = ""
) -> tuple[dict[str, Any], tuple[str, str]]:
    """The ``varied`` policy of ``n`` statements and a request matching only its last one.

    Args:
        n: number of statements.
        seed: the random seed (forms, services, conditions).
        tag: a prefix for every token (``tag="A"`` gives ``AT00042``): a policy with a new tag
            shares no pattern with any other, for measuring compilation with cold caches.

    Returns:
        ``(policy document, (action, resource))``.
    """
    rng = random.Random(seed * 100003 + n)
    statements = []
    request = ("", "")
    for i in range(n):
        statement, action, resource = _varied_statement(i, rng, tag)
        statements.append(statement)
        request = (action, resource)
    return {"Version": "2012-10-17", "Statement": statements}, request


def same_action_policy(n: int, seed: int = SEED, tag: str = "") -> tuple[dict[str, Any], str]:
    """The ``same_action`` policy of ``n`` statements and a resource only the last matches.

    ``seed`` and ``tag`` as for :func:`varied_policy`.

    Returns:
        ``(policy document, resource)``.
    """
    rng = random.Random(seed * 100019 + n)
    statements = []
    resource = ""
    for i in range(n):
        low = _token(i, tag).lower()
        form = rng.randrange(4)
        if form == 0:
            pattern = resource = f"arn:aws:s3:::bucket-{low}/report.csv"
        elif form == 1:
            pattern, resource = f"arn:aws:s3:::bucket-{low}/*", f"arn:aws:s3:::bucket-{low}/k/v"
        elif form == 2:
            pattern, resource = f"arn:aws:s3:::*-{low}/*", f"arn:aws:s3:::data-{low}/part-0"
        else:
            pattern = f"arn:aws:s3:::logs/*/{low}/*.gz"
            resource = f"arn:aws:s3:::logs/2024/{low}/app.gz"
        statements.append(
            {"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": pattern}
        )
    return {"Version": "2012-10-17", "Statement": statements}, resource


def scaling_case(kind: str, n: int) -> tuple[PolicySet, list[Request]]:
    """The policy set (one role, one policy of ``n`` statements) and the request for a kind.

    Args:
        kind: ``nothing``, ``last`` or ``resource``.
        n: number of statements.
    """
    if kind == "resource":
        doc, resource = same_action_policy(n)
        req = Request(ROLE, "s3:GetObject", resource, CONTEXT, True, f"resource-{n}")
    else:
        doc, (action, resource) = varied_policy(n)
        if kind == "last":
            req = Request(ROLE, action, resource, CONTEXT, True, f"last-{n}")
        elif kind == "nothing":
            req = Request(
                ROLE, "s3:GetT99999Object", "arn:aws:s3:::bucket-t99999/report.csv",
                CONTEXT, False, f"nothing-{n}",
            )
        else:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    return {ROLE: [doc]}, [req]



# ----------------------------------------------------------------------------- distinct streams

DISTINCT_KINDS: Final = ("nothing", "varied", "same_action", "actions")
"""Distinct-request scaling cases: ``nothing`` (statements that match nothing), ``varied``
(the varied policy's statements hit at random), ``same_action`` (every statement shares
``s3:GetObject``; resource patterns differ) and ``actions`` (every request a new action,
matched through a wildcard action pattern)."""


def _fill(pattern: str, rng: random.Random) -> str:
    """A string ``pattern`` matches: every ``*`` becomes a fresh token, every ``?`` a letter."""
    out = []
    for c in pattern:
        if c == "*":
            out.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(7)))
        elif c == "?":
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyz"))
        else:
            out.append(c)
    return "".join(out)


def _spell(action: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in action)


def distinct_case(kind: str, n: int, count: int, seed: int = 7) -> tuple[PolicySet, list[Request]]:
    """The policy set for a scaling kind at ``n`` statements and ``count`` distinct requests
    with the answer known by construction (every token in the policy is unique to one
    statement, and :data:`CONTEXT` makes every condition true)."""
    rng = random.Random(seed * 1009 + n)
    requests: list[Request] = []
    seen: set[tuple[str, str]] = set()
    if kind == "same_action":
        doc, _ = same_action_policy(n)
        patterns = [st["Resource"] for st in doc["Statement"]]
        wild = [p for p in patterns if "*" in p]
        rng.shuffle(wild)
        while len(requests) < count:
            k = len(requests)
            resource = _fill(wild[k] if k < len(wild) else rng.choice(wild), rng)
            if (resource, "") not in seen:
                seen.add((resource, ""))
                requests.append(Request(ROLE, "s3:GetObject", resource, CONTEXT, True, "same"))
        return {ROLE: [doc]}, requests
    policy_rng = random.Random(SEED * 100003 + n)
    statements, forms = [], []
    for i in range(n):
        statement, actions, resources = _varied_statement_forms(i, policy_rng)
        statements.append(statement)
        forms.append((statement, actions, resources))
    doc = {"Version": "2012-10-17", "Statement": statements}
    with_wild_action = [f for f in forms if any("*" in a or "?" in a for a, _ in f[1])]
    # the first requests touch every (statement, action form) once, in a shuffled order;
    # then statements and forms at random
    pool = with_wild_action if kind == "actions" else forms
    order = [
        (i, j) for i, (_, actions, _) in enumerate(pool) for j, (a, _) in enumerate(actions)
        if kind != "actions" or "*" in a or "?" in a
    ]
    rng.shuffle(order)
    while len(requests) < count:
        if kind == "nothing":
            action = "s3:GetT99999Object"
            resource = f"arn:aws:s3:::bucket-t99999/report-{_fill('*', rng)}.csv"
            expected = False
        else:
            k = len(requests)
            if k < len(order):
                i, j = order[k]
            else:
                i = rng.randrange(len(pool))
                j = rng.choice([
                    j for j, (a, _) in enumerate(pool[i][1])
                    if kind != "actions" or "*" in a or "?" in a
                ])
            statement, actions, resources = pool[i]
            pattern, sample = actions[j]
            action = _fill(pattern, rng) if kind == "actions" else _spell(sample, rng)
            pattern = resources[0][0]
            resource = (
                _fill("arn:aws:s3:::any-*", rng) if pattern == "*" else _fill(pattern, rng)
            )
            expected = statement["Effect"] == "Allow"
        if (action, resource) in seen:
            continue
        seen.add((action, resource))
        requests.append(Request(ROLE, action, resource, CONTEXT, expected, kind))
    return {ROLE: [doc]}, requests
