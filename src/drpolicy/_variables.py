"""Policy variables: ``${aws:username}``, defaults, and the ``${*}`` ``${?}`` ``${$}`` escapes.

Private module. A string that may hold variables is parsed once into a *template*: a tuple of
parts, each either text that keeps its meaning (a glob for Resource/StringLike, plain text for
StringEquals), a literal that must be matched as-is (an escape), or a variable reference.
Resolution happens per request; substituted values are always literal (a ``*`` in a user name
is not a wildcard), as the IAM User Guide's "IAM policy elements: Variables and tags" implies
and every engine we studied implements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import attrs

__all__ = ["UNRESOLVED", "Lit", "Template", "Text", "Var", "parse_template", "resolve"]



@attrs.frozen(slots=True)
class Text:
    """Template text: keeps its wildcard meaning where the context gives it one."""

    text: str


@attrs.frozen(slots=True)
class Lit:
    """A literal character produced by an escape (``${*}`` -> ``*``)."""

    text: str


@attrs.frozen(slots=True)
class Var:
    """A variable reference.

    Attributes:
        key: the lower-cased context key (keys are case-insensitive).
        written: the key as written, for explanations.
        default: the default value (``${key, 'default'}``), or ``None``.
    """

    key: str
    written: str
    default: str | None = None


Part = Text | Lit | Var
Template = tuple[Part, ...]

_ESCAPES: Final = {"*": "*", "?": "?", "$": "$"}
# ${key} or ${key, 'default'}; the key is any run of characters other than braces, commas and
# quotes, the default any run of characters other than a single quote.
_VAR_BODY: Final = re.compile(r"\s*([^\s{},'$]+)\s*(?:,\s*'([^']*)'\s*)?")


class TemplateError(ValueError):
    """Raised by :func:`parse_template` for a malformed ``${...}``."""


def parse_template(text: str) -> Template:
    """Split ``text`` into text, escapes and variable references.

    Raises:
        TemplateError: an unterminated ``${``, an empty ``${}``, or a malformed default.
    """
    parts: list[Part] = []
    pos = 0
    buf: list[str] = []
    while True:
        start = text.find("${", pos)
        if start < 0:
            buf.append(text[pos:])
            break
        buf.append(text[pos:start])
        end = text.find("}", start + 2)
        if end < 0:
            raise TemplateError(f"unterminated policy variable in `{text}`")
        body = text[start + 2 : end]
        if body in _ESCAPES:
            if buf and "".join(buf):
                parts.append(Text("".join(buf)))
            buf = []
            parts.append(Lit(_ESCAPES[body]))
        else:
            match = _VAR_BODY.fullmatch(body)
            if match is None:
                raise TemplateError(
                    f"malformed policy variable `${{{body}}}` (expected `${{key}}` or"
                    f" `${{key, 'default'}}`)"
                )
            if "".join(buf):
                parts.append(Text("".join(buf)))
            buf = []
            parts.append(Var(match.group(1).lower(), match.group(1), match.group(2)))
        pos = end + 1
    tail = "".join(buf)
    if tail:
        parts.append(Text(tail))
    return tuple(parts)


class _Unresolved:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNRESOLVED"


UNRESOLVED: Final = _Unresolved()
"""Returned by :func:`resolve` when a variable has no value and no default."""


def resolve(var: Var, context: Mapping[str, tuple[str, ...]]) -> str | _Unresolved:
    """The value of ``var`` in ``context``: its single value, else its default, else
    :data:`UNRESOLVED`.

    A multi-valued key cannot be a policy variable (IAM User Guide: only single-valued keys),
    so it resolves like a missing one.
    """
    values = context.get(var.key)
    if values is not None and len(values) == 1:
        return values[0]
    if var.default is not None:
        return var.default
    return UNRESOLVED
