"""moto's IAM policy evaluation (``moto.iam.access_control``).

moto checks IAM permissions of mocked requests with ``IAMPolicy(policy_json)
.is_action_permitted(action, resource, principal, condition_values)`` returning
``PermissionResult.PERMITTED / DENIED / NEUTRAL``; its request checker denies on any DENIED and
allows on any PERMITTED. We do the same per role (``IAMPolicy`` built outside the timed call).

(In moto 5 the module is ``moto/iam/access_control.py``; older releases had it under
``moto/core/``.) moto's evaluator is simplified on purpose: actions match case-sensitively with
an unescaped regex, conditions other than ``StringEquals`` are ignored (treated as true), and a
failing condition returns DENIED (an explicit deny). Expect disagreements.
"""

from __future__ import annotations

import json
from typing import Any

from engines import Decide, EngineUnavailable, Workload

__all__ = ["LABEL", "NAME", "build", "version"]

NAME = "moto"
LABEL = "moto IAMPolicy.is_action_permitted"


def _import() -> Any:
    try:
        import moto
        from moto.iam import access_control
    except Exception as exc:
        raise EngineUnavailable(
            f"moto's IAM access control is not importable ({type(exc).__name__}: {exc});"
            " install it with `pip install moto`"
        ) from exc
    return moto, access_control


def version() -> str:
    """moto's version, or :class:`EngineUnavailable`."""
    moto, _ = _import()
    return str(moto.__version__)


def build(workload: Workload) -> Decide:
    """One ``IAMPolicy`` per policy document."""
    _, ac = _import()
    permitted, denied = ac.PermissionResult.PERMITTED, ac.PermissionResult.DENIED
    compiled = {
        name: [ac.IAMPolicy(json.dumps(doc)) for doc in docs]
        for name, docs in workload.policies.items()
    }

    def decide(r: Any) -> bool:
        allowed = False
        for policy in compiled[r.role]:
            result = policy.is_action_permitted(r.action, r.resource, None, r.context)
            if result is denied:
                return False
            if result is permitted:
                allowed = True
        return allowed

    return decide
