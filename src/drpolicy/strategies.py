"""Hypothesis strategies for IAM: actions, ARNs, context values, requests, policies, and the
requests a role allows or denies.

Importing this module needs `hypothesis <https://hypothesis.readthedocs.io>`_
(``pip install 'drpolicy[hypothesis]'``); nothing else in drpolicy imports it.

The strategies draw what AWS would really see: actions of real services
(``s3:GetObject``), ARNs shaped like the service's resource types
(``arn:aws:logs:us-east-1:123456789012:log-group:/aws/robomaker/SimulationJobs:log-stream:x``),
context values of the right kind for the key (an IP address for ``aws:SourceIp``, a service
principal for ``iam:PassedToService``). A pattern passed as ``matching=`` is *instantiated*:
each ``*`` and ``?`` is replaced by realistic text, segment by segment, so the draw matches by
construction.

:func:`requests_allowed_by` and :func:`requests_denied_by` build requests from a role's
compiled statements: pick an Allow statement, instantiate one of its action patterns and one
of its resource patterns, and solve its conditions (and the conditions of the Deny statements
that would otherwise apply) for a context. Every draw is checked against the engine, so a draw
is always what the strategy's name says.

>>> import drpolicy
>>> from drpolicy.strategies import requests_allowed_by
>>> from hypothesis import given
>>> @given(requests_allowed_by("robomaker"))
... def test_allowed(request):
...     assert drpolicy.is_allowed("robomaker", *request)
>>> test_allowed()
"""

from __future__ import annotations

import re

try:
    import hypothesis  # noqa: F401  (the topic modules below need it: say how to install it)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "drpolicy.strategies needs hypothesis: pip install 'drpolicy[hypothesis]'"
    ) from exc

# the strategies live in private modules by topic; this module is their public home
from drpolicy._catalog_strategies import catalog_actions, catalog_resources
from drpolicy._strategies_policies import conditions, policies, statements
from drpolicy._strategies_requests import (
    Request,
    actions,
    arns,
    case_variants,
    context_values,
    contexts,
    requests,
    resources_for,
)
from drpolicy._strategies_roles import requests_allowed_by, requests_denied_by

__all__ = [
    "Request",
    "actions",
    "arns",
    "case_variants",
    "catalog_actions",
    "catalog_resources",
    "conditions",
    "context_values",
    "contexts",
    "policies",
    "requests",
    "requests_allowed_by",
    "requests_denied_by",
    "resources_for",
    "statements",
]


def __dir__() -> list[str]:
    return __all__


def _hide_drpolicy_from_hypothesis_explanations() -> None:
    """Hypothesis's explain phase reports lines "always and only run by failing test cases";
    lines inside drpolicy (these generators, the engine) tell the user nothing that the failing
    request does not. Hypothesis has no public hook for this, so add drpolicy's folder to its
    internal list of unhelpful locations when that list exists (best effort: nothing happens
    on a hypothesis without it)."""
    import os

    try:
        from hypothesis.internal import scrutineer
    except ImportError:  # pragma: no cover - a hypothesis without the explain phase
        return
    here = os.path.dirname(os.path.abspath(__file__)).replace(os.sep, "/")
    current = getattr(scrutineer, "UNHELPFUL_LOCATIONS", None)
    # the list holds globs of `/`-separated paths; a folder with other special characters
    # would not translate reliably, so it is left alone
    if isinstance(current, tuple) and re.fullmatch(r"[\w/.:-]+", here):
        pattern = f"{here}/**"
        if pattern not in current:
            scrutineer.UNHELPFUL_LOCATIONS = (*current, pattern)


_hide_drpolicy_from_hypothesis_explanations()
