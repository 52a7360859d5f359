"""The one place the analysis reads the engine's compiled patterns (private module).

The encoder needs the *structure* of Action and Resource patterns (service and name globs, the
six ARN segments after padding and folding, policy-variable templates), exactly as the engine
compiled them, so that the SMT encoding and the concrete evaluator can never disagree about
what a pattern means. The engine keeps that structure in :mod:`drpolicy._wildcard` and
:mod:`drpolicy._variables`; every use of those private modules is in this file, so a change to
their internals is fixed here and nowhere else.
"""

from __future__ import annotations

from typing import Any

import attrs

from drpolicy._variables import Lit, Text, Var, parse_template
from drpolicy._wildcard import compile_action_pattern, compile_arn_pattern

__all__ = [
    "ActionGlob",
    "ArnGlob",
    "Piece",
    "action_glob",
    "action_pattern_matches",
    "arn_glob",
    "glob_pieces",
    "string_like_glob",
]

# A template piece: ("glob", text) keeps its wildcards, ("lit", text) is literal (an escape
# such as ${*}), ("var", key, default-or-None) is a policy variable (substituted literally).
Piece = tuple[Any, ...]


@attrs.frozen(slots=True)
class ActionGlob:
    """An ``Action``/``NotAction`` entry: ``any`` for ``*``, else lower-cased service and name
    globs (the service glob's wildcards stay inside the service prefix)."""

    source: str
    any: bool
    service: str
    name: str


@attrs.frozen(slots=True)
class ArnGlob:
    """A ``Resource`` entry or an ``ArnLike`` value, as the engine compiled it.

    Attributes:
        any: the pattern is ``*`` (matches every resource, ``*`` included).
        head: the first five segments (``arn``, partition, service, region, account) after
            padding (and folding, for Resource entries); globs whose wildcards stay inside
            the segment.
        resource: the resource part as template pieces (see :data:`Piece`).
    """

    source: str
    any: bool
    head: tuple[str, ...]
    resource: tuple[Piece, ...]


def action_glob(source: str) -> ActionGlob:
    """Compile one action pattern with the engine and return its structure."""
    p = compile_action_pattern(source)
    if p.lowered == "*":
        return ActionGlob(source, True, "*", "*")
    return ActionGlob(source, False, p.service, p.name)


def action_pattern_matches(pattern: str, action: str) -> bool:
    """Whether the engine's compiled ``Action`` entry ``pattern`` matches ``action``."""
    return compile_action_pattern(pattern).matches(action.lower())


def arn_glob(source: str, *, fold_prefix: bool, variables: bool) -> ArnGlob:
    """Compile one ARN pattern with the engine and return its structure."""
    p = compile_arn_pattern(source, fold_prefix=fold_prefix, variables=variables)
    if p.kind == "any":
        return ArnGlob(source, True, (), ())
    segments = tuple(p.segments)
    resource = segments[5]
    pieces = glob_pieces(resource, variables=variables)
    return ArnGlob(source, False, segments[:5], pieces)


def glob_pieces(text: str, *, variables: bool) -> tuple[Piece, ...]:
    """Split a glob that may hold policy variables into pieces (see :data:`Piece`)."""
    if not variables or "${" not in text:
        return (("glob", text),) if text else ()
    out: list[Piece] = []
    for part in parse_template(text):
        if isinstance(part, Text):
            out.append(("glob", part.text))
        elif isinstance(part, Lit):
            out.append(("lit", part.text))
        else:
            assert isinstance(part, Var)
            out.append(("var", part.key, part.default))
    return tuple(out)


def string_like_glob(source: str, parsed: Any, *, variables: bool) -> tuple[Piece, ...]:
    """The pieces of a ``StringLike`` value (static, escapes-only or templated)."""
    glob = getattr(parsed, "glob", None)
    if isinstance(glob, str) and (not variables or "${" not in source):
        return (("glob", glob),) if glob else ()
    return glob_pieces(source, variables=variables)
