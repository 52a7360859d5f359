"""Granted but never used: per principal of the log, the actions its policies grant that the
log never shows it using (private).

The granted side is the catalog's what-can query (:func:`drpolicy._whatcan.allowed_actions`,
answered by the engine over AWS's action catalog), so "granted" means exactly what
``what-can`` lists: allowed on some resource the granting statements name, outright or under
conditions. To keep the cost bounded, a principal's grants are expanded only for the services
its Allow statements name; a statement whose Action has a wildcard service (``*``,
``"*:Get*"``) or that uses NotAction is expanded only for the services the principal used in
the log (docs/replay.md says so in the summary's ``granted_unused_note``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from drpolicy.replay._evaluate import Identity, PolicySource, _principals

__all__ = ["granted_unused"]


def _services(identity: Identity, used: Iterable[str]) -> set[str]:
    used_services = {a.split(":", 1)[0].lower() for a in used if ":" in a}
    services: set[str] = set()
    for policy in identity.policies:
        for s in policy.statements:
            if s.effect != "Allow":
                continue
            if s.action is None:  # NotAction: everything but...
                services |= used_services
                continue
            for pattern in s.action:
                service = pattern.split(":", 1)[0].lower() if ":" in pattern else "*"
                if "*" in service or "?" in service:
                    services |= used_services
                else:
                    services.add(service)
    return services


def granted_unused(
    source: PolicySource, used_by_principal: Mapping[str, Mapping[str, int]]
) -> dict[str, list[str]]:
    """For each principal of the log that the source defines: the actions it is granted
    (what-can) and never used in the log, sorted; ``{}`` for principals the source lacks.

    Raises:
        MissingDependencyError: AWS's service authorization data is unavailable.
    """
    from drpolicy import _sar
    from drpolicy._whatcan import allowed_actions

    _, identities = _principals(source)
    out: dict[str, list[str]] = {}
    for arn in sorted(used_by_principal):
        identity = identities.get(arn)
        if identity is None:
            continue
        used = {a.lower() for a in used_by_principal[arn]}
        granted: set[str] = set()
        for service in sorted(_services(identity, used)):
            if service not in _sar.services():
                continue
            granted.update(e.action for e in allowed_actions(identity, service=service))
        out[arn] = sorted((a for a in granted if a.lower() not in used), key=str.lower)
    return out
