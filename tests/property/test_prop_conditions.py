"""Properties of the condition language (issue 3) and condition clauses against the reference.

Each clause is compiled with drpolicy.conditions.compile_condition and called on a normalised
context; an evaluation error (drpolicy's ConditionEvaluationError) is represented as ``None``,
like the reference's "unknown".
"""

from __future__ import annotations

from typing import Any

import pytest
import reference
from hypothesis import event, example, given
from hypothesis import strategies as st
from iamgen import (
    ALL_REQUEST_VALUES,
    BASE_OPERATORS,
    FAMILY_VALUES,
    NEGATED_TWINS,
    REQUEST_ARNS,
    DrawChooser,
    family,
    policy_value,
)

from drpolicy.conditions import ConditionEvaluationError, compile_condition

Draw = Any
Context = dict[str, tuple[str, ...]]
KEY = "ctx:k"


def clause(operator: str, values: list[str], context: Context) -> bool | None:
    """The engine's verdict for ``operator: {KEY: values}``; ``None`` for an evaluation error."""
    compiled = compile_condition(operator, KEY, tuple(values), variables=True)
    try:
        return compiled(context)
    except ConditionEvaluationError:
        return None


def valid_values(ch: DrawChooser, base: str, *, count: tuple[int, int] = (1, 3)) -> list[str]:
    """Policy values that parse for ``base`` (variables resolve through ``ctx:str``)."""
    fam = family(base)
    values = []
    for _ in range(ch.number(*count)):
        value = policy_value(ch, fam)
        values.append(reference.condition_values(value)[0])
    return [v for v in values if "${ctx:none" not in v and "${ctx:multi}" not in v]


def request_value(ch: DrawChooser, base: str) -> str:
    """A request value, usually of the operator's family, sometimes unreadable for it."""
    fam = family(base)
    if ch.maybe(80):
        pool = REQUEST_ARNS if fam == "Arn" else FAMILY_VALUES[fam]
        return ch.pick(pool)
    return ch.pick(ALL_REQUEST_VALUES)


def base_context(ch: DrawChooser, *, complete: bool = False) -> Context:
    """The keys policy variables in generated values read (all of them, with readable values,
    when ``complete``)."""
    context: Context = {"ctx:str": (ch.pick(["a", "b", "a*", "x:y"]),)}
    if complete or ch.maybe(50):
        context["aws:username"] = ("alice",)
    if complete or ch.maybe(50):
        context["ctx:bool"] = (ch.pick(["true", "false"] if complete else ["true", "maybe"]),)
    if complete or ch.maybe(50):
        context["ctx:num"] = ("123456789012",)
    return context


@st.composite
def twin_cases(draw: Draw) -> tuple[str, str, list[str], Context]:
    ch = DrawChooser(draw)
    positive, negated = ch.pick(NEGATED_TWINS)
    suffix = "IfExists" if ch.maybe(30) else ""
    values = valid_values(ch, positive)
    context = base_context(ch, complete=True)
    context[KEY] = (request_value(ch, positive),)
    return positive + suffix, negated + suffix, values, context


class TestNegatedTwins:
    """Condition operators page: StringNotEquals is "Negated matching" of StringEquals, and
    likewise StringNotEqualsIgnoreCase, StringNotLike, NumericNotEquals, DateNotEquals,
    NotIpAddress, ArnNotEquals, ArnNotLike. Where the key is present with a single value, each
    negated operator is the exact complement of its positive twin (and both error together
    when the request value cannot be read for the family). Every policy variable has a value
    here (without one, "matches nothing" is not complemented: brief, semantics 4)."""

    @given(twin_cases())
    @example(("StringLike", "StringNotLike", ["a${*}b"], {KEY: ("a*b",)}))
    @example(("IpAddress", "NotIpAddress", ["10.0.0.0/8"], {KEY: ("::1",)}))
    @example(("ArnLike", "ArnNotLike", ["arn:aws:s3:::${ctx:str}"],
              {KEY: ("arn:aws:s3:::x:y",), "ctx:str": ("x:y",)}))
    def test_negated_is_complement(self, case: tuple[str, str, list[str], Context]) -> None:
        positive, negated, values, context = case
        if not values:
            return
        yes, no = clause(positive, values, context), clause(negated, values, context)
        event(f"{positive}: {yes}")
        if yes is None:
            assert no is None
        else:
            assert no is (not yes)


@st.composite
def clause_cases(draw: Draw) -> tuple[str, list[str], Context]:
    ch = DrawChooser(draw)
    base = ch.pick([b for b in BASE_OPERATORS if b != "Null"])
    values = valid_values(ch, base, count=(0, 3))
    context = base_context(ch)
    shape = ch.pick(["single", "single", "missing", "empty", "multi"])
    if shape == "single":
        context[KEY] = (request_value(ch, base),)
    elif shape == "empty":
        context[KEY] = ()
    elif shape == "multi":
        context[KEY] = tuple(request_value(ch, base) for _ in range(ch.number(2, 3)))
    return base, values, context


class TestIfExists:
    """Condition operators page, "...IfExists condition operators": "If the policy key is
    present in the context of the request, process the key as specified in the policy. If the
    key is not present, evaluate the condition element as true." (a key given with no values
    is absent, docs/conditions.md). With a set qualifier, a missing key is an ambiguous
    construct, and so is an empty value list (docs/semantics.md)."""

    @given(clause_cases(), st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]))
    def test_if_exists(self, case: tuple[str, list[str], Context], qualifier: str) -> None:
        base, values, context = case
        plain = clause(qualifier + base, values, context)
        if_exists = clause(qualifier + base + "IfExists", values, context)
        present = bool(context.get(KEY))
        event(f"present={present}")
        if present:
            assert if_exists == plain
        elif not values:
            # an empty value list is ambiguous whatever the key (docs/semantics.md)
            assert if_exists is None
        elif qualifier:
            # IfExists says true, the set qualifier says otherwise: ambiguous (fails closed)
            assert if_exists is None
        else:
            assert if_exists is True


@st.composite
def single_value_cases(draw: Draw) -> tuple[str, list[str], Context, bool]:
    ch = DrawChooser(draw)
    base = ch.pick([b for b in BASE_OPERATORS if b != "Null"])
    suffix = "IfExists" if ch.maybe(25) else ""
    values = valid_values(ch, base, count=(0, 3))
    context = base_context(ch)
    context[KEY] = (request_value(ch, base),)
    return base + suffix, values, context, ch.maybe(50)


class TestSetQualifiersOnOneValue:
    """"Conditions with multiple context keys or values": ForAllValues tests whether every
    request value matches, ForAnyValue whether at least one does; a single-valued key is "a set
    of one". So on a key with exactly one value both equal the plain operator (negated ones
    per value: "no request value matches")."""

    @given(single_value_cases())
    def test_qualifiers_equal_plain(self, case: tuple[str, list[str], Context, bool]) -> None:
        operator, values, context, _ = case
        plain = clause(operator, values, context)
        event(f"{plain}")
        assert clause("ForAllValues:" + operator, values, context) == plain
        assert clause("ForAnyValue:" + operator, values, context) == plain


@st.composite
def any_clause_cases(draw: Draw) -> tuple[str, list[Any], Context]:
    ch = DrawChooser(draw)
    base = ch.pick(BASE_OPERATORS)
    qualifier = ch.pick(["", "", "ForAllValues:", "ForAnyValue:"])
    suffix = "IfExists" if base != "Null" and ch.maybe(25) else ""
    fam = family(base)
    values = [policy_value(ch, fam) for _ in range(ch.pick([1, 1, 2, 3, 0]))]
    context = base_context(ch)
    shape = ch.pick(["single", "single", "missing", "empty", "multi"])
    if shape == "single":
        context[KEY] = (request_value(ch, base),)
    elif shape == "empty":
        context[KEY] = ()
    elif shape == "multi":
        context[KEY] = tuple(request_value(ch, base) for _ in range(ch.number(2, 3)))
    return qualifier + base + suffix, values, context


class TestClausesAgainstReference:
    """Condition operators page, as summarised in docs/conditions.md: AND across keys, OR across
    values, NOR for negated operators; absent keys (IfExists true, ForAllValues true,
    ForAnyValue false, negated true, positive false, Null); multi-valued keys; values parsed
    per family; policy variables substituted literally ("Policy variables"); an evaluation error
    anywhere in a clause is an error (fail closed)."""

    @given(any_clause_cases())
    @example(("StringNotEquals", ["${ctx:none}", "x"], {KEY: ("x",)}))
    @example(("ForAnyValue:StringLike", ["a${*}b"], {KEY: ("a*b", "axb")}))
    @example(("Bool", ["${ctx:bool}", "true"], {KEY: ("true",), "ctx:bool": ("maybe",)}))
    @example(("Bool", ["true", "${ctx:bool}"], {KEY: ("true",), "ctx:bool": ("maybe",)}))
    @example(("ArnLike", ["arn:aws:iam::${ctx:str}:user/alice"],
              {KEY: ("arn:aws:iam::1:2:user/alice",), "ctx:str": ("1:2",)}))
    @example(("ArnLike", ["arn:${ctx:str}*"], {KEY: ("arn:aws:s3:::b",), "ctx:str": ("aws",)}))
    @example(("DateEquals", ["2024-01-01T00:00:00.000000001Z"], {KEY: ("2024-01-01",)}))
    @example(("NumericEquals", ["1_000"], {KEY: ("1000",)}))
    @example(("NumericLessThan", ["\u0661\u0660"], {KEY: ("5",)}))
    @example(("DateLessThan", ["2024-01-01T00:00+99:00"], {KEY: ("2024-01-01",)}))
    def test_clause_agrees(self, case: tuple[str, list[Any], Context]) -> None:
        operator, raw_values, context = case
        try:
            reference.check_conditions({operator: {KEY: raw_values}}, variables=True)
        except reference.InvalidPolicy:
            with pytest.raises(ValueError):
                compile_condition(
                    operator, KEY, tuple(reference.condition_values(raw_values)), variables=True
                )
            event("invalid")
            return
        values = reference.condition_values(raw_values)
        expected = reference.condition_holds(operator, KEY, raw_values, context, variables=True)
        event(f"{expected}")
        assert clause(operator, values, context) == expected
