"""Hypothesis strategies over AWS's catalog (re-exported by :mod:`drpolicy.strategies`):
real actions, and resource ARNs of an action's own resource types."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drpolicy import _sar

__all__ = ["catalog_actions", "catalog_resources"]

_FIELD: Final = re.compile(r"\$\{([^}]*)\}")
_REGIONS: Final = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
_NAME: Final = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(
    lambda s: not s.startswith("-")
)


def catalog_actions(
    service: str | None = None, *, matching: str | Sequence[str] | None = None
) -> st.SearchStrategy[str]:
    """Actions of AWS's catalog, spelled as AWS spells them (``s3:GetObject``).

    Args:
        service: only this service prefix's actions.
        matching: an action pattern (``s3:Get*``) or several; every draw matches one.

    Raises:
        InvalidArgument: no catalog action fits (an unknown service, a pattern that matches
            nothing).
    """
    patterns = [matching] if isinstance(matching, str) else list(matching or ())
    if patterns:
        pool = {a.full for p in patterns for a in _sar.expand_actions(p)}
    elif service is not None:
        pool = {a.full for a in _sar.actions(service).values()}
    else:
        pool = {a.full for s in _sar.services() for a in _sar.actions(s).values()}
    if service is not None:
        pool = {a for a in pool if a.split(":", 1)[0] == service.lower()}
    if not pool:
        raise InvalidArgument(f"no catalog action fits service={service!r}, matching={matching!r}")
    return st.sampled_from(sorted(pool))


def catalog_resources(
    action: str, *, account: str | None = None, partition: str = "aws"
) -> st.SearchStrategy[str]:
    """Resources a request for ``action`` can name: an ARN of one of its resource types
    (placeholders filled in), or ``*`` for an action without resource types.

    Args:
        action: a catalog action (``s3:GetObject``).
        account: the account ID to put in ``${Account}`` (default: drawn).
        partition: the partition to put in ``${Partition}``.

    Raises:
        InvalidArgument: ``action`` is not in the catalog.
    """
    info = _sar.action(action)
    if info is None:
        raise InvalidArgument(f"`{action}` is not an action of AWS's catalog")
    if not info.resource_types:
        return st.just("*")
    accounts = (
        st.just(account) if account is not None else st.from_regex(r"[0-9]{12}", fullmatch=True)
    )

    @st.composite
    def fill(draw: st.DrawFn) -> str:
        arn_format = draw(st.sampled_from([t.arn for t in info.resource_types]))

        def value(m: re.Match[str]) -> str:
            field = m.group(1)
            if field == "Partition":
                return partition
            if field == "Region":
                return draw(st.sampled_from(_REGIONS))
            if field == "Account":
                return draw(accounts)
            return draw(_NAME)

        segs = _FIELD.sub(value, arn_format).split(":", 5)
        # some formats hold literal `*` fields (`arn:${Partition}:braket:*:*:device/...`)
        if len(segs) == 6:
            if "*" in segs[3]:
                segs[3] = draw(st.sampled_from(_REGIONS))
            if "*" in segs[4]:
                segs[4] = draw(accounts)
        return ":".join(segs).replace("*", "x")

    return fill()
