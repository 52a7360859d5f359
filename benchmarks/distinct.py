"""Distinct-request streams: every request new, the answer known for each.

Repeating the 62 requests of the DeepRacer mix lets every memo (decision cache, per-action
groups, validated resources) answer from memory; real traffic (property tests, log replays)
rarely repeats itself. :func:`distinct_stream` derives ``per_request`` variants of every mix
request, each a different string:

* a resource ARN gets a fresh token (``-k3f9a``) appended to its last path or ID component, or
  inserted as a new path level, whichever keeps the hand-checked
  answer (checked with ``tests/reference.py``, an evaluator that shares no code with drpolicy,
  on probe tokens when the stream is built);
* a request whose resource cannot change without changing its answer (``*``, exact ARNs)
  gets a fresh spelling of its action instead (actions are case-insensitive:
  ``s3:gEtObjecT``).

Every variant's label is its base request's hand-checked answer; :func:`verify_sample` checks a
seeded sample of them against the reference evaluator, and compare.py checks every engine's
answer on the whole stream against the labels.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from workload import PolicySet, Request

__all__ = ["PER_REQUEST", "distinct_stream", "reference_answer", "verify_sample"]

PER_REQUEST: Final = 813
"""Variants per mix request (62 x 813 = 50,406 distinct requests)."""

_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz0123456789"
_ACCOUNT: Final = "123456789012"


def _reference() -> Any:
    tests = Path(__file__).resolve().parent.parent / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    import reference

    return reference


def reference_answer(policies: PolicySet, r: Request) -> bool:
    """The reference evaluator's answer for a request by a session of ``r.role``."""
    ref = _reference()
    principal = f"arn:aws:sts::{_ACCOUNT}:assumed-role/{r.role}/session"
    named = [(f"{r.role}Policy{i}", d) for i, d in enumerate(policies[r.role])]
    context = dict(r.context or {})
    context.setdefault("aws:PrincipalArn", f"arn:aws:iam::{_ACCOUNT}:role/service-role/{r.role}")
    decision = ref.evaluate_identity(named, r.action, r.resource, context, principal=principal)
    return bool(decision.decision == "Allowed")


def _suffix_last(resource: str, tok: str) -> str:
    return resource + "-" + tok


def _new_level(resource: str, tok: str) -> str:
    head, sep, last = resource.rpartition("/")
    if not sep or head.count(":") < 5:
        raise ValueError("no path")
    return f"{head}/{tok}/{last}"


def _spell(action: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in action)


_MUTATIONS: Final[tuple[Callable[[str, str], str], ...]] = (_suffix_last, _new_level)


def _strategy(policies: PolicySet, r: Request) -> Callable[[str, str], str] | None:
    """The first resource mutation that keeps ``r``'s answer on every probe token."""
    if r.resource == "*":
        return None
    probes = ("k3f9a", "zz0", "q", "a1b2c3d4e5f6", "0")
    for mutate in _MUTATIONS:
        try:
            variants = [mutate(r.resource, p) for p in probes]
        except ValueError:
            continue
        if all(
            reference_answer(policies, Request(r.role, r.action, v, r.context)) == r.expected
            for v in variants
        ):
            return mutate
    return None


def distinct_stream(
    policies: PolicySet, mix: Sequence[Request], per_request: int = PER_REQUEST, seed: int = 10
) -> list[Request]:
    """``per_request`` distinct, labelled variants of every mix request, interleaved."""
    rng = random.Random(seed)
    strategies = {id(r): _strategy(policies, r) for r in mix}
    seen: set[tuple[str, str, str, str]] = set()
    out: list[Request] = []
    for k in range(per_request):
        for r in mix:
            while True:
                tok = "".join(rng.choice(_ALPHABET) for _ in range(6))
                mutate = strategies[id(r)]
                if mutate is not None:
                    action, resource = r.action, mutate(r.resource, tok)
                else:
                    action, resource = _spell(r.action, rng), r.resource
                ctx = repr(sorted((r.context or {}).items()))
                key = (r.role, action, resource, ctx)
                if key not in seen:
                    seen.add(key)
                    break
            out.append(Request(
                r.role, action, resource, None if r.context is None else dict(r.context),
                r.expected, f"{r.id}~{k}", r.why,
            ))
    return out


def verify_sample(
    policies: PolicySet, stream: Sequence[Request], n: int = 300, seed: int = 11
) -> list[Request]:
    """The requests of a seeded sample whose label the reference evaluator contradicts."""
    rng = random.Random(seed)
    sample = rng.sample(list(stream), min(n, len(stream)))
    return [r for r in sample if reference_answer(policies, r) != r.expected]



# ----------------------------------------------------------------------------- entry points


def entry_points(policies: PolicySet) -> dict[str, tuple[str, Callable[[list[Request]], Any]]]:
    """Every drpolicy entry point as ``name -> (label, build(stream) -> decide(request))``.

    The builders compile everything they can outside the timed call (roles, parsed policies);
    what each entry point does per call is exactly what a user's call does.
    """
    from engines import Workload
    from engines.drpolicy_engine import build_roles

    import drpolicy

    roles = build_roles(Workload("entry", policies, []))
    parsed = {name: list(role.policies) for name, role in roles.items()}
    dicts = {name: list(docs) for name, docs in policies.items()}
    arns = {name: f"arn:aws:sts::{_ACCOUNT}:assumed-role/{name}/session" for name in roles}

    def role_is_allowed(_: list[Request]) -> Callable[[Request], bool]:
        return lambda r: roles[r.role].is_allowed(r.action, r.resource, r.context)

    def module_is_allowed(_: list[Request]) -> Callable[[Request], bool]:
        return lambda r: drpolicy.is_allowed(roles[r.role], r.action, r.resource, r.context)

    def role_evaluate(_: list[Request]) -> Callable[[Request], bool]:
        return lambda r: roles[r.role].evaluate(r.action, r.resource, r.context).allowed

    def module_evaluate(_: list[Request]) -> Callable[[Request], bool]:
        return lambda r: drpolicy.evaluate(roles[r.role], r.action, r.resource, r.context).allowed

    # sts:AssumeRole on a role needs the role's trust policy to grant (issue 11); the mix's
    # label ("the caller's own policies allow it") corresponds to a trust policy that trusts
    # the caller's account, which delegates to its identity policies
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{_ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}]}

    def trusts(stream: list[Request]) -> dict[str, Any]:
        # the request's resource policy, found outside the timed call like its context: the
        # trust policy for sts:AssumeRole* spellings, none for the rest
        return {r.action: trust for r in stream if r.action.lower().startswith("sts:assumerole")}

    def authorize_parsed(stream: list[Request]) -> Callable[[Request], bool]:
        policy_of = trusts(stream).get
        return lambda r: drpolicy.authorize(
            arns[r.role], r.action, r.resource, context=r.context,
            identity_policies=parsed[r.role], resource_policy=policy_of(r.action),
        ).allowed

    def authorize_dicts(stream: list[Request]) -> Callable[[Request], bool]:
        policy_of = trusts(stream).get
        return lambda r: drpolicy.authorize(
            arns[r.role], r.action, r.resource, context=r.context,
            identity_policies=dicts[r.role], resource_policy=policy_of(r.action),
        ).allowed

    def explain(_: list[Request]) -> Callable[[Request], bool]:
        return lambda r: drpolicy.explain(
            roles[r.role], r.action, r.resource, r.context
        ).decision.allowed

    return {
        "Role.is_allowed": ("compiled Role, no cache", role_is_allowed),
        "drpolicy.is_allowed": ("module call, cache on (never hits)", module_is_allowed),
        "Role.evaluate": ("full Decision", role_evaluate),
        "drpolicy.evaluate": ("module call, full Decision", module_evaluate),
        "authorize (parsed)": ("parsed Policy objects every call", authorize_parsed),
        "authorize (dicts)": ("the same policy dicts every call", authorize_dicts),
        "explain": ("per-statement trace", explain),
    }


def can_assume_stream(count: int, seed: int = 12) -> tuple[list[tuple[str, str, bool]], Any]:
    """Distinct ``(principal, role, expected)`` questions for :func:`drpolicy.can_assume` on
    the catalog roles: each role's trusted service principal with a fresh, irrelevant context
    value (allowed), and IAM users the trust policies do not name (denied)."""
    import drpolicy
    from drpolicy.catalog import roles as catalog_roles

    rng = random.Random(seed)
    services: list[tuple[str, str]] = []
    for name in catalog_roles():
        role = drpolicy.role(name)
        for service in ("sagemaker", "robomaker", "lambda", "cloudformation", "deepracer"):
            principal = f"{service}.amazonaws.com"
            if drpolicy.can_assume(principal, role):
                services.append((principal, name))
    out: list[tuple[str, str, bool]] = []
    contexts: list[dict[str, str]] = []
    names = list(catalog_roles())
    for k in range(count):
        tok = "".join(rng.choice(_ALPHABET) for _ in range(8)) + str(k)
        if k % 2 and services:
            principal, name = services[k % len(services)]
            out.append((principal, name, True))
            contexts.append({"drpolicy:BenchmarkRequestId": tok})
        else:
            out.append((f"arn:aws:iam::{_ACCOUNT}:user/u-{tok}", names[k % len(names)], False))
            contexts.append({})
    return out, contexts
