"""Encode "policy P allows request r" as a z3 formula over a symbolic request (private module).

The request is symbolic in its action (a lower-cased string), its resource (a string: ``*`` or
an ARN as :func:`drpolicy.arn.parse_arn` accepts it) and its context (for every condition key
the policies mention: how many values it has, and each value in the key's type). The principal
is chosen by the caller of :meth:`Encoder.policy_allows` (resource policies) from a finite set
of candidate principals, whose Principal/NotPrincipal matches the engine decides concretely.

Every rule is the engine's rule, written symbolically (docs/analysis.md lists them):

* an Allow statement grants when its action, resource (and principal) match, and every
  condition clause is true without an evaluation error; a Deny statement applies when they
  match and its conditions hold *or any clause errors* (fail closed); a NotResource entry whose
  policy variable has no value makes the whole statement error;
* a clause is evaluated as :class:`~drpolicy.conditions.CompiledCondition` does: absent key
  (missing or no values), IfExists, ForAllValues/ForAnyValue over the values, a plain operator
  on several values (false, or an error when negated), unreadable request values (errors).

Where a construct has no exact encoding here, it becomes a fresh, unconstrained boolean (an
*opaque atom*): the solver may give it any value, so the formula over-approximates every
satisfiable question. An unsat answer is therefore still a proof; a sat answer whose witness
does not reproduce on the concrete evaluator is reported as "cannot prove", never as a PASS.

Exactness boundary (documented in docs/analysis.md): strings are searched over printable ASCII
plus every character the policies mention (and its case variants); other characters behave
like an unused printable one in every matcher. Dates range over years 1 to 9999 and epoch
seconds beyond.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from drpolicy.analysis._adapter import (
    ArnGlob,
    Piece,
    action_glob,
    arn_glob,
    glob_pieces,
    string_like_glob,
)
from drpolicy.analysis._values import (
    DATE_MIN,
    MULTI_LOWER,
    compare,
    decimals,
    preimage,
    render_date,
    render_number,
    scaled,
)
from drpolicy.conditions import CompiledCondition, compile_condition
from drpolicy.model import Policy, Statement

__all__ = ["Encoder", "KeyVars", "Opaque"]

_SORTS = {
    "StringEquals": "str",
    "StringEqualsIgnoreCase": "str",
    "StringLike": "str",
    "ArnLike": "str",
    "NumericEquals": "num",
    "NumericLessThan": "num",
    "NumericLessThanEquals": "num",
    "NumericGreaterThan": "num",
    "NumericGreaterThanEquals": "num",
    "DateEquals": "date",
    "DateLessThan": "date",
    "DateLessThanEquals": "date",
    "DateGreaterThan": "date",
    "DateGreaterThanEquals": "date",
    "Bool": "bool",
    "IpAddress": "ip",
    "BinaryEquals": "binary",
}



@attrs.frozen(slots=True)
class Opaque:
    """A construct encoded as an unconstrained boolean, and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@attrs.define(slots=True)
class KeyVars:
    """The symbolic values of one condition key.

    Attributes:
        key: the lower-cased key.
        written: the key as first written in a policy.
        sort: ``str``, ``num``, ``date``, ``bool``, ``ip``, ``null`` (only Null tests) or
            ``mixed`` (operators of different types: every clause on it is opaque).
        count: the number of values (0 means absent).
        slots: per value: a z3 String (``str``); ``(ok, scaled Int)`` (``num``/``date``);
            an Int code 0 true / 1 false / 2 unreadable (``bool``); ``(version Int, 128-bit
            vector)`` with version 4, 6 or 0 for unreadable (``ip``).
        scale: the decimal scale of ``num``/``date`` slots (value = Int / 10**scale).
    """

    key: str
    written: str
    sort: str
    count: Any = None
    slots: list[Any] = attrs.Factory(list)
    scale: int = 0


class Encoder:
    """Builds the formulas for a fixed set of policies over one symbolic request."""

    def __init__(self, policies: Sequence[Policy], *, extra_text: Iterable[str] = ()) -> None:
        import z3  # type: ignore[import-untyped]  # the caller checked it is installed

        self.z3 = z3
        self.opaque: list[Opaque] = []
        self._fresh = 0
        self._compiled: dict[tuple[int, int], list[CompiledCondition]] = {}
        # -- what the policies mention: keys, their types, literal characters ------------
        chars: set[str] = set()
        sorts: dict[str, set[str]] = {}
        written: dict[str, str] = {}
        qualified: dict[str, set[Any]] = {}
        scales: dict[str, int] = {}
        for text in extra_text:
            chars.update(text)
        for pi, policy in enumerate(policies):
            variables = policy.version == "2012-10-17"
            for s in policy.statements:
                for text in (*(s.action or ()), *(s.not_action or ())):
                    chars.update(text.lower())
                for text in (*(s.resource or ()), *(s.not_resource or ())):
                    chars.update(text)
                    chars.update(text.lower())
                    if variables:
                        for piece in glob_pieces(text, variables=True):
                            if piece[0] == "var":
                                sorts.setdefault(piece[1], set()).add("str")
                                written.setdefault(piece[1], piece[1])
                                if piece[2]:
                                    chars.update(piece[2])
                clauses = []
                for entry in s.conditions:
                    cc = compile_condition(
                        entry.operator, entry.key, entry.values, variables=variables
                    )
                    clauses.append(cc)
                    family = cc.spec.operator.family
                    written.setdefault(cc.key, cc.key_written)
                    sort = _SORTS.get(family, "null")
                    if sort != "null":
                        sorts.setdefault(cc.key, set()).add(sort)
                    else:
                        sorts.setdefault(cc.key, set())
                    if cc.spec.qualifier is not None:
                        # one witness value per distinct clause suffices (docs/analysis.md)
                        qualified.setdefault(cc.key, set()).add(
                            (cc.spec.canonical, tuple(v.source for v in cc.values), variables)
                        )
                    for v in cc.values:
                        chars.update(v.source)
                        if family == "StringEqualsIgnoreCase":
                            for ch in v.source.lower():
                                chars.update(preimage(ch))
                        if sort in ("num", "date") and v.parsed is not None:
                            scales[cc.key] = max(scales.get(cc.key, 0), decimals(v.parsed))
                        for part in v.template or ():
                            key = getattr(part, "key", None)
                            if key is not None:
                                sorts.setdefault(key, set()).add("str")
                                written.setdefault(key, getattr(part, "written", key))
                self._compiled[(pi, s.index)] = clauses
        self._policies = list(policies)
        chars.discard("*")  # wildcards are not characters of requests' names
        chars.discard("?")
        # z3's strings hold code points up to 0x2FFFF; characters above behave like any
        # character the policies do not mention
        self.extra_chars = frozenset(
            c for c in chars if not (" " <= c <= "~") and ord(c) <= 0x2FFFF
        )
        self._action_cache: dict[str, Any] = {}
        # definitions of auxiliary variables, asserted with every query
        self.side: list[Any] = []
        self._statements: dict[Any, tuple[Any, Any, Any, Any, Any]] = {}
        # -- the symbolic request --------------------------------------------------------
        self.service = z3.String("action.service")
        self.name = z3.String("action.name")
        self.star = z3.Bool("resource.star")  # the request resource is `*`
        self.segments = tuple(
            z3.String(f"resource.{n}")
            for n in ("partition", "service", "region", "account", "resource")
        )
        self.principal = z3.Int("principal")
        self.keys: dict[str, KeyVars] = {}
        for key in sorted(sorts):
            found = sorts[key]
            sort = "mixed" if len(found) > 1 else (next(iter(found)) if found else "null")
            if sort == "binary":
                sort = "mixed"  # BinaryEquals: opaque
            n_slots = 2 + len(qualified.get(key, ()))
            kv = KeyVars(key, written[key], sort, z3.Int(f"n[{key}]"))
            kv.scale = min(scales.get(key, 0) + 1, 1000) if sort in ("num", "date") else 0
            for i in range(n_slots):
                tag = f"{key}#{i}"
                if sort in ("str", "null", "mixed"):
                    kv.slots.append(z3.String(tag))
                elif sort in ("num", "date"):
                    kv.slots.append((z3.Bool(f"ok:{tag}"), z3.Int(tag)))
                elif sort == "bool":
                    kv.slots.append(z3.Int(tag))
                else:
                    kv.slots.append((z3.Int(f"v:{tag}"), z3.BitVec(tag, 128)))
            self.keys[key] = kv
        # -- character classes ----------------------------------------------------------
        # any character z3 can hold; any but a colon; the characters of lower-case names
        # (action parts, ARN partition/service/region: the engine lower-cases actions and
        # rejects upper case in those ARN fields)
        top = chr(z3.Z3_get_char_max() if hasattr(z3, "Z3_get_char_max") else 0x2FFFF)
        self.ALL = z3.Range(chr(0), top)
        self.NOCOLON = z3.Union(z3.Range(chr(0), "9"), z3.Range(";", top))
        self.NAMECHAR = self._char_class({":", "*", "?"}, lower_only=True)
        # request actions hold no whitespace or control characters (the engine's
        # check_action rejects them), so neither part of a witness action does; ARN fields
        # may (parse_arn accepts them), so NAMECHAR keeps them
        self.ACTIONCHAR = self._char_class({":", "*", "?"}, lower_only=True, no_space=True)

    # ------------------------------------------------------------------------------------
    # character classes and globs
    # ------------------------------------------------------------------------------------

    def _char_class(
        self, exclude: set[str], *, lower_only: bool = False, no_space: bool = False
    ) -> Any:
        z3 = self.z3
        codes = sorted(
            {c for c in range(0x20, 0x7F)} | {ord(c) for c in self.extra_chars}
        )
        keep = [
            c for c in codes
            if chr(c) not in exclude and (not lower_only or chr(c).lower() == chr(c))
            and not (no_space and (chr(c).isspace() or c < 0x20 or c == 0x7F))
        ]
        ranges: list[tuple[int, int]] = []
        for c in keep:
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1] = (ranges[-1][0], c)
            else:
                ranges.append((c, c))
        parts = [z3.Range(chr(a), chr(b)) for a, b in ranges]
        return parts[0] if len(parts) == 1 else z3.Union(*parts)

    def glob(self, text: str, *, segment: bool = False) -> Any:
        """The regex of an IAM glob (``*`` any run, ``?`` one character)."""
        z3 = self.z3
        one = self.NOCOLON if segment else self.ALL
        out: list[Any] = []
        buf: list[str] = []
        for ch in text:
            if ch in "*?":
                if buf:
                    out.append(z3.Re(z3.StringVal("".join(buf))))
                    buf = []
                if ch == "*":
                    out.append(z3.Star(one))
                else:
                    out.append(one)
            else:
                buf.append(ch)
        if buf:
            out.append(z3.Re(z3.StringVal("".join(buf))))
        if not out:
            return z3.Re(z3.StringVal(""))
        return out[0] if len(out) == 1 else z3.Concat(*out)

    def _concat(self, parts: list[Any]) -> Any:
        z3 = self.z3
        if not parts:
            return z3.Re(z3.StringVal(""))
        return parts[0] if len(parts) == 1 else z3.Concat(*parts)

    def action_domain(self) -> list[Any]:
        """Every request action, lower-cased: ``service:name``, no wildcards, no colon in
        either part (the action is two string variables; the colon is implied)."""
        z3 = self.z3
        return [
            z3.InRe(self.service, z3.Plus(self.ACTIONCHAR)),
            z3.InRe(self.name, z3.Plus(self.ACTIONCHAR)),
        ]

    def resource_domain(self) -> list[Any]:
        """``*`` or an ARN that :func:`drpolicy.arn.parse_arn` accepts (six fields: the
        partition and service non-empty, the first three lower case, the first five without
        colons)."""
        z3 = self.z3
        partition, service, region, account, rest = self.segments
        return [
            z3.InRe(partition, z3.Plus(self.NAMECHAR)),
            z3.InRe(service, z3.Plus(self.NAMECHAR)),
            z3.InRe(region, z3.Star(self.NAMECHAR)),
            z3.InRe(account, z3.Star(self.NOCOLON)),
            z3.InRe(rest, z3.Star(self.ALL)),
        ]

    @property
    def action(self) -> Any:
        """The request action as one string term."""
        return self.z3.Concat(self.service, self.z3.StringVal(":"), self.name)

    @property
    def resource(self) -> Any:
        """The request resource as one string term."""
        z3 = self.z3
        colon = z3.StringVal(":")
        p, s, r, a, x = self.segments
        arn = z3.Concat(z3.StringVal("arn:"), p, colon, s, colon, r, colon, a, colon, x)
        return z3.If(self.star, z3.StringVal("*"), arn)

    def key_domain(self) -> list[Any]:
        """Range constraints on the context variables."""
        z3 = self.z3
        out: list[Any] = []
        for kv in self.keys.values():
            out.append(kv.count >= 0)
            out.append(kv.count <= len(kv.slots))
            for slot in kv.slots:
                if kv.sort in ("str", "null", "mixed"):
                    out.append(z3.InRe(slot, z3.Star(self.ALL)))
                elif kv.sort == "bool":
                    out.append(z3.And(slot >= 0, slot <= 2))
                elif kv.sort == "ip":
                    version, bits = slot
                    out.append(z3.Or(version == 0, version == 4, version == 6))
                    out.append(z3.Implies(version == 4, z3.ULT(bits, 2**32)))
                elif kv.sort == "date":
                    ok, value = slot
                    scale = 10**kv.scale
                    out.append(z3.Implies(ok, value >= DATE_MIN * scale))
                    if kv.scale > 9:
                        # a date before 1970 is written in ISO form: at most 9 fractional digits
                        out.append(
                            z3.Implies(z3.And(ok, value < 0), value % 10 ** (kv.scale - 9) == 0)
                        )
        return out

    def domain(self) -> list[Any]:
        """Every constraint that keeps the symbolic request a valid request."""
        return [*self.action_domain(), *self.resource_domain(), *self.key_domain()]

    # ------------------------------------------------------------------------------------
    # opaque atoms
    # ------------------------------------------------------------------------------------

    def _opaque(self, where: str, reason: str) -> Any:
        self._fresh += 1
        self.opaque.append(Opaque(where, reason))
        return self.z3.Bool(f"opaque#{self._fresh}")

    # ------------------------------------------------------------------------------------
    # actions and resources
    # ------------------------------------------------------------------------------------

    def action_pattern(self, pattern: str) -> Any:
        """Whether the request action matches one ``Action`` entry."""
        found = self._action_cache.get(pattern)
        if found is None:
            g = action_glob(pattern)
            if g.any:
                found = self.z3.BoolVal(True)
            else:
                found = self.z3.And(
                    self._glob_holds(self.service, g.service, segment=True),
                    self._glob_holds(self.name, g.name),
                )
            self._action_cache[pattern] = found
        return found

    def _glob_holds(self, term: Any, glob: str, *, segment: bool = False) -> Any:
        z3 = self.z3
        if "*" not in glob and "?" not in glob:
            return term == z3.StringVal(glob)
        if glob == "*":
            return z3.BoolVal(True)
        return z3.InRe(term, self.glob(glob, segment=segment))

    def action_matches(self, patterns: Sequence[str]) -> Any:
        """Whether the request action matches one of ``patterns``."""
        z3 = self.z3
        if not patterns:
            return z3.BoolVal(False)
        hits = [self.action_pattern(p) for p in dict.fromkeys(patterns)]
        return hits[0] if len(hits) == 1 else z3.Or(*hits)

    def resource_matches(self, g: ArnGlob, where: str) -> tuple[Any, Any]:
        """``(matches, resolved)`` of a Resource entry against the request resource, field by
        field (the first five fields of a request ARN hold no colon, so the engine's
        segment-confined globs match field by field)."""
        z3 = self.z3
        if g.any:
            return z3.BoolVal(True), z3.BoolVal(True)
        head = [z3.Not(self.star)]
        if g.head[0] != "arn":
            return z3.BoolVal(False), z3.BoolVal(True)
        for term, glob in zip(self.segments, g.head[1:]):
            head.append(self._glob_holds(term, glob, segment=True))
        rest = self.segments[4]
        if not any(p[0] == "var" for p in g.resource):
            pieces = g.resource
            if len(pieces) == 1 and pieces[0][0] == "glob":
                head.append(self._glob_holds(rest, pieces[0][1]))
            elif not pieces:
                head.append(rest == z3.StringVal(""))
            else:
                head.append(z3.InRe(rest, self._concat([self._piece_re(p) for p in pieces])))
            return z3.And(*head), z3.BoolVal(True)
        hit, ok = self._template_match(rest, g.resource, where, g.source)
        return z3.And(*head, hit), ok

    def _arn_head_re(self, g: ArnGlob) -> list[Any]:
        z3 = self.z3
        out: list[Any] = []
        for seg in g.head:
            out.append(self.glob(seg, segment=True))
            out.append(z3.Re(":"))
        return out

    def arn_match(self, value: Any, g: ArnGlob) -> Any:
        """Whether the string ``value`` matches a static ARN glob (an ``ArnLike`` value):
        field by field, wildcards inside the first five fields staying in their field."""
        z3 = self.z3
        if g.any:
            return z3.BoolVal(True)
        assert not any(p[0] == "var" for p in g.resource), "ArnLike values are static here"
        regex = self._concat([*self._arn_head_re(g), *(self._piece_re(p) for p in g.resource)])
        return z3.InRe(value, regex)

    def _piece_re(self, piece: Piece) -> Any:
        z3 = self.z3
        if piece[0] == "glob":
            return self.glob(piece[1])
        return z3.Re(z3.StringVal(piece[1]))

    def _var_value(self, key: str, default: str | None, where: str) -> tuple[Any, Any] | None:
        """``(value, resolved)`` of a policy variable, or ``None`` if its key is not a string
        key (then the caller makes the match opaque)."""
        z3 = self.z3
        kv = self.keys.get(key)
        if kv is None or kv.sort not in ("str",):
            return None
        single = kv.count == 1
        if default is None:
            return kv.slots[0], single
        return z3.If(single, kv.slots[0], z3.StringVal(default)), z3.BoolVal(True)

    def _template_match(
        self, value: Any, pieces: Sequence[Piece], where: str, source: str, *, glob: bool = True
    ) -> tuple[Any, Any]:
        """Match a template whose wildcards all come after its last variable: the text up to
        the last variable is a fixed prefix (with substituted values), the rest a regex."""
        z3 = self.z3
        last_var = max(i for i, p in enumerate(pieces) if p[0] == "var")
        # whether every variable resolves (a key with exactly one value, or a default) is
        # exact whatever the key's type: an unresolved variable is an error or a non-match
        resolved = [
            z3.BoolVal(True) if p[2] is not None else self.keys[p[1]].count == 1
            for p in pieces if p[0] == "var"
        ]
        ok = z3.And(*resolved) if resolved else z3.BoolVal(True)
        prefix: list[Any] = []
        for p in pieces[: last_var + 1]:
            if p[0] == "var":
                got = self._var_value(p[1], p[2], where)
                if got is None:
                    why = f"`{source}`: a variable on a key compared with non-string operators"
                    return z3.And(ok, self._opaque(where, why)), ok
                prefix.append(got[0])
            elif p[0] == "glob" and glob and ("*" in p[1] or "?" in p[1]):
                why = f"`{source}`: a policy variable after a wildcard"
                return z3.And(ok, self._opaque(where, why)), ok
            else:
                prefix.append(z3.StringVal(p[1]))
        fixed = prefix[0] if len(prefix) == 1 else z3.Concat(*prefix)
        tail_pieces = pieces[last_var + 1 :]
        if glob:
            tail = self._concat([self._piece_re(p) for p in tail_pieces])
        else:
            tail = z3.Re(z3.StringVal("".join(p[1] for p in tail_pieces)))
        # the text after the fixed prefix, defined once for the whole query: a fresh variable
        # tied to `value` whenever the prefix holds (a function of the request, so the match
        # may appear under negation)
        self._fresh += 1
        rest = z3.String(f"tail#{self._fresh}")
        starts = z3.PrefixOf(fixed, value)
        self.side.append(z3.Implies(starts, value == z3.Concat(fixed, rest)))
        return z3.And(ok, starts, z3.InRe(rest, tail)), ok

    def resource_match(
        self, statement: Statement, variables: bool, where: str
    ) -> tuple[Any, Any]:
        """``(applies, error)`` for the statement's Resource/NotResource."""
        z3 = self.z3
        if statement.resource is not None:
            hits = []
            for src in statement.resource:
                g = arn_glob(src, fold_prefix=True, variables=variables)
                hits.append(self.resource_matches(g, where)[0])
            return (z3.Or(*hits) if hits else z3.BoolVal(False)), z3.BoolVal(False)
        if statement.not_resource is not None:
            if not statement.not_resource:
                return z3.BoolVal(False), z3.BoolVal(False)
            hits = []
            unresolved = []
            for src in statement.not_resource:
                g = arn_glob(src, fold_prefix=True, variables=variables)
                hit, ok = self.resource_matches(g, where)
                hits.append(hit)
                unresolved.append(z3.Not(ok))
            return z3.Not(z3.Or(*hits)), z3.Or(*unresolved)
        return z3.BoolVal(True), z3.BoolVal(False)

    # ------------------------------------------------------------------------------------
    # conditions
    # ------------------------------------------------------------------------------------

    def clause(self, cc: CompiledCondition, variables: bool, where: str) -> tuple[Any, Any]:
        """``(holds, error)`` of one compiled condition clause."""
        z3 = self.z3
        kv = self.keys[cc.key]
        spec = cc.spec
        family = spec.operator.family
        negated = spec.operator.negated
        n = kv.count
        # ambiguous constructs (docs/semantics.md) are evaluation errors: the statement fails
        # closed, exactly as the engine decides it (CompiledCondition.ambiguity)
        absent_ambiguous = cc.ambiguity(present=False) is not None
        absent_err = z3.BoolVal(absent_ambiguous)
        # the engine's own answers where no value is compared: absent key, and Null
        absent = z3.BoolVal(False if absent_ambiguous else bool(cc({})))
        if cc.ambiguity(present=True) is not None:
            return z3.If(n == 0, absent, z3.BoolVal(False)), z3.If(n == 0, absent_err, True)
        if family == "Null":
            one = z3.BoolVal(bool(cc({cc.key: ("x",)})))
            many = z3.BoolVal(bool(cc({cc.key: ("x", "y")})))
            return z3.If(n == 0, absent, z3.If(n == 1, one, many)), z3.And(n == 0, absent_err)
        if not cc.values:
            return z3.If(n == 0, absent, z3.BoolVal(False)), z3.And(n == 0, absent_err)
        if kv.sort == "mixed":
            label = f"`{spec.written}` on `{cc.key_written}`"
            why = "BinaryEquals" if family == "BinaryEquals" else \
                "the key is used with operators of different types"
            holds = self._opaque(where, f"{label}: {why}")
            err = self._opaque(where, f"{label}: {why}")
            return z3.If(n == 0, absent, holds), z3.If(n == 0, absent_err, err)
        matches: list[tuple[Any, Any]] = []
        for i, slot in enumerate(kv.slots):
            matches.append(self._value_match(cc, kv, slot, variables, where))
        if spec.qualifier is None:
            m0, e0 = matches[0]
            holds = z3.If(n == 1, m0 != negated, z3.BoolVal(False))
            err = z3.Or(z3.And(n == 1, e0), z3.And(n >= 2, z3.BoolVal(negated)))
        else:
            present = [n > i for i in range(len(kv.slots))]
            results = [m != negated for m, _ in matches]
            if spec.qualifier == "ForAllValues":
                holds = z3.And(*[z3.Implies(p, r) for p, r in zip(present, results)])
            else:
                holds = z3.Or(*[z3.And(p, r) for p, r in zip(present, results)])
            err = z3.Or(*[z3.And(p, e) for p, (_, e) in zip(present, matches)])
        return z3.If(n == 0, absent, holds), z3.If(n == 0, absent_err, err)

    def _value_match(
        self, cc: CompiledCondition, kv: KeyVars, slot: Any, variables: bool, where: str
    ) -> tuple[Any, Any]:
        """``(matches some policy value, error)`` for one request value (positive operator)."""
        z3 = self.z3
        family = cc.spec.operator.family
        label = f"`{cc.spec.written}` on `{cc.key_written}`"
        false = z3.BoolVal(False)
        hits: list[Any] = []
        errors: list[Any] = []
        if kv.sort != "str" and any(v.template is not None for v in cc.values):
            why = f"{label}: policy variables with {family}"
            return self._opaque(where, why), self._opaque(where, why)
        if kv.sort == "str":
            for v in cc.values:
                if v.template is not None:
                    pieces = glob_pieces(v.source, variables=variables)
                    if family == "StringLike":
                        hit, ok = self._template_match(slot, pieces, where, v.source)
                    elif family == "StringEquals":
                        hit, ok = self._template_match(
                            slot, pieces, where, v.source, glob=False
                        )
                    else:
                        hit = self._opaque(where, f"{label}: policy variables with {family}")
                        ok = self._opaque(where, f"{label}: policy variables with {family}")
                    hits.append(z3.And(ok, hit))
                    if cc.spec.operator.negated:
                        errors.append(z3.Not(ok))
                    continue
                if family == "StringEquals":
                    hits.append(slot == z3.StringVal(v.parsed))
                elif family == "StringEqualsIgnoreCase":
                    hits.append(z3.InRe(slot, self._ignore_case_re(v.parsed)))
                elif family == "StringLike":
                    pieces = string_like_glob(v.source, v.parsed, variables=variables)
                    hits.append(z3.InRe(slot, self._concat([self._piece_re(p) for p in pieces])))
                elif family == "ArnLike":
                    if variables and "${" in v.source:
                        hits.append(self._opaque(where, f"{label}: escapes in an ARN value"))
                        continue
                    g = arn_glob(v.source, fold_prefix=False, variables=False)
                    hits.append(self.arn_match(slot, g))
            if family == "ArnLike":
                shape = z3.Concat(
                    z3.Re("arn:"), *([z3.Star(self.NOCOLON), z3.Re(":")] * 4), z3.Star(self.ALL)
                )
                errors.append(z3.Not(z3.InRe(slot, shape)))
        elif kv.sort in ("num", "date"):
            ok, value = slot
            scale = 10**kv.scale
            for v in cc.values:
                p = scaled(v.parsed, scale)
                hits.append(compare(family, value, p))
            errors.append(z3.Not(ok))
        elif kv.sort == "bool":
            for v in cc.values:
                hits.append(slot == (0 if v.parsed == "true" else 1))
            errors.append(slot == 2)
        elif kv.sort == "ip":
            version, bits = slot
            for v in cc.values:
                net = v.parsed
                mask = int(net.netmask)
                hits.append(
                    z3.And(version == net.version, (bits & mask) == int(net.network_address))
                )
            errors.append(version == 0)
        return (z3.Or(*hits) if hits else false), (z3.Or(*errors) if errors else false)

    def _ignore_case_re(self, lowered: str) -> Any:
        """The strings whose ``str.lower()`` is ``lowered``."""
        z3 = self.z3

        @functools.cache
        def from_(i: int) -> Any:
            if i == len(lowered):
                return z3.Re(z3.StringVal(""))
            options = [
                z3.Concat(z3.Union(*[z3.Re(z3.StringVal(c)) for c in sorted(preimage(lowered[i]))])
                          if len(preimage(lowered[i])) > 1
                          else z3.Re(z3.StringVal(lowered[i])), from_(i + 1))
            ]
            for src, low in MULTI_LOWER.items():
                if lowered.startswith(low, i):
                    options.append(z3.Concat(z3.Re(z3.StringVal(src)), from_(i + len(low))))
            return options[0] if len(options) == 1 else z3.Union(*options)

        return from_(0)

    # ------------------------------------------------------------------------------------
    # statements and policies
    # ------------------------------------------------------------------------------------

    def statement(
        self, pi: int, policy: Policy, s: Statement, principal: Any
    ) -> tuple[Any, Any]:
        """``(grants, applies)``: whether an Allow statement grants / a Deny statement applies
        (only the one matching the statement's effect is meaningful)."""
        z3 = self.z3
        variables = policy.version == "2012-10-17"
        where = f"{policy.name}: {s.label}"
        # statements written alike (the unchanged part of a policy change) are encoded once
        key = (s.action, s.not_action, s.resource, s.not_resource, s.conditions, variables)
        cached = self._statements.get(key)
        if cached is None:
            before = len(self.opaque)
            cached = self._statement_parts(pi, s, variables, where)
            if len(self.opaque) == before:  # opaque atoms stay per statement (their reasons)
                self._statements[key] = cached
        act, res, res_err, cond, cond_err = cached
        grants = z3.And(act, principal, z3.Not(res_err), res, z3.Not(cond_err), cond)
        # a NotResource that cannot be decided makes a Deny apply whatever its principal
        applies = z3.And(act, z3.Or(res_err, z3.And(principal, res, z3.Or(cond_err, cond))))
        return grants, applies

    def _statement_parts(
        self, pi: int, s: Statement, variables: bool, where: str
    ) -> tuple[Any, Any, Any, Any, Any]:
        z3 = self.z3
        if s.action is not None:
            act = self.action_matches(s.action)
        else:
            assert s.not_action is not None
            act = z3.BoolVal(False) if not s.not_action else \
                z3.Not(self.action_matches(s.not_action))
        res, res_err = self.resource_match(s, variables, where)
        holds: list[Any] = []
        errs: list[Any] = []
        for cc in self._compiled[(pi, s.index)]:
            h, e = self.clause(cc, variables, where)
            holds.append(h)
            errs.append(e)
        cond = z3.And(*holds) if holds else z3.BoolVal(True)
        cond_err = z3.Or(*errs) if errs else z3.BoolVal(False)
        return act, res, res_err, cond, cond_err

    def policy_allows(self, policy: Policy, principal_of: Any = None) -> Any:
        """The formula "``policy`` alone allows the symbolic request".

        Args:
            policy: one of the encoder's policies.
            principal_of: ``statement -> z3 Bool`` for resource policies (whether the
                statement's Principal/NotPrincipal names the request's principal); ``None``
                for identity policies.
        """
        z3 = self.z3
        pi = next(i for i, p in enumerate(self._policies) if p is policy)
        grants: list[Any] = []
        denies: list[Any] = []
        for s in policy.statements:
            principal = z3.BoolVal(True) if principal_of is None else principal_of(s)
            g, a = self.statement(pi, policy, s, principal)
            (denies if s.effect == "Deny" else grants).append(a if s.effect == "Deny" else g)
        allowed = z3.Or(*grants) if grants else z3.BoolVal(False)
        denied = z3.Or(*denies) if denies else z3.BoolVal(False)
        return z3.And(allowed, z3.Not(denied))

    # ------------------------------------------------------------------------------------
    # reading a model back
    # ------------------------------------------------------------------------------------

    def string_value(self, model: Any, term: Any) -> str:
        """The Python string a model gives a z3 string term."""
        z3 = self.z3
        length = model.eval(z3.Length(term), model_completion=True).as_long()
        codes = [
            model.eval(z3.StrToCode(z3.SubString(term, i, 1)), model_completion=True).as_long()
            for i in range(length)
        ]
        return "".join(chr(c) for c in codes)

    def context_value(self, model: Any, kv: KeyVars) -> list[str]:
        """The values of one key in a model (an empty list: absent)."""
        z3 = self.z3
        n = model.eval(kv.count, model_completion=True).as_long()
        out: list[str] = []
        for slot in kv.slots[:n]:
            if kv.sort in ("str", "null", "mixed"):
                out.append(self.string_value(model, slot))
            elif kv.sort in ("num", "date"):
                ok, value = slot
                if not z3.is_true(model.eval(ok, model_completion=True)):
                    out.append("not-a-number" if kv.sort == "num" else "not-a-date")
                    continue
                scaled = model.eval(value, model_completion=True).as_long()
                number = Decimal(scaled).scaleb(-kv.scale)
                out.append(render_number(number) if kv.sort == "num" else render_date(number))
            elif kv.sort == "bool":
                code = model.eval(slot, model_completion=True).as_long()
                out.append(("true", "false", "maybe")[code])
            else:
                version, bits = slot
                ver = model.eval(version, model_completion=True).as_long()
                raw = model.eval(bits, model_completion=True).as_long()
                if ver == 4:
                    out.append(str(ipaddress.IPv4Address(raw & 0xFFFFFFFF)))
                elif ver == 6:
                    out.append(str(ipaddress.IPv6Address(raw)))
                else:
                    out.append("not-an-ip")
        return out
