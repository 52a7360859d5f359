"""cedarpy: Cedar's Rust authorizer called from Python.

Policies: the DeepRacer mix uses the hand translation in ``data/deepracer.cedar`` (its header
explains the conventions); synthetic policies are translated mechanically by
:func:`translate` with the same conventions. Setup (never timed) parses the policy set once
(``cedarpy.PolicySet.from_str``) and the entity store once (``cedarpy.Entities``): the roles,
every action the workload asks about with its membership in the wildcard action groups, and one ``Resource``
entity per ARN the workload asks about (attribute ``arn``). A request for an action or resource
the store does not know is still answered correctly, by adding the missing entities for that
call (slower; the benchmarks never take that path).

A decision: lower-case the action and the context key names, build the request dict, call
``cedarpy.is_authorized`` and read ``.allowed``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from engines import Decide, EngineUnavailable, Workload

__all__ = ["LABEL", "NAME", "build", "translate", "version"]

NAME = "cedarpy"
LABEL = "cedarpy is_authorized"

_GROUP_LITERAL = re.compile(r'Action::"([^"]*[*?][^"]*)"')


def _import() -> Any:
    try:
        import cedarpy
    except Exception as exc:
        raise EngineUnavailable(
            f"cedarpy is not importable ({type(exc).__name__}: {exc});"
            " install it with `pip install cedarpy`"
        ) from exc
    if not hasattr(cedarpy, "PolicySet") or not hasattr(cedarpy, "Entities"):
        raise EngineUnavailable(
            "this cedarpy has no pre-parsed PolicySet/Entities handles (cedarpy 4.12 has them);"
            " it would re-parse every policy on every call"
        )
    return cedarpy


def version() -> str:
    """cedarpy's version, or :class:`EngineUnavailable`."""
    import importlib.metadata

    _import()
    return importlib.metadata.version("cedarpy")


# ----------------------------------------------------------------------------- translation


def _q(text: str) -> str:
    return json.dumps(text)  # a Cedar string literal: JSON escapes are valid Cedar escapes


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, dict)) else list(value)


def _casings(value: str) -> list[str]:
    options = [(c.lower(), c.upper()) if c.lower() != c.upper() else (c,) for c in value]
    if len(options) > 10:
        raise ValueError(f"StringEqualsIgnoreCase value too long to enumerate: {value!r}")
    return ["".join(p) for p in itertools.product(*options)]


def _condition(operator: str, key: str, values: list[str]) -> str:
    k = _q(key.lower())
    present = f"context has {k}"
    if operator == "StringEquals":
        test = f"[{', '.join(_q(v) for v in values)}].contains(context[{k}])"
    elif operator == "StringEqualsIgnoreCase":
        spelled = [c for v in values for c in _casings(v)]
        test = f"[{', '.join(_q(v) for v in spelled)}].contains(context[{k}])"
    elif operator == "StringLike":
        if any("?" in v for v in values):
            raise ValueError("Cedar `like` has no `?` wildcard")
        test = "(" + " || ".join(f"context[{k}] like {_q(v)}" for v in values) + ")"
    else:
        raise ValueError(f"no Cedar translation for condition operator {operator}")
    return f"({present} && {test})"


def translate(policies: Mapping[str, list[Mapping[str, Any]]]) -> str:
    """Translate IAM permission policies to Cedar, one Cedar policy per statement.

    Supports what the synthetic policies use: Allow/Deny, Action lists with wildcards,
    Resource lists with ``*`` (no ``?``), StringEquals / StringEqualsIgnoreCase / StringLike.

    Raises:
        ValueError: an element with no translation (NotAction, NotResource, other operators).
    """
    out = []
    for role, docs in policies.items():
        for p, doc in enumerate(docs):
            for s, st in enumerate(_as_list(doc["Statement"])):
                if "NotAction" in st or "NotResource" in st:
                    raise ValueError("NotAction/NotResource are not translated")
                effect = "forbid" if st["Effect"] == "Deny" else "permit"
                actions = ", ".join(f"Action::{_q(a.lower())}" for a in _as_list(st["Action"]))
                clauses = []
                resources = _as_list(st["Resource"])
                if "*" not in resources:
                    if any("?" in r for r in resources):
                        raise ValueError("Cedar `like` has no `?` wildcard")
                    clauses.append(
                        "(" + " || ".join(f"resource.arn like {_q(r)}" for r in resources) + ")"
                    )
                for operator, block in st.get("Condition", {}).items():
                    for key, expected in block.items():
                        values = [str(v) for v in _as_list(expected)]
                        clauses.append(_condition(operator, key, values))
                when = f"\nwhen {{ {' && '.join(clauses)} }}" if clauses else ""
                out.append(
                    f"@id({_q(f'{role}/{p}/{s}')})\n{effect} (principal == Role::{_q(role)},"
                    f" action in [{actions}], resource){when};"
                )
    return "\n\n".join(out) + "\n"


# ----------------------------------------------------------------------------- entities


def _action_entity(action: str, groups: Iterable[str]) -> dict[str, Any]:
    a = action.lower()
    service, _, name = a.partition(":")
    parents = []
    for g in groups:
        g_service, _, g_name = g.partition(":")
        if fnmatchcase(service, g_service) and fnmatchcase(name, g_name):
            parents.append({"type": "Action", "id": g})
    return {"uid": {"type": "Action", "id": a}, "attrs": {}, "parents": parents}


def _resource_entity(arn: str) -> dict[str, Any]:
    return {"uid": {"type": "Resource", "id": arn}, "attrs": {"arn": arn}, "parents": []}


def build(workload: Workload) -> Decide:
    """Parse the policies and the entity store once."""
    cedarpy = _import()
    text = (
        workload.cedar.read_text("utf-8") if workload.cedar is not None
        else translate(workload.policies)
    )
    policy_set = cedarpy.PolicySet.from_str(text)
    groups = sorted(set(_GROUP_LITERAL.findall(text)))
    # Entities for the actions asked about (an exact action named in a policy needs no entity).
    known_actions = {r.action.lower() for r in workload.requests}
    known_resources = {r.resource for r in workload.requests}
    entities_json = (
        [{"uid": {"type": "Role", "id": name}, "attrs": {}, "parents": []}
         for name in workload.policies]
        + [_action_entity(a, groups) for a in sorted(known_actions)]
        + [{"uid": {"type": "Action", "id": g}, "attrs": {}, "parents": []} for g in groups]
        + [_resource_entity(arn) for arn in sorted(known_resources)]
    )
    entities = cedarpy.Entities.from_json_str(json.dumps(entities_json))
    is_authorized = cedarpy.is_authorized

    def decide(r: Any) -> bool:
        action = r.action.lower()
        ctx = r.context
        request = {
            "principal": {"type": "Role", "id": r.role},
            "action": {"type": "Action", "id": action},
            "resource": {"type": "Resource", "id": r.resource},
            "context": {k.lower(): v for k, v in ctx.items()} if ctx else {},
        }
        store = entities
        if action not in known_actions or r.resource not in known_resources:
            extra = []
            if action not in known_actions:
                extra.append(_action_entity(action, groups))
            if r.resource not in known_resources:
                extra.append(_resource_entity(r.resource))
            store = entities.with_added_json_str(json.dumps(extra))
        return bool(is_authorized(request, policy_set, store).allowed)

    return decide
