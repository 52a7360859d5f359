"""Compiled statements and policies: the per-statement predicates every path shares.

Private module. :func:`compile_policy` turns a parsed policy into :class:`CompiledPolicy`, a
tuple of :class:`_Stmt` records holding precompiled action matchers, resource patterns and
condition callables. The index (:mod:`drpolicy._index`), the decision table
(:mod:`drpolicy.evaluator`) and the explanations (:mod:`drpolicy.explain`) all decide a
statement through the predicates defined here (:meth:`_Stmt.action_applies`,
:meth:`_Stmt.resource_applies`, :meth:`_Stmt.conditions_hold`), so the semantics live in one
place.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from drpolicy._wildcard import (
    ActionMatcher,
    ArnPattern,
    compile_action_pattern,
    compile_arn_pattern,
)
from drpolicy._wildcard import _compile_source as _compile_regex
from drpolicy.conditions import CompiledCondition, ConditionEvaluationError, compile_condition
from drpolicy.model import Policy, PolicyType, Statement, StatementRef
from drpolicy.parser import parse_policy

__all__ = ["CompiledPolicy", "Context", "all_hold", "compile_policy"]

Context = Mapping[str, tuple[str, ...]]


class _Stmt:
    """A compiled statement. ``order`` sorts statements across the policies of an index."""

    __slots__ = (
        "_fullmatch",
        "actions",
        "any_resource",
        "conditions",
        "deny",
        "not_actions",
        "not_patterns",
        "not_principal",
        "order",
        "patterns",
        "principal",
        "ref",
        "statement",
        "static",
    )

    def __init__(
        self,
        ref: StatementRef,
        statement: Statement,
        actions: ActionMatcher | None,
        not_actions: ActionMatcher | None,
        patterns: tuple[ArnPattern, ...] | None,
        not_patterns: tuple[ArnPattern, ...] | None,
        conditions: tuple[CompiledCondition, ...],
        order: int,
    ) -> None:
        self.ref = ref
        self.deny = statement.effect == "Deny"
        self.statement = statement
        self.actions = actions
        self.not_actions = not_actions
        self.patterns = patterns
        self.not_patterns = not_patterns
        self.principal = statement.principal
        self.not_principal = statement.not_principal
        self.conditions = conditions
        self.order = order
        # Resource patterns known at compile time (no policy variables): the index can match
        # them with combined regexes; the others go through resource_applies per request.
        self.static = patterns is not None and all(p.kind != "template" for p in patterns)
        self.any_resource = self.static and any(p.kind == "any" for p in patterns or ())
        self._fullmatch: Any = None

    def __repr__(self) -> str:
        return f"<statement {self.ref}>"

    def placed(self, order: int) -> _Stmt:
        """A copy of this statement at position ``order`` of an index. Compiled policies are
        shared (between indexes, and through the compile caches), so an index never writes
        into their statements."""
        copy = _Stmt.__new__(_Stmt)
        copy._fullmatch = self._fullmatch
        copy.actions = self.actions
        copy.any_resource = self.any_resource
        copy.conditions = self.conditions
        copy.deny = self.deny
        copy.not_actions = self.not_actions
        copy.not_patterns = self.not_patterns
        copy.not_principal = self.not_principal
        copy.patterns = self.patterns
        copy.principal = self.principal
        copy.ref = self.ref
        copy.statement = self.statement
        copy.static = self.static
        copy.order = order
        return copy

    @property
    def resource_fullmatch(self) -> Any:
        """``fullmatch`` of one regex joining this statement's static Resource patterns
        (compiled on first use and kept: the index reuses it in every group)."""
        fullmatch = self._fullmatch
        if fullmatch is None:
            assert self.static and self.patterns is not None
            sources = [p.regex_source for p in self.patterns if p.regex_source is not None]
            source = sources[0] if len(sources) == 1 else "|".join(f"(?:{x})" for x in sources)
            fullmatch = self._fullmatch = _compile_regex(source).fullmatch
        return fullmatch

    def action_applies(self, action_lower: str) -> bool:
        """Whether Action matches / NotAction does not match the lower-cased action.

        An empty ``NotAction`` list, like an empty ``Action`` list, matches nothing: an empty
        list never means "everything" (docs/semantics.md).
        """
        if self.actions is not None:
            return self.actions.matches(action_lower)
        assert self.not_actions is not None
        return bool(self.not_actions.patterns) and not self.not_actions.matches(action_lower)

    def resource_applies(self, resource: str, context: Context) -> bool:
        """Whether Resource matches / NotResource does not match ``resource``.

        A statement with neither (a trust policy) applies to every resource. An unresolved
        policy variable makes a Resource entry match nothing (IAM User Guide); inside
        NotResource it is an evaluation error (fail closed), whatever the other entries say,
        so the outcome never depends on the order of the entries. An empty NotResource list
        matches nothing.
        """
        if self.patterns is not None:
            for p in self.patterns:
                if p.match(resource, context):
                    return True
            return False
        if self.not_patterns is not None:
            if not self.not_patterns:
                return False
            excluded = False
            for p in self.not_patterns:
                hit = p.match(resource, context)
                if hit is None:
                    raise ConditionEvaluationError(
                        f"policy variable in NotResource `{p.source}` has no value"
                    )
                excluded = excluded or hit
            return not excluded
        return True

    def conditions_hold(self, context: Context) -> bool:
        """AND of the compiled conditions; raises :class:`ConditionEvaluationError` when any
        clause errors, even if another is false (an error anywhere in the statement makes it
        fail closed, independent of clause order)."""
        return all_hold(self.conditions, context)


def all_hold(conditions: tuple[CompiledCondition, ...], context: Context) -> bool:
    """AND of compiled conditions; every clause is evaluated, and the first error is raised
    even when another clause is false (the outcome never depends on clause order)."""
    holds = True
    error: ConditionEvaluationError | None = None
    for clause in conditions:
        try:
            if not clause(context):
                holds = False
        except ConditionEvaluationError as exc:
            error = error or exc
    if error is not None:
        raise error
    return holds


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a policy set is parsed and compiled.

    Compiling allocates tens of thousands of long-lived objects for a large policy, and each
    allocation burst triggers collections that scan the growing heap (a quarter of the time
    for 10,000 statements). Nothing is freed by pausing: reference counting still frees
    everything, and cycles are collected at the next collection. The collector is enabled
    again on exit only if it was enabled on entry.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@attrs.frozen(slots=True, eq=False)
class CompiledPolicy:
    """A policy compiled for one policy type: matchers and conditions built once.

    Attributes:
        policy: the source policy.
        policy_type: the type it was compiled (and validated) as.
    """

    policy: Policy
    policy_type: PolicyType
    statements: tuple[_Stmt, ...] = attrs.field(repr=False)


def compile_policy(
    source: Any, policy_type: PolicyType = "identity", *, name: str | None = None
) -> CompiledPolicy:
    """Parse (if needed), validate for ``policy_type``, and compile a policy.

    Args:
        source: JSON text, bytes, a mapping, a :class:`Policy` or a :class:`CompiledPolicy`.
        policy_type: which kind of policy this is; enforces that type's structural rules.
        name: the name to give the policy in decisions.

    Raises:
        PolicyParseError: the policy is malformed or breaks the type's rules.
    """
    if isinstance(source, CompiledPolicy):
        if source.policy_type == policy_type and (name is None or name == source.policy.name):
            return source
        source = source.policy
    with gc_paused():
        policy = parse_policy(source, name=name, policy_type=policy_type)
        variables = policy.version == "2012-10-17"
        stmts = tuple(
            _compile_statement(policy, policy_type, s, i, variables)
            for i, s in enumerate(policy.statements)
        )
    return CompiledPolicy(policy, policy_type, stmts)


def _compile_statement(
    policy: Policy, policy_type: PolicyType, s: Statement, order: int, variables: bool
) -> _Stmt:
    ref = StatementRef(policy.name, s.index, s.sid, policy_type)

    def actions(patterns: tuple[str, ...] | None) -> ActionMatcher | None:
        if patterns is None:
            return None
        return ActionMatcher.build(compile_action_pattern(p) for p in patterns)

    def arns(patterns: tuple[str, ...] | None) -> tuple[ArnPattern, ...] | None:
        if patterns is None:
            return None
        return tuple(
            compile_arn_pattern(p, fold_prefix=True, variables=variables) for p in patterns
        )

    conditions = tuple(
        compile_condition(c.operator, c.key, c.values, variables=variables) for c in s.conditions
    )
    return _Stmt(
        ref, s, actions(s.action), actions(s.not_action), arns(s.resource), arns(s.not_resource),
        conditions, order,
    )
