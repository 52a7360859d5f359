"""check_no_public_access: can a resource policy grant access to the public? (private module)

"Public" follows AWS's documented definition (Amazon S3 "The meaning of public", which IAM
Access Analyzer applies to the other resource types): a policy is public when it grants access
to a principal AWS does not fix -- anonymous callers, or any IAM principal of an account the
policy does not name -- unless the grant is limited by a *fixed* value of one of the keys
that identify the caller or the path of the call (``aws:SourceArn``, ``aws:SourceAccount``,
``aws:SourceOwner``, ``aws:SourceVpc``, ``aws:SourceVpce``, ``aws:PrincipalOrgID``,
``aws:PrincipalAccount``, ``aws:PrincipalArn``, ``aws:userid``, ...) or by a set of CIDR
ranges in ``aws:SourceIp``.

The check asks the solver for a request that the policy allows for such a caller while every
limiting key is either absent or holds a *fresh* value: one the policy does not name (an
account, organization, VPC... that appears nowhere in it), and for ``aws:SourceIp`` an address
outside every range the policy lists other than ``0.0.0.0/0`` and ``::/0``. A grant that only
a fixed value unlocks therefore does not count; a wildcard such as ``arn:aws:iam::*:role/x``
still matches the fresh value and does count.
"""

from __future__ import annotations

import time
from typing import Any, Final

from drpolicy.analysis._checks import (
    AnalysisBug,
    CheckResult,
    Reason,
    Witness,
    _compiled,
    _decide,
    _fail_unproven,
    _fresh_account,
    _grant_reasons,
    _literal_actions,
    _nice_tiers,
    _principal_selector,
    _Query,
    _spelled,
    _witness_context,
    _z3,
)
from drpolicy.analysis._encode import Encoder, Opaque
from drpolicy.errors import RequestError
from drpolicy.model import Policy
from drpolicy.principals import Principal

__all__ = ["RESOURCE_TYPES", "check_no_public_access"]

# resource type -> (ARN service, resource-part prefix, policy type)
_TYPES: Final[dict[str, tuple[str, str, str]]] = {
    "AWS::S3::Bucket": ("s3", "", "resource"),
    "AWS::KMS::Key": ("kms", "key/", "resource"),
    "AWS::IAM::AssumeRolePolicyDocument": ("iam", "role/", "trust"),
    "AWS::SQS::Queue": ("sqs", "", "resource"),
    "AWS::SNS::Topic": ("sns", "", "resource"),
    "AWS::Lambda::Function": ("lambda", "function:", "resource"),
}
_ALIASES: Final[dict[str, str]] = {
    "s3": "AWS::S3::Bucket",
    "kms": "AWS::KMS::Key",
    "role": "AWS::IAM::AssumeRolePolicyDocument",
    "trust": "AWS::IAM::AssumeRolePolicyDocument",
    "AWS::IAM::Role": "AWS::IAM::AssumeRolePolicyDocument",
    "sqs": "AWS::SQS::Queue",
    "sns": "AWS::SNS::Topic",
    "lambda": "AWS::Lambda::Function",
}
RESOURCE_TYPES: Final[tuple[str, ...]] = tuple(_TYPES)
"""The resource types :func:`check_no_public_access` covers (AWS's names; the short aliases
``s3``, ``kms``, ``role``, ``sqs``, ``sns`` and ``lambda`` are accepted too)."""


def _limiting_values(fresh: str) -> dict[str, str]:
    """Fresh values of the keys whose fixed values make a grant non-public."""
    return {
        "aws:sourceaccount": fresh,
        "aws:sourceowner": fresh,
        "aws:principalaccount": fresh,
        "aws:vpceaccount": fresh,
        "kms:calleraccount": fresh,
        "aws:sourcearn": f"arn:aws:sns:us-east-1:{fresh}:drpolicy-public",
        "aws:principalarn": f"arn:aws:iam::{fresh}:user/drpolicy-public",
        "aws:userid": "AIDADRPOLICYPUBLIC",
        "aws:username": "drpolicy-public",
        "aws:principalorgid": "o-drpolicypub",
        "aws:principalorgpaths": "o-drpolicypub/r-drpo/ou-drpo-public/",
        "aws:sourceorgid": "o-drpolicypub",
        "aws:sourceorgpaths": "o-drpolicypub/r-drpo/ou-drpo-public/",
        "aws:vpceorgid": "o-drpolicypub",
        "aws:vpceorgpaths": "o-drpolicypub/r-drpo/ou-drpo-public/",
        "aws:sourcevpc": "vpc-0drpolicypublic",
        "aws:sourcevpce": "vpce-0drpolicypublic",
        "s3:x-amz-server-side-encryption-aws-kms-key-id":
            f"arn:aws:kms:us-east-1:{fresh}:key/drpolicy-public",
    }


_ARN_KEYS: Final = frozenset({
    "aws:sourcearn", "aws:principalarn", "s3:x-amz-server-side-encryption-aws-kms-key-id",
})


def _arn_of(enc: Encoder, account: str) -> Any:
    """The ARNs whose account field is ``account``."""
    z3 = enc.z3
    field = z3.Star(enc.NOCOLON)
    colon = z3.Re(":")
    return z3.Concat(z3.Re("arn:"), field, colon, field, colon, field, colon,
                     z3.Re(account), colon, z3.Star(enc.ALL))


def _resource_type(resource_type: str) -> str:
    name = _ALIASES.get(resource_type, resource_type)
    if name not in _TYPES:
        raise RequestError(
            f"unknown resource type `{resource_type}`: expected one of"
            f" {', '.join(RESOURCE_TYPES)} (or s3, kms, role, sqs, sns, lambda)"
        )
    return name


def policy_type_of(resource_type: str) -> str:
    """The policy type a resource type's policy is parsed as (``trust`` for roles).

    Raises:
        RequestError: an unknown resource type.
    """
    return "trust" if _TYPES[_resource_type(resource_type)][2] == "trust" else "resource"


def check_no_public_access(
    resource_policy: Any, *, resource_type: str, timeout_ms: int = 60_000
) -> CheckResult:
    """Whether ``resource_policy`` can grant public access (Access Analyzer's
    ``CheckNoPublicAccess``), decided offline with an SMT solver.

    Args:
        resource_policy: the bucket policy, key policy, role trust policy, queue policy, topic
            policy or function policy.
        resource_type: one of :data:`RESOURCE_TYPES` or its short alias.
        timeout_ms: the solver's time limit (FAIL "cannot prove" when it runs out).

    Returns:
        PASS when no request by an unnamed caller is allowed except through fixed values of
        the limiting keys; FAIL with a :class:`Witness` re-checked with
        :func:`drpolicy.authorize`, or FAIL "cannot prove: ...".

    Raises:
        RequestError: an unknown resource type.
        PolicyParseError: the policy is malformed.
        MissingDependencyError: ``z3-solver`` is not installed.

    >>> bucket = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    ...     "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}
    >>> r = check_no_public_access(bucket, resource_type="AWS::S3::Bucket")
    >>> r.result, r.witness.principal, r.witness.action
    ('FAIL', 'anonymous', 's3:GetObject')
    >>> bucket["Statement"][0]["Condition"] = {
    ...     "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}
    >>> check_no_public_access(bucket, resource_type="s3").result
    'PASS'
    """
    started = time.perf_counter()
    name = _resource_type(resource_type)
    service, prefix, ptype = _TYPES[name]
    z3 = _z3()
    compiled = _compiled(resource_policy, "trust" if ptype == "trust" else "resource", "policy")
    policy = compiled.policy
    owner = _fresh_account([policy], set())
    fresh = _fresh_account([policy], {owner})
    limits = _limiting_values(fresh)
    enc = Encoder([policy], extra_text=limits.values())
    check = "check-no-public-access"
    federated = _federated_grants(policy)
    query = _Query(enc, timeout_ms)
    candidates: list[tuple[str, Principal]] = [("anonymous", Principal.parse("anonymous"))]
    for text in (
        f"arn:aws:iam::{fresh}:user/drpolicy-public",
        f"arn:aws:sts::{fresh}:assumed-role/drpolicy-public/drpolicy",
        fresh,
        f"arn:aws:sts::{fresh}:federated-user/drpolicy-public",
    ):
        candidates.append((text, Principal.parse(text)))
    select = _principal_selector(enc, candidates)
    _, svc, region, account, rest = enc.segments
    constraints: list[Any] = [
        enc.principal >= 0, enc.principal < len(candidates), z3.Not(enc.star),
        svc == z3.StringVal(service),
    ]
    if prefix:
        constraints.append(z3.PrefixOf(z3.StringVal(prefix), rest))
    if name == "AWS::S3::Bucket":
        constraints += [region == z3.StringVal(""), account == z3.StringVal("")]
    # STS refuses root credentials for AssumeRole (the engine's decision table)
    if ptype == "trust":
        assume = z3.And(enc.service == z3.StringVal("sts"), z3.PrefixOf("assumerole", enc.name))
        constraints.append(z3.Implies(enc.principal == 3, z3.Not(assume)))
    for key, kv in enc.keys.items():
        if key == "aws:sourceip" and kv.sort == "ip":
            constraints.append(z3.Or(kv.count == 0, z3.And(kv.count == 1, _outside(
                enc, kv.slots[0], _networks(policy, key)))))
        elif key in _ARN_KEYS and kv.sort in ("str", "null"):
            # an ARN of the fresh account: a pattern that fixes the account cannot match it,
            # one with a wildcard account can
            constraints.append(z3.Or(kv.count == 0, z3.And(
                kv.count == 1, z3.InRe(kv.slots[0], _arn_of(enc, fresh)))))
        elif key in limits and kv.sort in ("str", "null"):
            constraints.append(z3.Or(kv.count == 0, z3.And(
                kv.count == 1, kv.slots[0] == z3.StringVal(limits[key]))))
        elif key in limits or key == "aws:sourceip":
            # compared with operators of another type: left free (over-approximation), so a
            # FAIL may be unproven but a PASS still holds
            enc.opaque.append(Opaque(kv.written, "a limiting key compared with an operator"
                                     " of another type"))
    query.solver.add(*constraints)
    goal = enc.policy_allows(policy, select)

    def nice() -> list[list[Any]]:
        return _nice_tiers(enc, _literal_actions([policy]))

    answer, model = query.solve(goal, nice)
    if answer == "sat" and model.eval(enc.principal, model_completion=True).as_long() != 0:
        # the anonymous caller is the plainest witness: take it whenever it is one, whatever
        # caller the solver happened to pick first (its choice varies with the search)
        query.solver.push()
        query.solver.add(enc.principal == 0)
        again, anonymous = query.solve(goal, nice)
        query.solver.pop()
        if again == "sat":
            model = anonymous
    if answer == "unsat":
        if federated:
            return _fail_unproven(check, [], started, federated)
        return CheckResult(
            check, "PASS", "the policy grants no public access", (), None,
            time.perf_counter() - started,
        )
    if answer == "unknown":
        return _fail_unproven(check, enc.opaque, started, f"the solver gave up ({model})")
    index = model.eval(enc.principal, model_completion=True).as_long()
    shown, caller = candidates[index]
    action = _spelled(enc.string_value(model, enc.action), _literal_actions([policy]))
    resource = enc.string_value(model, enc.resource)
    context = _witness_context(enc, model)
    decision = _decide(compiled, "trust" if ptype == "trust" else "resource", caller, action,
                       resource, context, owner)
    if decision.allowed and _is_public_context(context, limits, policy, fresh):
        witness = Witness(shown, action, resource, context, owner)
        reasons = (Reason(f"grants {shown} access without a fixed limiting value"),
                   *_grant_reasons(decision))
        return CheckResult(
            check, "FAIL", "the policy grants public access", reasons, witness,
            time.perf_counter() - started,
        )
    if enc.opaque:
        return _fail_unproven(check, enc.opaque, started, "constructs without an exact encoding")
    raise AnalysisBug(f"public witness does not reproduce: {shown} {action} {resource} {context}")


def _federated_grants(policy: Policy) -> str:
    for s in policy.statements:
        if s.effect == "Allow" and s.principal is not None and s.principal.federated:
            return (
                f"{s.label}: web-identity and SAML federated principals are not modelled by"
                " the public-access check"
            )
    return ""


def _networks(policy: Policy, key: str) -> list[Any]:
    import ipaddress

    out = []
    for s in policy.statements:
        for entry in s.conditions:
            if entry.key.lower() == key and "ipaddress" in entry.operator.lower():
                for value in entry.values:
                    try:
                        net = ipaddress.ip_network(value.strip(), strict=False)
                    except ValueError:
                        continue
                    if net.prefixlen > 0:
                        out.append(net)
    return out


def _outside(enc: Encoder, slot: Any, networks: list[Any]) -> Any:
    z3 = enc.z3
    version, bits = slot
    conds = [z3.Or(version == 4, version == 6)]
    for net in networks:
        conds.append(z3.Not(z3.And(
            version == net.version, (bits & int(net.netmask)) == int(net.network_address)
        )))
    return z3.And(*conds)


def _is_public_context(
    context: dict[str, tuple[str, ...]], limits: dict[str, str], policy: Policy, fresh: str
) -> bool:
    """The concrete side of the definition: every limiting key of the witness is absent or
    fresh."""
    import ipaddress

    for key, values in context.items():
        low = key.lower()
        if not values:
            continue
        if low == "aws:sourceip":
            if len(values) != 1:
                return False
            try:
                address = ipaddress.ip_address(values[0])
            except ValueError:
                return False
            if any(address.version == n.version and address in n
                   for n in _networks(policy, low)):
                return False
        elif low in _ARN_KEYS:
            parts = values[0].split(":", 5)
            if len(values) != 1 or len(parts) != 6 or parts[0] != "arn" or parts[4] != fresh:
                return False
        elif low in limits and values != (limits[low],):
            return False
    return True
