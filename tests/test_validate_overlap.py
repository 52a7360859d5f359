"""The indexed statement-against-statement checks (redundant and shadowed statements) find
exactly what comparing every pair finds, and compare each statement with few others."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import drpolicy.validate as validate_module
from drpolicy import _validate_overlap as ov
from drpolicy.model import Statement
from drpolicy.parser import parse_policy
from drpolicy.validate import validate_policy

V = "2012-10-17"


class _AllPairs(ov.Overlaps):
    """The reference: every statement of the effect is a candidate, in document order."""

    def _candidates(self, stmt: Statement, effect: str) -> Iterator[Statement]:
        yield from (s for s in self.statements if s.effect == effect)


# Patterns built from a few shared pieces, so that statements share long literal prefixes and
# suffixes, and carry wildcards at the start, in the middle and at the end.
_PIECES = st.sampled_from(
    ["team", "team-", "a", "b", "1", "12", "/", "-", ".", "_", ":", "*", "*", "?", "x/y", "T"]
)
_VARIABLE = st.sampled_from(["${aws:username}", "${*}", "${?}"])


@st.composite
def _resource_part(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(st.one_of(_PIECES, _VARIABLE) if draw(st.booleans()) else _PIECES, max_size=5)
    )
    return "".join(pieces)


@st.composite
def _resources(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["*", "arn:aws:s3*", "arn:*", "arn:aws:s3:::*"]))
    service = draw(st.sampled_from(["s3", "S3", "s*", "iam"]))
    region = draw(st.sampled_from(["", "us-east-1", "us-*-1", "*"]))
    account = draw(st.sampled_from(["", "123456789012", "*", "12*"]))
    prefix = draw(st.sampled_from(["", "shared-bucket-name/", "shared-bucket-name/team-"]))
    return f"arn:aws:{service}:{region}:{account}:{prefix}{draw(_resource_part())}"


@st.composite
def _actions(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["*", "s3:*", "*:*", "S3:get*"]))
    service = draw(st.sampled_from(["s3", "S3", "s*", "iam"]))
    name = draw(
        st.lists(
            st.sampled_from(["Get", "Put", "Object", "T1", "T12", "*", "?"]), min_size=1, max_size=4
        )
    )
    return f"{service}:{''.join(name)}"


_PRINCIPALS = st.sampled_from(
    [
        None,
        None,
        "*",
        {"AWS": "123456789012"},
        {"AWS": "*"},
        {"AWS": ["123456789012"]},
        {"Service": "sagemaker.amazonaws.com"},
    ]
)


@st.composite
def _statements(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    key = draw(st.sampled_from(["Action", "Action", "Action", "NotAction"]))
    out[key] = draw(st.lists(_actions(), min_size=1, max_size=3))
    rkey = draw(st.sampled_from(["Resource", "Resource", "Resource", "NotResource", None]))
    if rkey is not None:
        out[rkey] = draw(st.lists(_resources(), min_size=1, max_size=3))
    principal = draw(_PRINCIPALS)
    if principal is not None:
        out["NotPrincipal" if draw(st.integers(0, 9)) == 0 else "Principal"] = principal
    if draw(st.integers(0, 4)) == 0:
        out["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
    return out


@st.composite
def _policies(draw: st.DrawFn) -> dict[str, Any]:
    """A policy whose statements are often copies or variations of each other (so that
    many pairs cover each other)."""
    pool = draw(st.lists(_statements(), min_size=1, max_size=6))
    picks = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=12))
    doc: dict[str, Any] = {"Statement": picks}
    if draw(st.booleans()):
        doc["Version"] = V
    return doc


def _findings(overlaps: ov.Overlaps, statements: tuple[Statement, ...]) -> list[list[Any]]:
    return [overlaps.check(s, f"Statement[{s.index}]") for s in statements]


@settings(max_examples=4 * settings().max_examples)
@given(_policies())
def test_index_finds_what_every_pair_finds(doc: dict[str, Any]) -> None:
    policy = parse_policy(doc)
    variables = policy.version == V
    indexed = ov.Overlaps(policy.statements, variables)
    reference = _AllPairs(policy.statements, variables)
    assert _findings(indexed, policy.statements) == _findings(reference, policy.statements)
    # stronger than equal findings: every statement that covers another is its candidate
    for s in indexed.statements:
        for effect in ("Allow", "Deny"):
            found = [c.index for c in indexed._candidates(s, effect)]
            assert found == sorted(set(found))  # document order, each once
            for t in reference.statements:
                if t.effect == effect and ov._covers(t, s, variables):
                    assert t.index in found, (t.index, s.index)


@given(_policies())
def test_validate_policy_reports_what_every_pair_finds(doc: dict[str, Any]) -> None:
    indexed = validate_policy(doc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate_module, "Overlaps", _AllPairs)
        reference = validate_policy(doc)
    assert indexed == reference


def test_findings_of_a_known_policy() -> None:
    """The same findings as the all-pairs reference, and the ones expected."""
    doc = {
        "Version": V,
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shared/team-1/*",
            },
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::shared/*/*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::shared/*-2/*"},
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shared/team-2/x",
            },
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::other/team-2/x",
            },
        ],
    }
    got = [
        (f.code, f.path, f.message)
        for f in validate_policy(doc)
        if f.code in ("redundant-statement", "shadowed-statement")
    ]
    assert got == [
        (
            "redundant-statement",
            "Statement[0]",
            "this statement grants nothing that `Statement[1]` does not: remove it",
        ),
        (
            "redundant-statement",
            "Statement[3]",
            "this statement grants nothing that `Statement[1]` does not: remove it",
        ),
        (
            "shadowed-statement",
            "Statement[3]",
            "every request this statement allows is denied by `Statement[2]`, so it grants nothing",
        ),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate_module, "Overlaps", _AllPairs)
        assert validate_policy(doc) == validate_policy(doc)


def _shared_prefix_policy(n: int) -> dict[str, Any]:
    """``n`` statements sharing long literal prefixes, with wildcards in the middle and a
    Deny every tenth statement: shapes a literal-prefix index alone compares all pairs for."""
    out = []
    for i in range(n):
        resource = [
            f"arn:aws:s3:::shared-bucket-name/team-{i}/report.csv",
            f"arn:aws:s3:::shared-bucket-name/*-{i}/*",
            f"arn:aws:s3:::shared-bucket-name/team-{i}/*.json",
            "*",
            f"arn:aws:s3:::data*t{i}x/*",  # no delimiter around the middle piece
            f"arn:aws:s3:::*/t{i}",
        ][i % 6]
        action = ["s3:GetObject", f"s3:Get{i}*", f"s3:*{i}Tags", "s3:PutObject"][i % 3]
        out.append(
            {"Effect": "Deny" if i % 10 == 3 else "Allow", "Action": action, "Resource": resource}
        )
    return {"Version": V, "Statement": out}


def test_comparisons_grow_linearly_with_shared_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A count, not a timing: the coverage tests per statement stay bounded as the policy
    grows (comparing every pair makes about n per statement)."""
    calls = 0
    covers = ov._covers

    def counting(sup: Statement, sub: Statement, variables: bool) -> bool:
        nonlocal calls
        calls += 1
        return covers(sup, sub, variables)

    monkeypatch.setattr(ov, "_covers", counting)
    per_statement = []
    for n in (200, 2000):
        calls = 0
        policy = parse_policy(_shared_prefix_policy(n))
        overlaps = ov.Overlaps(policy.statements, True)
        for s in policy.statements:
            overlaps.check(s, f"Statement[{s.index}]")
        per_statement.append(calls / n)
    assert per_statement[1] < 1.5 * per_statement[0] + 1, per_statement
    assert per_statement[1] < 10, per_statement
