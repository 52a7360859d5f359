"""The compiled wildcard matcher: should-match / should-NOT-match tables and the compiled form.

Sources: IAM User Guide, "IAM JSON policy elements: Action" (case-insensitive actions, `*` and
`?`) and "IAM JSON policy elements: Resource" (wildcards within ARN segments, `*` crossing `/`
in the resource part, the `DOC-EXAMPLE-BUCKET/*/test/*` example); the brief's semantics
decisions 1 and 2 for the choices AWS leaves open.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import drpolicy
from drpolicy._wildcard import (
    ActionMatcher,
    ArnPattern,
    PatternError,
    compile_action_pattern,
    compile_arn_pattern,
    compile_glob,
    glob_to_regex,
)


def arn_pattern(source: str, *, variables: bool = True) -> ArnPattern:
    return compile_arn_pattern(source, fold_prefix=True, variables=variables)


# ------------------------------------------------------------------------------------------
# glob_to_regex and compile_glob
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glob", "expected"),
    [
        ("abc", "abc"),
        ("a*", "a.*"),
        ("a?", "a."),
        ("*", ".*"),
        ("a**b", "a.*b"),  # consecutive stars collapse
        ("a*?*b", "a(?>.*?.).*b"),  # a middle piece is found once, leftmost, atomically
        ("*a*b*", "(?>.*?a).*b.*"),
        ("*a*b", "(?>.*?a).*b"),
        ("*a*", ".*a.*"),
        ("a.b", re.escape("a.b")),
        ("(x)+[y]|{z}^$\\", re.escape("(x)+[y]|{z}^$\\")),
    ],
)
def test_glob_to_regex(glob: str, expected: str) -> None:
    assert glob_to_regex(glob) == expected


def test_glob_to_regex_custom_star_and_qmark() -> None:
    assert glob_to_regex("a*b?", star="[^:]*", qmark="[^:]") == "a[^:]*b[^:]"


METACHARACTERS = ".^$+()[]{}|\\"


@pytest.mark.parametrize("char", list(METACHARACTERS))
def test_every_regex_metacharacter_is_literal(char: str) -> None:
    glob = f"a{char}b*"
    regex = compile_glob(glob)
    assert regex.fullmatch(f"a{char}b") is not None
    assert regex.fullmatch(f"a{char}bzzz") is not None
    other = "Z" if char != "Z" else "Y"
    assert regex.fullmatch(f"a{other}b") is None
    assert regex.fullmatch("ab") is None


@pytest.mark.parametrize(
    ("glob", "yes", "no"),
    [
        ("home/*", ["home/", "home/a", "home/a/b", "home/a:b", "home/\n"], ["home", "Home/a", "xhome/a"]),
        ("file?.txt", ["file1.txt", "file/.txt", "file?.txt"], ["file.txt", "file12.txt", "FILE1.txt"]),
        ("*", ["", "anything", "a\nb"], []),
        ("?", ["a", "/", "\n"], ["", "ab"]),
        ("a*b*c", ["abc", "aXbYc", "abbc", "a-b-c-c"], ["ab", "acb", "abcd"]),
        ("", [""], ["a"]),
    ],
)
def test_compile_glob_tables(glob: str, yes: list[str], no: list[str]) -> None:
    regex = compile_glob(glob)
    for text in yes:
        assert regex.fullmatch(text) is not None, text
    for text in no:
        assert regex.fullmatch(text) is None, text


def test_compile_glob_ignore_case() -> None:
    assert compile_glob("Dr-*", ignore_case=True).fullmatch("dR-x") is not None
    assert compile_glob("Dr-*").fullmatch("dR-x") is None


def test_compile_glob_is_cached() -> None:
    assert compile_glob("cache-me-*") is compile_glob("cache-me-*")


# ------------------------------------------------------------------------------------------
# Actions
# ------------------------------------------------------------------------------------------

ACTION_TABLE: list[tuple[str, list[str], list[str]]] = [
    ("*", ["s3:GetObject", "iam:PassRole", "a:b"], []),
    ("s3:GetObject", ["s3:GetObject", "S3:GETOBJECT", "s3:getobject"], ["s3:GetObjectAcl", "s3:PutObject", "s3x:GetObject"]),
    ("IAM:listaccesskeys", ["iam:ListAccessKeys"], ["iam:ListAccessKey"]),  # the doc's example
    ("iam:*AccessKey*", ["iam:ListAccessKeys", "iam:CreateAccessKey", "iam:accesskey"], ["iam:ListUsers", "sts:CreateAccessKey"]),
    ("s3:DeleteObject*", ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:deleteobjecttagging"], ["s3:DeleteBucket"]),
    ("s3:Get?bject", ["s3:GetObject", "s3:Get0bject"], ["s3:Getbject", "s3:GetObjects", "s3:GetXXbject"]),
    ("s3:*", ["s3:GetObject", "s3:ListAllMyBuckets"], ["s3express:CreateSession", "s3-object-lambda:GetObject", "ec2:RunInstances"]),
    ("sagemaker:*", ["sagemaker:CreateTrainingJob", "SageMaker:createTrainingJob"], ["sagemaker-geospatial:ListEarthObservationJobs"]),
    ("s3*:Get*", ["s3:GetObject", "s3express:GetBucketPolicy", "s3-object-lambda:GetObject"], ["s3:PutObject", "ec2:GetConsoleOutput"]),
    ("*:Get*", ["ec2:GetConsoleOutput", "s3:GetObject"], ["ec2:DescribeGet"]),
    ("?3:Get*", ["s3:GetObject"], ["ss3:GetObject", "3:GetObject"]),
    ("s3:Get.bject", [], ["s3:GetObject"]),
    ("s3:(Get)Object", [], ["s3:GetObject"]),
    ("s3:GetObject,PutObject", [], ["s3:GetObject", "s3:PutObject"]),
    ("s3:", [], ["s3:GetObject"]),
    ("s3: GetObject", [], ["s3:GetObject"]),
]


@pytest.mark.parametrize(("pattern", "yes", "no"), ACTION_TABLE, ids=[t[0] for t in ACTION_TABLE])
def test_action_pattern_table(pattern: str, yes: list[str], no: list[str]) -> None:
    compiled = compile_action_pattern(pattern)
    matcher = ActionMatcher.build([compiled])
    for action in yes:
        assert compiled.matches(action.lower()), action
        assert matcher.matches(action.lower()), action
    for action in no:
        assert not compiled.matches(action.lower()), action
        assert not matcher.matches(action.lower()), action
    # the same answers through a role, with the request spelled in mixed case
    role = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": pattern, "Resource": "*"}]}])
    service_wildcard = compiled.lowered != "*" and ("*" in compiled.service or "?" in compiled.service)
    for action in yes:
        if service_wildcard:
            # a wildcard in a service prefix is ambiguous: the Allow does not grant, the
            # decision says so (docs/semantics.md)
            d = role.evaluate(action, "*")
            assert not d.allowed and d.ambiguities, action
        else:
            assert role.is_allowed(action, "*"), action
    for action in no:
        assert not role.is_allowed(action, "*"), action


@pytest.mark.parametrize(
    ("pattern", "service", "name", "literal"),
    [
        ("*", "*", "*", False),
        ("s3:GetObject", "s3", "getobject", True),
        ("S3:Get*", "s3", "get*", False),
        ("s3*:Get?", "s3*", "get?", False),
        ("s3:GetObject,PutObject", "s3", "getobject,putobject", True),
    ],
)
def test_action_compiled_form(pattern: str, service: str, name: str, literal: bool) -> None:
    compiled = compile_action_pattern(pattern)
    assert compiled.source == pattern
    assert compiled.lowered == pattern.lower()
    assert (compiled.service, compiled.name) == (service, name)
    assert (compiled.regex is None) is literal


def test_service_wildcard_stays_before_the_colon() -> None:
    compiled = compile_action_pattern("s*:x")
    assert compiled.regex is not None
    # the service part never matches a colon, even in a string no request would contain
    assert compiled.regex.fullmatch("s3:a:x") is None
    assert compiled.regex.fullmatch("s3:x") is not None


@pytest.mark.parametrize("bad", ["s3GetObject", "s3:Get:Object", "", "::", "s3*Object", "a:b:c:*"])
def test_action_needs_exactly_one_colon(bad: str) -> None:
    with pytest.raises(PatternError):
        compile_action_pattern(bad)


def test_action_matcher_compiled_form() -> None:
    patterns = [compile_action_pattern(p) for p in ["s3:GetObject", "S3:PutObject", "s3:List*", "iam:*AccessKey*"]]
    matcher = ActionMatcher.build(patterns)
    assert matcher.literals == frozenset({"s3:getobject", "s3:putobject"})
    assert matcher.regex is not None
    assert matcher.matching_pattern("iam:listaccesskeys") == "iam:*AccessKey*"
    assert matcher.matching_pattern("s3:putobject") == "S3:PutObject"
    assert matcher.matching_pattern("s3:deleteobject") is None
    only_literals = ActionMatcher.build([compile_action_pattern("s3:GetObject")])
    assert only_literals.regex is None
    assert not only_literals.matches("s3:putobject")
    empty = ActionMatcher.build([])
    assert not empty.matches("s3:getobject")


# ------------------------------------------------------------------------------------------
# ARN patterns: the compiled form
# ------------------------------------------------------------------------------------------

KINDS = [
    ("*", "any", ""),
    ("arn:aws:s3:::bucket/key", "exact", "arn:aws:s3:::bucket/key"),
    ("arn:aws:s3:::bucket", "exact", "arn:aws:s3:::bucket"),
    ("arn:AWS:S3:::Bucket/Key", "exact", "arn:aws:s3:::Bucket/Key"),  # prefix folded, resource not
    ("arn:aws:s3:::bucket/*", "prefix", "arn:aws:s3:::bucket/"),
    ("arn:aws:iam::*:role/AWSDeepRacer*", "regex", "arn:aws:iam::"),
    ("arn:aws:s3:::*deepracer*", "regex", "arn:aws:s3:::"),
    ("arn:aws:s3:::dr-*", "prefix", "arn:aws:s3:::dr-"),
    ("arn:aws:s3:::b?", "regex", "arn:aws:s3:::b"),
    ("arn:aws:s3:::b/*/x", "regex", "arn:aws:s3:::b/"),
    ("arn:aws:logs:*:*:log-group:x", "regex", "arn:aws:logs:"),
    ("arn:aws:s3*", "regex", "arn:aws:s3"),
    ("arn:*", "regex", "arn:"),
    ("arn:aws:s3:::home/${aws:username}/*", "template", "arn:aws:s3:::home/"),
    ("arn:aws:s3:::${aws:username}", "template", "arn:aws:s3:::"),
]


@pytest.mark.parametrize(("source", "kind", "literal"), KINDS, ids=[k[0] for k in KINDS])
def test_arn_pattern_kind_and_literal(source: str, kind: str, literal: str) -> None:
    compiled = arn_pattern(source)
    assert compiled.source == source
    assert compiled.kind == kind
    assert compiled.literal == literal
    assert len(compiled.segments) == 6
    if kind == "template":
        assert compiled.template
        assert compiled.regex is None
    else:
        assert compiled.regex is not None


def test_variables_off_means_literal_dollar_braces() -> None:
    compiled = arn_pattern("arn:aws:s3:::home/${aws:username}/*", variables=False)
    assert compiled.kind == "prefix"
    assert compiled.literal == "arn:aws:s3:::home/${aws:username}/"
    assert compiled.match("arn:aws:s3:::home/${aws:username}/x", {})
    assert not compiled.match("arn:aws:s3:::home/bob/x", {"aws:username": ("bob",)})


def test_escape_only_pattern_is_static() -> None:
    compiled = arn_pattern("arn:aws:s3:::bucket/${*}")
    assert compiled.kind != "template"
    assert compiled.match("arn:aws:s3:::bucket/*", {})
    assert not compiled.match("arn:aws:s3:::bucket/anything", {})


@pytest.mark.parametrize(
    ("source", "segments"),
    [
        ("arn:aws:s3*", ("arn", "aws", "s3*", "*", "*", "*")),
        ("arn:aws:ec2:*", ("arn", "aws", "ec2", "*", "*", "*")),
        ("arn:aws:ec2:us-east-1:*", ("arn", "aws", "ec2", "us-east-1", "*", "*")),
        ("arn:*", ("arn", "*", "*", "*", "*", "*")),
        ("arn:aws:s3:::b", ("arn", "aws", "s3", "", "", "b")),
        ("arn:aws:logs:r:1:log-group:a:log-stream:b", ("arn", "aws", "logs", "r", "1", "log-group:a:log-stream:b")),
    ],
)
def test_short_arns_are_padded(source: str, segments: tuple[str, ...]) -> None:
    assert arn_pattern(source).segments == segments


@pytest.mark.parametrize(
    "bad",
    ["bucket", "ARN:aws:s3:::b", "arn:aws:s3", "arn:aws:ec2:us-east-1", "arn", " arn:aws:s3:::b",
     "arn:aws:s3:${aws:region}::b", "arn:aws:s3:::${unterminated", "arn:aws:s3:::${}"],
)
def test_invalid_arn_patterns(bad: str) -> None:
    with pytest.raises(PatternError):
        arn_pattern(bad)


def test_variables_allowed_in_head_fields_only_without_variables() -> None:
    # with variables off, `${` is text like any other
    assert arn_pattern("arn:aws:s3:${x}::b", variables=False).kind == "exact"


# ------------------------------------------------------------------------------------------
# ARN patterns: should-match / should-NOT-match
# ------------------------------------------------------------------------------------------

ACCT = "123456789012"

ARN_TABLE: list[tuple[str, list[str], list[str]]] = [
    # The Resource page's example: `*` crosses `/` inside the resource part
    (
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*",
        ["arn:aws:s3:::DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg",
         "arn:aws:s3:::DOC-EXAMPLE-BUCKET//test/object.jpg",
         "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1/test/"],
        ["arn:aws:s3:::DOC-EXAMPLE-BUCKET/test/object.jpg",
         "arn:aws:s3:::doc-example-bucket/1/test/x"],
    ),
    # colons inside the resource part (the RoboMaker log stream statement)
    (
        "arn:aws:logs:*:*:log-group:/aws/robomaker/SimulationJobs:log-stream:*",
        [f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/robomaker/SimulationJobs:log-stream:sim-123",
         f"arn:aws:logs:eu-west-1:{ACCT}:log-group:/aws/robomaker/SimulationJobs:log-stream:a:b/c"],
        [f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/robomaker/SimulationJobs",
         f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/robomaker/Other:log-stream:x"],
    ),
    (
        "arn:aws:logs:*:*:log-group:/aws/robomaker/SimulationJobs",
        [f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/robomaker/SimulationJobs"],
        [f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/robomaker/SimulationJobs:log-stream:x",
         f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/robomaker/SimulationJobs:*"],
    ),
    # the object key is part of the resource part (S8)
    (
        "arn:aws:s3:::*deepracer*",
        ["arn:aws:s3:::my-deepracer-bucket/a/b.tar", "arn:aws:s3:::deepracer",
         "arn:aws:s3:::bucket/deepracer/key"],
        ["arn:aws:s3:::my-DEEPRACER-x/obj", "arn:aws:s3:::my-Deepracer-x",
         "arn:aws:sqs:us-east-1:123456789012:deepracer"],
    ),
    # `*` in the region or account field stays inside its field
    (
        "arn:aws:sqs:*:123456789012:queue",
        ["arn:aws:sqs:us-east-1:123456789012:queue", "arn:aws:sqs::123456789012:queue"],
        ["arn:aws:sqs:us-east-1:999999999999:123456789012:queue",
         "arn:aws:sqs:us-east-1:123456789012:queue2"],
    ),
    (
        "arn:aws:iam::*:role/x",
        ["arn:aws:iam::123456789012:role/x", "arn:aws:iam:::role/x"],
        ["arn:aws:iam::123:456:role/x", "arn:aws:iam:us-east-1:123456789012:role/x"],
    ),
    # the ArnLike example of the operators page, applied to Resource: per-field, so no match
    (
        "arn:aws:someservice:*:111122223333:finance/*",
        ["arn:aws:someservice:us-east-2:111122223333:finance/document.txt"],
        ["arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"],
    ),
    # PassRole patterns: the path is part of the resource part
    (
        "arn:aws:iam::*:role/AWSDeepRacer*",
        [f"arn:aws:iam::{ACCT}:role/AWSDeepRacerServiceRole", f"arn:aws:iam::{ACCT}:role/AWSDeepRacer",
         f"arn:aws:iam::{ACCT}:role/AWSDeepRacer/x"],
        [f"arn:aws:iam::{ACCT}:role/service-role/AWSDeepRacerServiceRole",
         f"arn:aws:iam::{ACCT}:role/awsdeepracerX", f"arn:aws:iam::{ACCT}:user/AWSDeepRacerX"],
    ),
    # `?` is one character, and crosses `/` in the resource part
    (
        "arn:aws:s3:::b/file?.txt",
        ["arn:aws:s3:::b/file1.txt", "arn:aws:s3:::b/file/.txt"],
        ["arn:aws:s3:::b/file.txt", "arn:aws:s3:::b/file12.txt"],
    ),
    (
        "arn:aws:s3:::b?",
        ["arn:aws:s3:::b1", "arn:aws:s3:::b/"],
        ["arn:aws:s3:::b", "arn:aws:s3:::b12"],
    ),
    (
        "arn:aws:s?:::b",
        ["arn:aws:s3:::b"],
        ["arn:aws:s33:::b", "arn:aws:sqs:::b"],
    ),
    # regex metacharacters in resource names are literal
    (
        "arn:aws:s3:::a.b/(x)+[y]|{z}^$\\*",
        ["arn:aws:s3:::a.b/(x)+[y]|{z}^$\\", "arn:aws:s3:::a.b/(x)+[y]|{z}^$\\tail"],
        ["arn:aws:s3:::aXb/(x)+[y]|{z}^$\\", "arn:aws:s3:::a.b/xx[y]|{z}^$\\", "arn:aws:s3:::a.b/(x)[y]|{z}^$\\"],
    ),
    (
        "arn:aws:s3:::a.*",
        ["arn:aws:s3:::a.", "arn:aws:s3:::a.b"],
        ["arn:aws:s3:::ab", "arn:aws:s3:::a"],
    ),
    # newlines in object keys
    (
        "arn:aws:s3:::b/*",
        ["arn:aws:s3:::b/a\nb", "arn:aws:s3:::b/"],
        ["arn:aws:s3:::b", "arn:aws:s3:::bb/x", "arn:aws:s3:::B/x"],
    ),
    (
        "arn:aws:s3:::*b*",
        ["arn:aws:s3:::x\nb\ny"],
        ["arn:aws:s3:::x\ny"],
    ),
    # empty fields are literal: an empty region matches only an empty region
    (
        "arn:aws:s3:::b",
        ["arn:aws:s3:::b"],
        ["arn:aws:s3:us-east-1::b", "arn:aws:s3::123456789012:b", "arn:aws:s3:::B", "arn:aws:s3:::b/"],
    ),
    # partition, service and region in the pattern are case-folded; the resource part is not
    (
        "arn:AWS:S3:::Bucket/*",
        ["arn:aws:s3:::Bucket/x"],
        ["arn:aws:s3:::bucket/x"],
    ),
    # short ARNs ending in `*` expand beyond the colon boundaries
    (
        "arn:aws:s3*",
        ["arn:aws:s3:::b", "arn:aws:s3:::b/k", "arn:aws:s3express:us-east-1:123456789012:bucket/x"],
        ["arn:aws:sqs:us-east-1:123456789012:q", "arn:aws-cn:s3:::b"],
    ),
    (
        "arn:aws:ec2:*",
        ["arn:aws:ec2:us-east-1:123456789012:instance/i-1", "arn:aws:ec2:::x"],
        ["arn:aws:s3:::b", "arn:aws:ec2x:us-east-1:1:x"],
    ),
    (
        "arn:*",
        ["arn:aws:s3:::b", "arn:aws-cn:ec2:cn-north-1:123456789012:instance/i"],
        [],
    ),
    # a wildcard in the service field (AWS accepts it; Access Analyzer warns)
    (
        "arn:aws:*code*::111122223333:*",
        ["arn:aws:codecommit::111122223333:repo", "arn:aws:codeartifact::111122223333:x:y"],
        ["arn:aws:codecommit:us-east-1:111122223333:repo", "arn:aws:s3::111122223333:x"],
    ),
    # the partition field
    (
        "arn:aws:s3:::dr-*",
        ["arn:aws:s3:::dr-bucket", "arn:aws:s3:::dr-"],
        ["arn:aws-cn:s3:::dr-bucket", "arn:aws-us-gov:s3:::dr-bucket", "arn:aws:s3:::xdr-bucket"],
    ),
]


@pytest.mark.parametrize(("pattern", "yes", "no"), ARN_TABLE, ids=[t[0] for t in ARN_TABLE])
def test_arn_pattern_table(pattern: str, yes: list[str], no: list[str]) -> None:
    compiled = arn_pattern(pattern)
    for arn in yes:
        assert compiled.match(arn, {}) is True, arn
    for arn in no:
        assert compiled.match(arn, {}) is False, arn


@pytest.mark.parametrize(("pattern", "yes", "no"), ARN_TABLE, ids=[t[0] for t in ARN_TABLE])
def test_arn_pattern_table_through_a_role(pattern: str, yes: list[str], no: list[str]) -> None:
    role = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": pattern}]}])
    for arn in yes:
        assert role.is_allowed("s3:GetObject", arn), arn
    for arn in no:
        assert not role.is_allowed("s3:GetObject", arn), arn
    # NotResource is the exact complement
    inverse = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": pattern}]}])
    for arn in yes:
        assert not inverse.is_allowed("s3:GetObject", arn), arn
    for arn in no:
        assert inverse.is_allowed("s3:GetObject", arn), arn


def test_patterns_in_one_statement_are_ored() -> None:
    role = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": [
            "arn:aws:s3:::a/*", "arn:aws:s3:::*b*", "arn:aws:s3:::exact", "arn:aws:s3:::c?"]}]}])
    for arn in ["arn:aws:s3:::a/x", "arn:aws:s3:::xbx", "arn:aws:s3:::exact", "arn:aws:s3:::c1"]:
        assert role.is_allowed("s3:GetObject", arn), arn
    for arn in ["arn:aws:s3:::a", "arn:aws:s3:::xyz", "arn:aws:s3:::exact2", "arn:aws:s3:::c"]:
        assert not role.is_allowed("s3:GetObject", arn), arn


# ------------------------------------------------------------------------------------------
# The request resource `*` (actions without resource-level permissions)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "patterns", "allowed"),
    [
        ("Resource", "*", True),
        ("Resource", ["arn:aws:s3:::*", "*"], True),
        ("Resource", "arn:aws:s3:::*", False),
        ("Resource", "arn:*", False),
        ("Resource", "arn:aws:s3*", False),
        ("NotResource", "arn:aws:s3:::*", True),
        ("NotResource", "arn:*", True),
        ("NotResource", "*", False),
        ("NotResource", ["arn:aws:s3:::b", "*"], False),
    ],
)
def test_request_resource_star(element: str, patterns: Any, allowed: bool) -> None:
    role = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", element: patterns}]}])
    assert role.is_allowed("s3:ListAllMyBuckets", "*") is allowed


def test_resource_star_matches_every_request() -> None:
    compiled = arn_pattern("*")
    for value in ["*", "arn:aws:s3:::b", "arn:aws-cn:iam::123456789012:role/x"]:
        assert compiled.match(value, {}) is True


# ------------------------------------------------------------------------------------------
# Templates: substituted values are literal
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "yes", "no"),
    [
        ("bob", ["arn:aws:s3:::home/bob/x"], ["arn:aws:s3:::home/alice/x", "arn:aws:s3:::home/bobby/x"]),
        ("b*", ["arn:aws:s3:::home/b*/x"], ["arn:aws:s3:::home/bob/x", "arn:aws:s3:::home/b/x"]),
        ("b?b", ["arn:aws:s3:::home/b?b/x"], ["arn:aws:s3:::home/bob/x"]),
        ("a.b", ["arn:aws:s3:::home/a.b/x"], ["arn:aws:s3:::home/aXb/x"]),
        ("a/b", ["arn:aws:s3:::home/a/b/x"], ["arn:aws:s3:::home/a/c/x"]),
    ],
)
def test_template_substitution_is_literal(username: str, yes: list[str], no: list[str]) -> None:
    compiled = arn_pattern("arn:aws:s3:::home/${aws:username}/*")
    context = {"aws:username": (username,)}
    for arn in yes:
        assert compiled.match(arn, context) is True, arn
    for arn in no:
        assert compiled.match(arn, context) is False, arn


def test_template_without_value_is_undecided() -> None:
    compiled = arn_pattern("arn:aws:s3:::home/${aws:username}/*")
    assert compiled.match("arn:aws:s3:::home/bob/x", {}) is None
    # a multi-valued key cannot be a policy variable
    assert compiled.match("arn:aws:s3:::home/bob/x", {"aws:username": ("bob", "alice")}) is None


def test_template_default_and_escapes() -> None:
    compiled = arn_pattern("arn:aws:s3:::${aws:PrincipalTag/team, 'shared'}/${*}${?}${$}*")
    assert compiled.kind == "template"
    assert compiled.match("arn:aws:s3:::shared/*?$x", {}) is True
    assert compiled.match("arn:aws:s3:::red/*?$", {"aws:principaltag/team": ("red",)}) is True
    assert compiled.match("arn:aws:s3:::shared/a?$x", {}) is False
    assert compiled.match("arn:aws:s3:::shared/*x$x", {}) is False


def test_template_keys_are_case_insensitive_through_a_role() -> None:
    role = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::home/${AWS:UserName}/*"}]}])
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::home/bob/x", {"aws:username": "bob"})
    assert role.is_allowed("s3:GetObject", "arn:aws:s3:::home/bob/x", {"AWS:USERNAME": "bob"})


# ------------------------------------------------------------------------------------------
# Explanations
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "segment"),
    [
        ("arn:aws:s3:::b/*", "arn:aws-cn:s3:::b/x", "partition"),
        ("arn:aws:s3:::b/*", "arn:aws:sqs:::b/x", "service"),
        ("arn:aws:logs:us-east-1:*:x", "arn:aws:logs:eu-west-1:1:x", "region"),
        ("arn:aws:iam::123456789012:role/x", "arn:aws:iam::999999999999:role/x", "account"),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::c/x", "resource"),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/x", None),
        ("arn:aws:s3:::b/*", "not-an-arn", None),
    ],
)
def test_failed_segment(pattern: str, value: str, segment: str | None) -> None:
    assert arn_pattern(pattern).failed_segment(value) == segment


# ------------------------------------------------------------------------------------------
# Linear-time matching: patterns an attacker can write (bucket policies, key names) must not
# make the regex engine backtrack (issue 10). Generous bounds: a backtracking matcher takes
# seconds to hours on these inputs, a linear one well under a millisecond.
# ------------------------------------------------------------------------------------------

_BOUND_S = 0.2


def _timed(call: Any) -> tuple[float, Any]:
    import time

    t0 = time.perf_counter()
    result = call()
    return time.perf_counter() - t0, result


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("arn:aws:s3:::bucket/a*a*a*a*b", "arn:aws:s3:::bucket/" + "a" * 1024),
        ("arn:aws:s3:::bucket/*/*/*/*.csv", "arn:aws:s3:::bucket/" + "a/" * 500 + "a"),
        ("arn:aws:s3:::bucket/*a*a*a*a*a*a*a*a*b", "arn:aws:s3:::bucket/" + "a" * 10_000),
        ("arn:aws:s3:::b/*?*?*?*?*?*x", "arn:aws:s3:::b/" + "y" * 10_000),
        ("arn:aws:*a*a*a*a*b:::x", "arn:aws:" + "a" * 10_000 + ":::x"),
        ("arn:aws:s3:*a*a*a*a*b*:*:x*y*x*y*z", "arn:aws:s3:" + "a" * 5000 + ":1:" + "xy" * 2500),
    ],
)
def test_adversarial_resource_patterns_are_linear(pattern: str, value: str) -> None:
    compiled = arn_pattern(pattern, variables=False)
    elapsed, hit = _timed(lambda: compiled.match(value, {}))
    assert hit is False
    assert elapsed < _BOUND_S


@pytest.mark.parametrize(
    ("glob", "value", "expected"),
    [
        ("a*a*a*a*a*b", "a" * 200, False),
        ("a*a*a*a*a*b", "a" * 10_000, False),
        ("*a*a*a*a*a*a*a*a*a*a*", "a" * 9 + "b" * 10_000, False),
        ("*a*a*a*a*a*a*a*a*a*a*", "b" * 10_000 + "a" * 10, True),
        ("*ab*ab*ab*ab*c", "ab" * 5000, False),
        ("*?a*?a*?a*?a*?b", "a" * 10_000, False),
    ],
)
def test_adversarial_globs_are_linear(glob: str, value: str, expected: bool) -> None:
    regex = compile_glob(glob)
    elapsed, hit = _timed(lambda: regex.fullmatch(value) is not None)
    assert hit is expected
    assert elapsed < _BOUND_S


def test_adversarial_patterns_through_every_element() -> None:
    """Action, NotAction, Resource, NotResource, StringLike, StringNotLike, ArnLike and
    ArnNotLike, through the public entry points, on 10,000-character inputs."""
    evil = "a*a*a*a*a*a*a*a*b"
    key = "a" * 10_000
    resource = f"arn:aws:s3:::bucket/{key}"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": f"s3:{evil}", "Resource": "*"},
        {"Effect": "Allow", "NotAction": f"s3:{evil}", "Resource": f"arn:aws:s3:::bucket/{evil}"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": f"arn:aws:s3:::bucket/{evil}",
         "Condition": {"StringLike": {"s3:prefix": evil}}},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotLike": {"s3:prefix": evil},
                       "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{evil}"}}},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
         "Condition": {"ArnNotLike": {"aws:SourceArn": f"arn:aws:s3:::{evil}"}}},
    ]}
    context = {"s3:prefix": key, "aws:SourceArn": f"arn:aws:s3:::{key}"}
    action = "s3:" + "a" * 10_000
    role = drpolicy.Role.from_policies("evil", {"p": policy})
    for call in (
        lambda: role.is_allowed(action, resource, context),
        lambda: role.evaluate(action, resource, context),
        lambda: drpolicy.explain(role, action, resource, context),
        lambda: drpolicy.authorize(
            "arn:aws:iam::123456789012:user/alice", action, resource, context=context,
            identity_policies=[policy], resource_policy={"Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:*",
                "Resource": f"arn:aws:s3:::bucket/{evil}"}]},
        ),
    ):
        elapsed, _ = _timed(call)
        assert elapsed < _BOUND_S * 5  # several matches per call
