"""The parser on malformed input, and the parse/serialize round trip.

drpolicy.load_policy must raise only drpolicy errors (never a bare KeyError/TypeError/
AttributeError...), must reject what the reference knows is invalid, and must give back an
equal Policy for the JSON of any Policy it produced.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import reference
from hypothesis import event, example, given
from hypothesis import strategies as st
from iamgen import DrawChooser, policy

import drpolicy
from drpolicy import DrpolicyError, PolicyParseError
from drpolicy.evaluator import compile_policy

Draw = Any

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(
    max_size=12
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
POLICY_WORDS = (
    "Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action",
    "NotAction", "Resource", "NotResource", "Condition", "AWS", "Service", "StringEquals",
    "ForAllValues:StringLike", "NullIfExists", "Allow", "Deny", "*", "2012-10-17",
)
policy_shaped = st.recursive(
    json_scalars | st.sampled_from(POLICY_WORDS),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(POLICY_WORDS) | st.text(max_size=6), children, max_size=5),
    max_leaves=25,
)


def parse_outcome(source: Any, policy_type: str | None = None) -> drpolicy.Policy | None:
    """Parse; ``None`` for a drpolicy error. Anything else propagates (and fails the test)."""
    try:
        if policy_type is None:
            return drpolicy.load_policy(source)
        return compile_policy(source, policy_type).policy  # type: ignore[arg-type]
    except DrpolicyError:
        return None


def reference_valid(document: Any, policy_type: str = "any") -> bool:
    try:
        reference.check_policy(document, policy_type)
    except reference.InvalidPolicy:
        return False
    return True


class TestParserNeverCrashes:
    """IAM User Guide, "Grammar of the IAM JSON policy language": a policy is a JSON object with
    Version/Id/Statement, statements with the listed elements only, string-or-list values.
    Anything else is malformed; drpolicy reports it as a PolicyParseError (brief: "everything
    raised for bad input is a drpolicy error ... never a silent Allow")."""

    @given(json_values)
    @example({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                             "Condition": {"StringLike": {"k": "a${*}b"}}}],
              "Version": "2012-10-17"})
    @example({"Statement": {"Effect": "Allow", "Action": [[]], "Resource": {}}})
    @example({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                             "Condition": {"NumericEquals": {"k": float("nan")}}}]})
    @example({"Statement": [{"Sid": None, "Effect": "Allow", "Action": "*", "Resource": "*"}]})
    @example({"Id": None, "Statement": []})
    @example({"Statement": [{"Effect": "Deny", "Principal": {"AWS": "\u0661" * 12},
                             "Action": "*", "Resource": "*"}]})
    def test_random_json(self, document: Any) -> None:
        for source in (document, json.dumps(document)):
            parsed = parse_outcome(source)
            if not reference_valid(document):
                assert parsed is None
            event(f"parsed: {parsed is not None}")

    @given(policy_shaped)
    def test_policy_shaped_json(self, document: Any) -> None:
        parsed = parse_outcome(document)
        valid = reference_valid(document)
        event(f"valid: {valid}")
        if not valid:
            assert parsed is None
        for kind in ("identity", "resource", "trust"):
            typed = parse_outcome(document, kind)
            if not reference_valid(document, kind):
                assert typed is None, kind

    @given(st.binary(max_size=64) | st.text(max_size=64))
    @example(b"\xff\xfe{")
    @example("{" * 100000)
    @example('{"Statement": [], "Statement": []}')
    def test_text_and_bytes(self, source: bytes | str) -> None:
        parse_outcome(source)

    @given(st.integers() | st.lists(st.integers()) | st.sets(st.integers()) | st.none())
    def test_not_a_document(self, source: Any) -> None:
        with pytest.raises(PolicyParseError):
            drpolicy.load_policy(source)


# Mutations that make any valid policy invalid: (name, function(doc) -> doc).
def _first(doc: dict[str, Any]) -> dict[str, Any]:
    statements = doc["Statement"]
    first: dict[str, Any] = statements[0] if isinstance(statements, list) else statements
    return first


def _set(key: str, value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        _first(doc)[key] = value
        return doc
    return mutate


def _drop(key: str) -> Any:
    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        _first(doc).pop(key, None)
        return doc
    return mutate


def _condition(operator: str, value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        _first(doc)["Condition"] = {operator: {"ctx:k": value}}
        return doc
    return mutate


def _top(key: str, value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        doc[key] = value
        return doc
    return mutate


def _both_actions(doc: dict[str, Any]) -> dict[str, Any]:
    _first(doc)["Action"] = "s3:GetObject"
    _first(doc)["NotAction"] = "s3:PutObject"
    return doc


def _variable_condition(doc: dict[str, Any]) -> dict[str, Any]:
    doc["Version"] = "2012-10-17"
    _first(doc)["Condition"] = {"NumericLessThan": {"ctx:k": "${aws:username}"}}
    return doc


def _variable_in_service(doc: dict[str, Any]) -> dict[str, Any]:
    doc["Version"] = "2012-10-17"
    _first(doc).pop("NotResource", None)
    _first(doc)["Resource"] = "arn:aws:${ctx:svc}:::bucket/*"
    return doc


INVALIDATING = (
    ("no Effect", _drop("Effect")),
    ("lower-case Effect", _set("Effect", "allow")),
    ("numeric Effect", _set("Effect", 1)),
    ("both Action and NotAction", _both_actions),
    ("action without colon", _set("Action", "s3GetObject")),
    ("action with two colons", _set("Action", ["s3:Get:Object"])),
    ("action not a string", _set("Action", [1])),
    ("resource not an ARN", _set("Resource", "bucket/*")),
    ("short ARN without *", _set("Resource", ["arn:aws:s3"])),
    ("Principal in identity policy", _set("Principal", "*")),
    ("unknown element", _set("Resources", "*")),
    ("unknown operator", _condition("StringEqualz", "a")),
    ("NullIfExists", _condition("NullIfExists", "true")),
    ("qualifier without colon", _condition("ForAllValuesStringEquals", "a")),
    ("operator in wrong case", _condition("stringEquals", "a")),
    ("not a number", _condition("NumericLessThan", "ten")),
    ("not a date", _condition("DateLessThan", "2024-02-30")),
    ("not a CIDR", _condition("IpAddress", "300.1.1.1/8")),
    ("not base64", _condition("BinaryEquals", "***")),
    ("not a boolean", _condition("Bool", "yes")),
    ("not an ARN value", _condition("ArnLike", "bucket")),
    ("null condition value", _condition("StringEquals", None)),
    ("object condition value", _condition("StringEquals", {"a": "b"})),
    ("nested list condition value", _condition("StringEquals", [["a"]])),
    ("variable in Numeric", _variable_condition),
    ("variable outside the resource part", _variable_in_service),
    ("bad Version", _top("Version", "2012-10-18")),
    ("Statement not a list", _top("Statement", "Allow")),
    ("unknown top-level element", _top("Statment", [])),
)


@st.composite
def mutated(draw: Draw) -> tuple[str, dict[str, Any], dict[str, Any]]:
    ch = DrawChooser(draw)
    doc = policy(ch)
    name, mutate = ch.pick(INVALIDATING)
    return name, doc, mutate(copy.deepcopy(doc))


class TestMutatedPolicies:
    """Known-invalid edits of valid policies (grammar, element rules, condition operator names
    and value formats, where policy variables may appear: IAM User Guide "Grammar",
    "Condition operators", "Policy variables") are rejected with a PolicyParseError that names
    a place in the document; the reference agrees each edit is invalid."""

    @given(mutated())
    def test_invalid_edits_are_rejected(self, case: tuple[str, dict[str, Any], Any]) -> None:
        name, original, document = case
        event(name)
        assert not reference_valid(document, "identity"), name
        with pytest.raises(PolicyParseError) as raised:
            compile_policy(document, "identity")
        assert raised.value.problems, name
        for source in (document, json.dumps(document)):
            with pytest.raises(PolicyParseError):
                compile_policy(source, "identity")
        del original

    @given(st.data())
    def test_random_edits(self, data: st.DataObject) -> None:
        """Replace one random node of a valid policy with random JSON: drpolicy raises only
        drpolicy errors and rejects whatever the reference rejects."""
        ch = DrawChooser(data.draw)
        document: Any = policy(ch)
        paths: list[list[Any]] = []

        def walk(node: Any, path: list[Any]) -> None:
            paths.append(path)
            if isinstance(node, dict):
                for key, child in node.items():
                    walk(child, [*path, key])
            elif isinstance(node, list):
                for i, child in enumerate(node):
                    walk(child, [*path, i])

        walk(document, [])
        path = ch.pick(paths)
        replacement = data.draw(policy_shaped)
        if not path:
            document = replacement
        else:
            parent = document
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = replacement
        valid = reference_valid(document, "identity")
        event(f"valid: {valid}")
        try:
            compile_policy(document, "identity")
        except DrpolicyError:
            return
        assert valid, json.dumps(document)


class TestRoundTrip:
    """A parsed policy serialises (Policy.to_json) to JSON that parses back to an equal Policy,
    as text too: the IAM grammar's string-or-list choices and JSON booleans/numbers in
    condition values normalise, nothing else changes."""

    @given(st.data())
    def test_parse_serialize_parse(self, data: st.DataObject) -> None:
        ch = DrawChooser(data.draw)
        document = policy(ch)
        try:
            parsed = drpolicy.load_policy(document, name="p")
        except PolicyParseError:
            assert not reference_valid(document)
            return
        assert reference_valid(document)
        serialised = parsed.to_json()
        text = json.dumps(serialised)
        assert drpolicy.load_policy(serialised, name="p") == parsed
        assert drpolicy.load_policy(text, name="p") == parsed
        assert drpolicy.load_policy(text.encode(), name="p") == parsed
        assert json.loads(text) == serialised
        assert drpolicy.load_policy(parsed) is parsed
        assert len(parsed.statements) == len(reference.statements_of(document))
