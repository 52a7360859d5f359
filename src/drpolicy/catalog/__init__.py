"""The built-in catalog: the AWS DeepRacer roles, transcribed from AWS's documentation.

The data files under ``catalog/data/`` hold each role's permission policy and trust policy
verbatim, with where they came from (the ``source`` field). Look roles up by name
(``AWSDeepRacerServiceRole``) or alias (``deepracer``, ``lambda``, ``sagemaker``,
``robomaker``, ``cloudformation``).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Final

from drpolicy.errors import CatalogError
from drpolicy.roles import DEFAULT_ACCOUNT_ID, Role

__all__ = ["ALIASES", "ROLE_NAMES", "load_role", "role_document", "roles"]


def __dir__() -> list[str]:
    return __all__


ROLE_NAMES: Final = (
    "AWSDeepRacerServiceRole",
    "AWSDeepRacerLambdaAccessRole",
    "AWSDeepRacerSageMakerAccessRole",
    "AWSDeepRacerRoboMakerAccessRole",
    "AWSDeepRacerCloudFormationAccessRole",
)
"""The catalog's role names."""

ALIASES: Final = {
    "deepracer": "AWSDeepRacerServiceRole",
    "lambda": "AWSDeepRacerLambdaAccessRole",
    "sagemaker": "AWSDeepRacerSageMakerAccessRole",
    "robomaker": "AWSDeepRacerRoboMakerAccessRole",
    "cloudformation": "AWSDeepRacerCloudFormationAccessRole",
}
"""Short names for the catalog roles."""


def roles() -> tuple[str, ...]:
    """The catalog's role names, in documentation order."""
    return ROLE_NAMES


@functools.cache
def role_document(name: str) -> dict[str, Any]:
    """The raw data file of a catalog role (policies, aliases, source)."""
    canonical = _canonical(name)
    text = resources.files(__name__).joinpath("data").joinpath(f"{canonical}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _canonical(name: object) -> str:
    if isinstance(name, str):
        if name in ROLE_NAMES:
            return name
        if name in ALIASES:
            return ALIASES[name]
        lowered = name.lower()
        for candidate in ROLE_NAMES:
            if candidate.lower() == lowered:
                return candidate
        if lowered in ALIASES:
            return ALIASES[lowered]
    raise CatalogError(name, [*ROLE_NAMES, *ALIASES])


def load_role(name: str, account_id: str = DEFAULT_ACCOUNT_ID) -> Role:
    """A catalog role, compiled (cached: the same object for the same arguments).

    Args:
        name: a role name or alias (case-insensitive).
        account_id: the account the role's ARN should live in.

    Raises:
        CatalogError: unknown name; the message lists the known names and aliases.

    >>> load_role("sagemaker").arn
    'arn:aws:iam::123456789012:role/service-role/AWSDeepRacerSageMakerAccessRole'
    """
    canonical = _canonical(name)
    if not isinstance(account_id, str):
        from drpolicy.errors import RequestError

        raise RequestError(f"invalid account ID `{account_id!r}`: expected 12 digits")
    return _load(canonical, account_id)


@functools.lru_cache(maxsize=64)
def _load(name: str, account_id: str) -> Role:
    doc = role_document(name)
    return Role.from_policies(
        doc["name"],
        {doc["permission_policy_name"]: doc["permission_policy"]},
        trust_policy=_named(doc["trust_policy"], doc["name"] + "TrustPolicy"),
        account_id=account_id,
        path="/service-role/",
        description=doc["description"],
    )


def _named(document: dict[str, Any], name: str) -> Any:
    from drpolicy.parser import parse_policy

    return parse_policy(document, name=name, policy_type="trust")
