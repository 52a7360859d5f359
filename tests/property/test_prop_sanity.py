"""Sanity of the generators: over a fixed sample they must produce every outcome often enough,
otherwise the differential tests would pass without testing anything.

A property test over policies that never match proves nothing; these tests fail if a change to
tests/property/iamgen.py makes Allows, explicit Denies, implicit Denies, matching and
non-matching patterns, true/false/erroring conditions or valid policies rare.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import reference
from iamgen import (
    ALL_KEYS,
    ROLE_ARN,
    Chooser,
    RandomChooser,
    action_pattern,
    condition_block,
    policies,
    request_action,
    request_context,
    request_for,
    request_resource,
    resource_pattern,
    targeted_statement,
)

SAMPLE = 400
T = TypeVar("T")


def sample(make: Callable[[Chooser], T], size: int = SAMPLE) -> list[T]:
    """``make`` run on ``size`` fixed seeds."""
    return [make(RandomChooser(random.Random(seed))) for seed in range(size)]


def shares(values: list[T]) -> dict[T, float]:
    counts = Counter(values)
    return {k: v / len(values) for k, v in counts.items()}


def test_identity_decisions_cover_every_outcome() -> None:
    def decide(ch: Chooser) -> str:
        docs = policies(ch)
        named = [(f"p{i}", d) for i, d in enumerate(docs)]
        action, resource, context = request_for(ch, docs)
        try:
            result = reference.evaluate_identity(named, action, resource, context,
                                                 principal=ROLE_ARN)
        except reference.InvalidPolicy:
            return "invalid"
        return "error" if result.undecided and result.decision != "Allowed" else result.decision

    found = shares(sample(decide))
    # ambiguous constructs (service-prefix wildcards, empty lists...) fail closed, so fewer
    # generated requests end Allowed than before issue 11
    assert found.get("Allowed", 0) >= 0.1, found
    assert found.get("ExplicitlyDenied", 0) >= 0.1, found
    assert found.get("ImplicitlyDenied", 0) >= 0.15, found
    assert 0.01 <= found.get("error", 0) <= 0.3, found
    assert found.get("invalid", 0) <= 0.2, found


def test_conditions_are_true_false_and_erroring() -> None:
    def holds(ch: Chooser) -> str:
        block = condition_block(ch)
        context = reference.normalise_context(request_context(ch))
        try:
            reference.check_conditions(block, variables=True)
        except reference.InvalidPolicy:
            return "invalid"
        return str(reference.conditions_hold({"Condition": block}, context, variables=True))

    found = shares(sample(holds))
    assert found.get("True", 0) >= 0.15, found
    assert found.get("False", 0) >= 0.15, found
    assert found.get("None", 0) >= 0.02, found
    assert found.get("invalid", 0) <= 0.25, found


def test_patterns_match_and_miss() -> None:
    def action(ch: Chooser) -> bool:
        return reference.action_matches(action_pattern(ch), request_action(ch))

    def resource(ch: Chooser) -> str:
        pattern = resource_pattern(ch)
        context = reference.normalise_context(request_context(ch))
        return str(reference.resource_entry_matches(pattern, request_resource(ch), context,
                                                    variables=True))

    actions = shares(sample(action, 1000))
    assert 0.1 <= actions.get(True, 0) <= 0.9, actions
    resources = shares(sample(resource, 1000))
    assert 0.05 <= resources.get("True", 0) <= 0.9, resources
    assert resources.get("None", 0) >= 0.005, resources


def test_targeted_statements_flip_decisions() -> None:
    """The monotonicity tests add statements aimed at the request: adding a Deny must often
    turn an Allow into an explicit deny, adding an Allow an implicit deny into an Allow."""

    def flip(ch: Chooser) -> str:
        docs = policies(ch)
        named = [(f"p{i}", d) for i, d in enumerate(docs)]
        action, resource, context = request_for(ch, docs)
        effect = ch.pick(["Allow", "Deny"])
        extra = targeted_statement(ch, action, resource, effect)
        try:
            before = reference.evaluate_identity(named, action, resource, context,
                                                 principal=ROLE_ARN)
            after = reference.evaluate_identity(
                [*named, ("extra", {"Version": "2012-10-17", "Statement": [extra]})],
                action, resource, context, principal=ROLE_ARN,
            )
        except reference.InvalidPolicy:
            return "invalid"
        return f"{effect}: {before.decision} -> {after.decision}"

    found = shares(sample(flip))
    assert found.get("Deny: Allowed -> ExplicitlyDenied", 0) >= 0.05, found
    assert found.get("Allow: ImplicitlyDenied -> Allowed", 0) >= 0.05, found


def test_context_alphabet_is_used() -> None:
    keys = Counter(k.lower() for ch in range(200)
                   for k in request_context(RandomChooser(random.Random(ch))))
    assert set(keys) == {k.lower() for k in ALL_KEYS} - {"ctx:none"}
