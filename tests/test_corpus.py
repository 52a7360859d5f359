"""The data-driven corpus: end-to-end cases written from the AWS IAM User Guide.

Every ``tests/corpus/<topic>/*.json`` file holds a list of cases; the format is described in
``tests/corpus/README.md`` and enforced here by a strict validator (unknown keys at any level,
missing required keys and wrong types are errors). Each file gets one schema test (so a bad file
fails with its path and every problem in it), and every case of a valid file runs as its own
test, with the case name as its pytest id, through :func:`drpolicy.authorize`.

The expectations are what the User Guide documents (or, for the open questions, what the
project's semantics decisions chose). A case the engine disagrees with is kept as written: it
fails until the engine is fixed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import drpolicy

__all__: list[str] = []

CORPUS_DIR = Path(__file__).parent / "corpus"

TOPICS: tuple[str, ...] = (
    "actions",
    "resources",
    "not-action-not-resource",
    "conditions-string",
    "conditions-numeric",
    "conditions-date",
    "conditions-bool-binary-ip",
    "conditions-arn",
    "conditions-null",
    "conditions-qualifiers",
    "conditions-ifexists",
    "variables",
    "principals",
    "same-account",
    "cross-account",
    "boundaries",
    "scps",
    "rcps",
    "sessions",
    "trust",
    "errors",
    "passrole",
)
"""The topic folders the corpus must have (issues 2, 3 and 4)."""

DECISIONS = ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied")
POLICY_TYPES = (
    "identity",
    "resource",
    "trust",
    "permission_boundary",
    "scp",
    "rcp",
    "session",
)

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SOURCE = re.compile(r"[A-Za-z0-9_./-]+\.html(?:: \S.*)?")
_REASON = re.compile(r".+:\d+")
_POLICY_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]+")

# --------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------

CASE_KEYS = {"name": True, "source": True, "note": False, "request": True, "policies": True,
             "expected": True}
REQUEST_KEYS = {"principal": True, "action": True, "resource": True, "context": False,
                "resource_account": False}
POLICIES_KEYS = {"identity": False, "resource": False, "permission_boundary": False,
                 "session": False, "scps": False, "rcps": False}
EXPECTED_KEYS = {"decision": True, "decided_by": False, "reasons": False, "errors": False,
                 "missing_context": False}
NAMED_POLICY_KEYS = {"name": True, "document": True}
PRINCIPAL_OBJECT_KEYS = ("web_identity", "canonical_user")


class Case(NamedTuple):
    """One validated corpus case and the file it came from."""

    path: str
    data: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.data["name"])


def _keys(obj: Any, spec: Mapping[str, bool], where: str, problems: list[str]) -> bool:
    """Check that ``obj`` is a mapping with exactly the allowed keys and every required one."""
    if not isinstance(obj, Mapping):
        problems.append(f"{where}: expected an object, got {type(obj).__name__}")
        return False
    for key in obj:
        if key not in spec:
            problems.append(f"{where}: unknown key `{key}` (allowed: {', '.join(spec)})")
    for key, required in spec.items():
        if required and key not in obj:
            problems.append(f"{where}: missing required key `{key}`")
    return True


def _string(obj: Any, where: str, problems: list[str], pattern: re.Pattern[str] | None = None
            ) -> bool:
    if not isinstance(obj, str) or not obj:
        problems.append(f"{where}: expected a non-empty string, got {obj!r}")
        return False
    if pattern is not None and not pattern.fullmatch(obj):
        problems.append(f"{where}: `{obj}` does not match /{pattern.pattern}/")
        return False
    return True


def _string_list(obj: Any, where: str, problems: list[str],
                 pattern: re.Pattern[str] | None = None) -> None:
    if not isinstance(obj, list):
        problems.append(f"{where}: expected a list of strings, got {type(obj).__name__}")
        return
    for i, item in enumerate(obj):
        _string(item, f"{where}[{i}]", problems, pattern)


def _check_policy(obj: Any, where: str, problems: list[str]) -> None:
    """A policy is a bare IAM document (an object with `Statement`) or {"name", "document"}."""
    if not isinstance(obj, Mapping):
        problems.append(f"{where}: a policy must be an object, got {type(obj).__name__}")
        return
    if "document" in obj or "name" in obj:
        if not _keys(obj, NAMED_POLICY_KEYS, where, problems):
            return
        if "name" in obj:
            _string(obj["name"], f"{where}.name", problems, _POLICY_NAME)
        if "document" in obj:
            doc = obj["document"]
            if not isinstance(doc, Mapping) or "Statement" not in doc:
                problems.append(f"{where}.document: expected an IAM policy document with `Statement`")
        return
    if "Statement" not in obj:
        problems.append(
            f"{where}: expected an IAM policy document (with `Statement`) or"
            " {\"name\": ..., \"document\": ...}"
        )


def _check_policy_list(obj: Any, where: str, problems: list[str]) -> None:
    if not isinstance(obj, list):
        problems.append(f"{where}: expected a list of policies, got {type(obj).__name__}")
        return
    for i, p in enumerate(obj):
        _check_policy(p, f"{where}[{i}]", problems)


def _check_levels(obj: Any, where: str, problems: list[str]) -> None:
    if not isinstance(obj, list):
        problems.append(f"{where}: expected a list of levels (root first), got {type(obj).__name__}")
        return
    for i, level in enumerate(obj):
        _check_policy_list(level, f"{where}[{i}]", problems)


def _check_request(obj: Any, where: str, problems: list[str]) -> None:
    if not _keys(obj, REQUEST_KEYS, where, problems):
        return
    principal = obj.get("principal")
    if isinstance(principal, Mapping):
        if len(principal) != 1 or next(iter(principal)) not in PRINCIPAL_OBJECT_KEYS:
            problems.append(
                f"{where}.principal: an object principal has exactly one key, one of"
                f" {', '.join(PRINCIPAL_OBJECT_KEYS)}"
            )
        else:
            _string(next(iter(principal.values())), f"{where}.principal", problems)
    elif "principal" in obj:
        _string(principal, f"{where}.principal", problems)
    for key in ("action", "resource"):
        if key in obj:
            _string(obj[key], f"{where}.{key}", problems)
    if "resource_account" in obj:
        _string(obj["resource_account"], f"{where}.resource_account", problems, re.compile(r"\d{12}"))
    if "context" in obj:
        context = obj["context"]
        if not isinstance(context, Mapping):
            problems.append(f"{where}.context: expected an object")
        else:
            for key, value in context.items():
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        if not isinstance(item, str):
                            problems.append(f"{where}.context.{key}[{i}]: expected a string")
                elif not isinstance(value, str):
                    problems.append(
                        f"{where}.context.{key}: expected a string or a list of strings"
                    )


def _check_policies(obj: Any, where: str, problems: list[str]) -> None:
    if not _keys(obj, POLICIES_KEYS, where, problems):
        return
    if "identity" in obj:
        _check_policy_list(obj["identity"], f"{where}.identity", problems)
    for key in ("resource", "permission_boundary", "session"):
        if key in obj:
            _check_policy(obj[key], f"{where}.{key}", problems)
    for key in ("scps", "rcps"):
        if key in obj:
            _check_levels(obj[key], f"{where}.{key}", problems)


def _check_expected(obj: Any, where: str, problems: list[str]) -> None:
    if not _keys(obj, EXPECTED_KEYS, where, problems):
        return
    if "decision" in obj and obj["decision"] not in DECISIONS:
        problems.append(f"{where}.decision: `{obj['decision']}` is not one of {', '.join(DECISIONS)}")
    if "decided_by" in obj and obj["decided_by"] is not None and obj["decided_by"] not in POLICY_TYPES:
        problems.append(
            f"{where}.decided_by: `{obj['decided_by']}` is not null or one of {', '.join(POLICY_TYPES)}"
        )
    if "reasons" in obj:
        _string_list(obj["reasons"], f"{where}.reasons", problems, _REASON)
    if "errors" in obj and not isinstance(obj["errors"], bool):
        problems.append(f"{where}.errors: expected true or false")
    if "missing_context" in obj:
        _string_list(obj["missing_context"], f"{where}.missing_context", problems)


def validate_case(obj: Any, where: str) -> list[str]:
    """Every schema problem of one case (an empty list when it is valid)."""
    problems: list[str] = []
    if not _keys(obj, CASE_KEYS, where, problems):
        return problems
    if "name" in obj:
        _string(obj["name"], f"{where}.name", problems, _NAME)
    if "source" in obj:
        _string(obj["source"], f"{where}.source", problems, _SOURCE)
    if "note" in obj:
        _string(obj["note"], f"{where}.note", problems)
    if "request" in obj:
        _check_request(obj["request"], f"{where}.request", problems)
    if "policies" in obj:
        _check_policies(obj["policies"], f"{where}.policies", problems)
    if "expected" in obj:
        _check_expected(obj["expected"], f"{where}.expected", problems)
    return problems


def validate_file(data: Any, where: str) -> list[str]:
    """Every schema problem of one corpus file's decoded JSON."""
    if not isinstance(data, list) or not data:
        return [f"{where}: a corpus file is a non-empty list of cases"]
    problems: list[str] = []
    names: set[str] = set()
    for i, case in enumerate(data):
        label = f"{where}[{i}]"
        if isinstance(case, Mapping) and isinstance(case.get("name"), str):
            label = f"{where}[{i}] ({case['name']})"
            if case["name"] in names:
                problems.append(f"{label}: duplicate case name")
            names.add(case["name"])
        problems.extend(validate_case(case, label))
    return problems


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key `{key}`")
        out[key] = value
    return out


def load_file(path: Path, root: Path | None = None) -> tuple[list[Case], list[str]]:
    """Read and validate one corpus file: its cases (empty if invalid) and its problems,
    each naming the file by its path relative to ``root`` (default: the tests folder)."""
    rel = path.relative_to(root if root is not None else CORPUS_DIR.parent).as_posix()
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_reject_duplicate_keys)
    except (ValueError, UnicodeDecodeError) as exc:
        return [], [f"{rel}: not valid JSON: {exc}"]
    problems = validate_file(data, rel)
    if problems:
        return [], problems
    return [Case(rel, c) for c in data], []


def corpus_files() -> list[Path]:
    """Every ``*.json`` file under the topic folders, sorted."""
    return sorted(CORPUS_DIR.glob("*/*.json"))


def _all_cases() -> Iterator[Case]:
    for path in corpus_files():
        cases, _ = load_file(path)
        yield from cases


ALL_CASES: list[Case] = list(_all_cases())
_UNIQUE_CASES: dict[str, Case] = {}
for _case in ALL_CASES:
    _UNIQUE_CASES.setdefault(_case.name, _case)

# --------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------


def build_policy(spec: Mapping[str, Any]) -> Any:
    """A corpus policy as :func:`drpolicy.authorize` takes it: a named one is parsed with its
    name (decisions cite it by that name); a bare document is passed as is (authorize names it
    ``<type>-<position>``)."""
    if "document" in spec:
        return drpolicy.load_policy(dict(spec["document"]), name=spec["name"])
    return spec


def build_principal(spec: str | Mapping[str, str]) -> str | drpolicy.Principal:
    if isinstance(spec, str):
        return spec
    (kind, value), = spec.items()
    if kind == "web_identity":
        return drpolicy.Principal.web_identity(value)
    return drpolicy.Principal.canonical_user(value)


def run_case(case: Mapping[str, Any]) -> drpolicy.Decision:
    """Authorize a case's request with its policies."""
    request = case["request"]
    policies = case["policies"]
    return drpolicy.authorize(
        build_principal(request["principal"]),
        request["action"],
        request["resource"],
        context=request.get("context"),
        identity_policies=[build_policy(p) for p in policies.get("identity", ())],
        resource_policy=build_policy(policies["resource"]) if "resource" in policies else None,
        resource_account=request.get("resource_account"),
        permission_boundary=build_policy(policies["permission_boundary"])
        if "permission_boundary" in policies else None,
        scps=[[build_policy(p) for p in level] for level in policies.get("scps", ())],
        rcps=[[build_policy(p) for p in level] for level in policies.get("rcps", ())],
        session_policy=build_policy(policies["session"]) if "session" in policies else None,
    )


def mismatches(expected: Mapping[str, Any], decision: drpolicy.Decision) -> list[str]:
    """How ``decision`` differs from a case's ``expected`` block (empty when it agrees)."""
    out: list[str] = []
    if decision.decision != expected["decision"]:
        out.append(f"decision: expected {expected['decision']}, got {decision.decision}")
    if "decided_by" in expected and decision.decided_by != expected["decided_by"]:
        out.append(f"decided_by: expected {expected['decided_by']}, got {decision.decided_by}")
    if "reasons" in expected:
        got = sorted(f"{r.policy}:{r.index}" for r in decision.reasons)
        if got != sorted(expected["reasons"]):
            out.append(f"reasons: expected {sorted(expected['reasons'])}, got {got}")
    if "errors" in expected and bool(decision.errors) != expected["errors"]:
        out.append(
            f"errors: expected {'some' if expected['errors'] else 'none'},"
            f" got {[str(e) for e in decision.errors]}"
        )
    if "missing_context" in expected:
        got = sorted(k.lower() for k in decision.missing_context)
        want = sorted(k.lower() for k in expected["missing_context"])
        if got != want:
            out.append(f"missing_context: expected {want}, got {got}")
    return out


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", corpus_files(), ids=lambda p: p.relative_to(CORPUS_DIR).as_posix()
)
def test_corpus_file_schema(path: Path) -> None:
    """Each corpus file is valid JSON and follows the schema (every problem listed)."""
    _, problems = load_file(path)
    assert not problems, "\n".join(problems)


def test_case_names_are_unique_across_the_corpus() -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for case in ALL_CASES:
        if case.name in seen:
            duplicates.append(f"{case.name}: {seen[case.name]} and {case.path}")
        seen.setdefault(case.name, case.path)
    assert not duplicates, "\n".join(duplicates)


def test_every_topic_has_cases() -> None:
    """Each topic folder exists and holds cases in more than one file."""
    counts: dict[str, int] = {t: 0 for t in TOPICS}
    files: dict[str, int] = {t: 0 for t in TOPICS}
    for path in corpus_files():
        topic = path.parent.name
        if topic in files:
            files[topic] += 1
    for case in ALL_CASES:
        topic = Path(case.path).parent.name
        if topic in counts:
            counts[topic] += 1
    empty = [t for t, n in counts.items() if n < 3]
    single = [t for t, n in files.items() if n < 2]
    assert not empty, f"topics with fewer than 3 cases: {empty}"
    assert not single, f"topics with fewer than 2 files: {single}"
    unknown = sorted({p.parent.name for p in corpus_files()} - set(TOPICS))
    assert not unknown, f"corpus folders that are not topics: {unknown}"


@pytest.mark.parametrize("name", sorted(_UNIQUE_CASES))
def test_case(name: str) -> None:
    """Run one corpus case through drpolicy.authorize and compare with its expectation."""
    case = _UNIQUE_CASES[name]
    decision = run_case(case.data)
    problems = mismatches(case.data["expected"], decision)
    assert not problems, (
        f"{case.path}: {name}\n  source: {case.data['source']}\n"
        + (f"  note: {case.data['note']}\n" if "note" in case.data else "")
        + "\n".join(f"  {p}" for p in problems)
        + f"\n  reasons: {[str(r) for r in decision.reasons]}"
        + f"\n  errors: {[str(e) for e in decision.errors]}"
    )


# --------------------------------------------------------------------------------------
# The validator rejects what it must (so a broken corpus file cannot pass silently)
# --------------------------------------------------------------------------------------


def _good_case() -> dict[str, Any]:
    return {
        "name": "sample-case",
        "source": "reference_policies_elements_action.html: wildcards",
        "request": {
            "principal": "arn:aws:iam::123456789012:user/dana",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/key",
        },
        "policies": {
            "identity": [
                {"name": "read", "document": {"Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}
            ]
        },
        "expected": {"decision": "Allowed", "reasons": ["read:0"]},
    }


def test_validator_accepts_the_sample() -> None:
    assert validate_file([_good_case()], "sample.json") == []
    assert mismatches(_good_case()["expected"], run_case(_good_case())) == []


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda c: c.update(extra=1), "unknown key `extra`"),
        (lambda c: c.pop("source"), "missing required key `source`"),
        (lambda c: c["request"].update(region="us-east-1"), "request: unknown key `region`"),
        (lambda c: c["request"].pop("action"), "request: missing required key `action`"),
        (lambda c: c["policies"].update(group=[]), "policies: unknown key `group`"),
        (lambda c: c["policies"]["identity"][0].update(kind="managed"), "unknown key `kind`"),
        (lambda c: c["policies"]["identity"][0].pop("document"), "missing required key `document`"),
        (lambda c: c["policies"].update(resource={"Id": "x"}), "expected an IAM policy document"),
        (lambda c: c["policies"].update(scps=[{"Statement": []}]), "expected a list of policies"),
        (lambda c: c["expected"].update(why="because"), "expected: unknown key `why`"),
        (lambda c: c["expected"].pop("decision"), "missing required key `decision`"),
        (lambda c: c["expected"].update(decision="Allow"), "is not one of"),
        (lambda c: c["expected"].update(decided_by="group"), "decided_by"),
        (lambda c: c["expected"].update(reasons=["read"]), "does not match"),
        (lambda c: c["expected"].update(errors="yes"), "expected true or false"),
        (lambda c: c.update(name="Has Spaces"), "name"),
        (lambda c: c.update(source="the user guide"), "source"),
        (lambda c: c["request"].update(context={"k": 1}), "context.k"),
        (lambda c: c["request"].update(principal={"saml": "x"}), "object principal"),
        (lambda c: c["request"].update(resource_account="12"), "resource_account"),
    ],
)
def test_validator_rejects(mutate: Any, fragment: str) -> None:
    case = _good_case()
    mutate(case)
    problems = validate_file([case], "bad.json")
    assert problems, "the validator accepted a malformed case"
    assert all(p.startswith("bad.json[0]") for p in problems), problems
    assert any(fragment in p for p in problems), problems


def test_validator_rejects_duplicate_names_and_non_lists() -> None:
    assert any("duplicate case name" in p for p in validate_file([_good_case(), _good_case()], "f"))
    assert validate_file({"name": "x"}, "f") == ["f: a corpus file is a non-empty list of cases"]
    assert validate_file([], "f") == ["f: a corpus file is a non-empty list of cases"]


def test_load_file_reports_bad_json_and_duplicate_keys(tmp_path: Path) -> None:
    topic = tmp_path / "corpus" / "topic"
    topic.mkdir(parents=True)
    bad = topic / "bad.json"
    bad.write_text('[{"name": "a", "name": "b"}]', encoding="utf-8")
    cases, problems = load_file(bad, root=tmp_path)
    assert cases == []
    assert problems and "corpus/topic/bad.json" in problems[0] and "duplicate key" in problems[0]

