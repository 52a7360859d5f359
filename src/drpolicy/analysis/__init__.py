"""Access Analyzer-style custom policy checks, offline, with witnesses.

* :func:`check_no_new_access`: does the new policy grant anything the existing one does not?
* :func:`check_access_not_granted`: does the policy grant any of these actions / resources?
* :func:`check_no_public_access`: can this resource policy grant public access?

Each question is encoded as a satisfiability problem over the request (action, resource,
principal, context) and handed to the z3 SMT solver (the optional ``analysis`` extra:
``pip install 'drpolicy[analysis]'``; z3 is imported on first use). Every FAIL that comes with
a witness has been re-checked with :func:`drpolicy.authorize`; a construct without an exact
encoding yields FAIL "cannot prove: ...", never an unproven PASS. See docs/analysis.md.
"""

from __future__ import annotations

from drpolicy.analysis._checks import (
    CheckResult,
    Reason,
    Witness,
    check_access_not_granted,
    check_no_new_access,
)
from drpolicy.analysis._public import RESOURCE_TYPES, check_no_public_access

__all__ = [
    "RESOURCE_TYPES",
    "CheckResult",
    "Reason",
    "Witness",
    "check_access_not_granted",
    "check_no_new_access",
    "check_no_public_access",
]


def __dir__() -> list[str]:
    return __all__
