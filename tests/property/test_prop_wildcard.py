"""Differential tests: the compiled wildcard matcher (drpolicy._wildcard) against the reference.

The reference (tests/reference.py) matches globs with a tiny dynamic-programming matcher, per
call, with no regular expressions; the engine compiles regexes once. Both must agree on every
pattern and string, including regex metacharacters, ``:``, ``/``, newlines, NULs and unicode
with irregular case mappings (``İ``, the Kelvin sign, final sigma).
"""

from __future__ import annotations

from typing import Any

import pytest
import reference
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from iamgen import DrawChooser, examples, instantiate, tricky_text

from drpolicy._wildcard import (
    ActionMatcher,
    PatternError,
    compile_action_pattern,
    compile_arn_pattern,
    compile_glob,
)

Draw = Any


@st.composite
def action_cases(draw: Draw) -> tuple[list[str], str]:
    """1-4 action patterns (some invalid) and a ``service:name`` string."""
    ch = DrawChooser(draw)
    patterns = []
    for _ in range(ch.number(1, 4)):
        kind = ch.number(0, 9)
        if kind == 0:
            patterns.append("*")
        elif kind == 1:
            patterns.append(tricky_text(ch).replace(":", "") + ch.pick(["", "::", ":a:"]))
        else:
            service = tricky_text(ch, max_len=4).replace(":", "")
            name = tricky_text(ch).replace(":", "")
            patterns.append(f"{service}:{name}")
    source = ch.pick(patterns)
    if ":" in source and source.count(":") == 1 and ch.maybe(80):
        text = instantiate(ch, source)
        service, _, name = text.partition(":")
        text = service.replace(":", "") + ":" + name.replace(":", "")
    else:
        text = tricky_text(ch, max_len=4).replace(":", "") + ":" + tricky_text(ch).replace(":", "")
    if ch.maybe(30):
        text = text.swapcase() if ch.maybe(50) else text.upper()
    return patterns, text


class TestActionMatcher:
    """IAM User Guide, "IAM JSON policy elements: Action": "The prefix and the action name are
    case insensitive"; a wildcard (``*`` any run, ``?`` one character) may appear in the action
    name. drpolicy also globs the service prefix, per part, never across the colon (brief,
    semantics 1); every other character is literal (S50: escape everything but ``*`` ``?``).
    """

    @given(action_cases())
    @example((["s3*:Get*"], "s3:GetObject"))
    @example((["s3:Get.bject"], "s3:GetXbject"))
    @example((["s3:[a]"], "s3:[a]"))
    @example((["*:a"], "s3:A"))
    @example((["s3:\u212a*"], "s3:k"))
    @example((["s3:a?"], "s3:a\n"))
    @example((["s3:GetObject,PutObject"], "s3:PutObject"))
    def test_agrees_with_reference(self, case: tuple[list[str], str]) -> None:
        patterns, action = case
        lowered = action.lower()
        compiled = []
        for source in patterns:
            try:
                reference.validate_action_pattern(source)
                valid = True
            except reference.InvalidPolicy:
                valid = False
            if not valid:
                with pytest.raises(PatternError):
                    compile_action_pattern(source)
                continue
            pattern = compile_action_pattern(source)
            expected = reference.action_matches(source, action)
            event(f"action match: {expected}")
            assert pattern.matches(lowered) is expected, (source, action)
            assert ActionMatcher.build([pattern]).matches(lowered) is expected, (source, action)
            compiled.append((source, pattern))
        if compiled:
            matcher = ActionMatcher.build(p for _, p in compiled)
            expected_any = any(reference.action_matches(s, action) for s, _ in compiled)
            assert matcher.matches(lowered) is expected_any
            first = matcher.matching_pattern(lowered)
            assert (first is not None) is expected_any
            if first is not None:
                assert reference.action_matches(first, action)


@st.composite
def arn_cases(draw: Draw) -> tuple[str, str, dict[str, tuple[str, ...]]]:
    """An ARN pattern (possibly short, with variables or invalid), a string and a context."""
    ch = DrawChooser(draw)
    if ch.maybe(5):
        pattern = "*"
    else:
        fields = ["arn" if ch.maybe(95) else ch.pick(["ARN", "arn*", "a?n", ""])]
        for i in range(1, 6):
            text = tricky_text(ch, max_len=4 if i < 5 else 10)
            fields.append(text if i == 5 else text.replace(":", ""))
        if ch.maybe(50):
            i = ch.pick([5, 5, 5, 5, 1, 2, 3, 4])
            var = ch.pick(["${ctx:a}", "${CTX:A, 'x:*y'}", "${*}", "${?}", "${$}", "${ctx:m}",
                           "${ctx:none}", "${ bad"])
            cut = ch.number(0, len(fields[i]))
            fields[i] = fields[i][:cut] + var + fields[i][cut:]
        pattern = ":".join(fields)
        if ch.maybe(20):
            pattern = pattern[: ch.number(0, len(pattern))] + ch.pick(["*", "", "?"])
    context: dict[str, tuple[str, ...]] = {}
    if ch.maybe(70):
        context["ctx:a"] = (ch.pick(["x", "a*b", "x:*y", "", "\n", "?"]),)
    if ch.maybe(30):
        context["ctx:m"] = ("p", "q") if ch.maybe(50) else ("p",)
    filled = pattern
    for var, key in (("${ctx:a}", "ctx:a"), ("${CTX:A, 'x:*y'}", "ctx:a"), ("${ctx:m}", "ctx:m")):
        if var in filled:
            given_values = context.get(key, ("x:*y",))
            filled = filled.replace(var, given_values[0] if len(given_values) == 1 else "p")
    for var, text in (("${*}", "*"), ("${?}", "?"), ("${$}", "$")):
        filled = filled.replace(var, text)
    if ch.maybe(80):
        value = instantiate(ch, filled)
    else:
        value = ch.pick(["*", "arn:aws:s3:::b", "arn:::::", ""]) + tricky_text(ch)
    return pattern, value, context


def _reference_resource(
    pattern: str, value: str, context: dict[str, tuple[str, ...]], *, variables: bool
) -> bool | None | str:
    try:
        reference.validate_resource_pattern(pattern, variables=variables)
    except reference.InvalidPolicy:
        return "invalid"
    return reference.resource_entry_matches(pattern, value, context, variables=variables)


class TestArnMatcher:
    """IAM User Guide, "IAM JSON policy elements: Resource": "You can use wildcard characters
    (* and ?) within ARN segments (the parts separated by colons)"; ``*`` "can expand to replace
    everything within a segment, including characters like a forward slash (/)", and "If the *
    wildcard is the last character of a resource ARN segment, it can expand to match beyond the
    colon boundaries" (drpolicy: a short pattern ending in ``*`` is padded with ``*`` fields).
    ARNs split on the first five colons (reference-arns); the resource part is case-sensitive;
    policy variables only in the resource part, substituted literally ("Policy variables with
    no value": such an entry matches nothing).
    """

    @given(arn_cases(), st.booleans())
    @example(("arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*", "arn:aws:s3:::DOC-EXAMPLE-BUCKET//test/o",
              {}), True)
    @example(("arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/test/o",
              {}), True)
    @example(("arn:aws:logs:*:*:log-group:/x", "arn:aws:logs:us-east-1:1:log-group:/x:log-stream:s",
              {}), True)
    @example(("arn:aws:sqs:*", "arn:aws:sqs:us-east-1:123456789012:q", {}), True)
    @example(("arn:aws:s3:::home/${ctx:a}/*", "arn:aws:s3:::home/ab/x", {"ctx:a": ("a*",)}), True)
    @example(("arn:AWS:S3:::b", "arn:aws:s3:::b", {}), True)
    @example(("arn:aws:s3:::[ab]", "arn:aws:s3:::a", {}), True)
    @example(("arn:aws:s3:::a.c", "arn:aws:s3:::abc", {}), True)
    @example(("arn:aws:s3:::*", "*", {}), True)
    @example(("*", "*", {}), True)
    def test_resource_patterns_agree(
        self, case: tuple[str, str, dict[str, tuple[str, ...]]], variables: bool
    ) -> None:
        pattern, value, context = case
        expected = _reference_resource(pattern, value, context, variables=variables)
        event(f"resource pattern: {expected}")
        if expected == "invalid":
            with pytest.raises(PatternError):
                compile_arn_pattern(pattern, fold_prefix=True, variables=variables)
            return
        compiled = compile_arn_pattern(pattern, fold_prefix=True, variables=variables)
        assert compiled.match(value, context) == expected, (pattern, value, context, compiled.kind)

    @given(arn_cases())
    @example(("arn:aws:someservice:*:111122223333:finance/*",
              "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/d.txt",
              {}))
    @example(("arn:aws:S3:::b", "arn:aws:s3:::b", {}))
    def test_arn_like_patterns_agree(self, case: tuple[str, str, dict[str, tuple[str, ...]]]) -> None:
        """ArnLike (condition operators page): "Each of the six colon-delimited components of
        the ARN is checked separately and each can include multi-character match wildcards (*)
        or single-character match wildcards (?)"; case-sensitive throughout."""
        pattern, value, _ = case
        try:
            reference.validate_resource_pattern(pattern, variables=False)
        except reference.InvalidPolicy:
            with pytest.raises(PatternError):
                compile_arn_pattern(pattern, fold_prefix=False, variables=False)
            return
        compiled = compile_arn_pattern(pattern, fold_prefix=False, variables=False)
        expected = reference.arn_like_matches(reference.glob_atoms(pattern), value)
        event(f"arn-like: {expected}")
        if expected is None:  # not an ARN: the condition layer rejects it before matching
            return
        assert compiled.match(value, {}) is expected, (pattern, value)


@st.composite
def glob_cases(draw: Draw) -> tuple[str, str]:
    ch = DrawChooser(draw)
    pattern = tricky_text(ch, max_len=10)
    text = instantiate(ch, pattern) if ch.maybe(75) else tricky_text(ch, wildcards=ch.maybe(20))
    return pattern, text


class TestStringLikeGlob:
    """Condition operators page, StringLike: "Case-sensitive matching. The values can include
    multi-character match wildcards (*) and single-character match wildcards (?) anywhere in
    the string." Every other character is literal."""

    @settings(max_examples=examples(2))
    @given(glob_cases())
    @example(("a.c", "abc"))
    @example(("a*", "a\nb"))
    @example(("[", "["))
    @example(("\\d", "1"))
    @example(("**", ""))
    def test_agrees_with_reference(self, case: tuple[str, str]) -> None:
        pattern, text = case
        expected = reference.glob_match(pattern, text)
        event(f"glob: {expected}")
        assert (compile_glob(pattern).fullmatch(text) is not None) is expected


@st.composite
def many_star_cases(draw: Draw) -> tuple[str, str]:
    """A glob with several stars over a two-letter alphabet, and a text over the same letters:
    the shapes where the leftmost placement of a middle piece is not the only candidate."""
    pattern = draw(st.text(alphabet="ab*?", min_size=0, max_size=12))
    if draw(st.booleans()):
        text = draw(st.text(alphabet="ab", max_size=16))
    else:
        text = "".join(
            draw(st.text(alphabet="ab", max_size=3)) if c == "*" else "a" if c == "?" else c
            for c in pattern
        )
    return pattern, text


class TestLinearGlobs:
    """Issue 10: globs translate to regexes that cannot backtrack (every middle piece found
    once, at its leftmost occurrence). The IAM User Guide's meaning of ``*`` ("any combination
    of characters") and ``?`` ("any single character") must be unchanged: the translation
    agrees with the reference's dynamic-programming matcher on every glob and text."""

    @given(many_star_cases())
    @example(("a*ab*b", "aabab"))
    @example(("*a?b*", "aabb"))
    @example(("*?*?*a", "ba"))
    @example(("a*a*a", "aa"))
    def test_string_like_agrees(self, case: tuple[str, str]) -> None:
        pattern, text = case
        assert (compile_glob(pattern).fullmatch(text) is not None) is reference.glob_match(
            pattern, text
        ), (pattern, text)

    @given(many_star_cases(), many_star_cases())
    def test_arn_segments_agree(self, head: tuple[str, str], tail: tuple[str, str]) -> None:
        pattern = f"arn:aws:{head[0]}:r:1:{tail[0]}"
        value = f"arn:aws:{head[1]}:r:1:{tail[1]}"
        compiled = compile_arn_pattern(pattern, fold_prefix=False, variables=False)
        expected = reference.resource_entry_matches(pattern, value, {}, variables=False)
        assert compiled.match(value, {}) is expected, (pattern, value)
