"""The replay summary: counts built from result rows, mergeable across workers (private)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from drpolicy.replay._evaluate import NOT_EVALUATED, RESULT_COLUMNS

Row = Sequence[Any]
"""A result row: a tuple in :data:`RESULT_COLUMNS` order (a Spark ``Row`` is one too)."""

(_ID, _TIME, _PRINCIPAL, _ACTION, _RESOURCE, _OUTCOME, _DECISION, _REASONS, _PROPOSED,
 _PROPOSED_REASONS, _UNMAPPED, _NOTE) = range(len(RESULT_COLUMNS))


_UNUSED_SHOWN = 5  # granted-but-unused actions shown per principal in the text table


def explanation(row: Row) -> str:
    """One line saying why a would-break event breaks: the current grant and the proposed
    decision with its deciding statements."""
    now = f"now {row[_DECISION]}"
    if row[_REASONS]:
        now += f" by {', '.join(row[_REASONS])}"
    new = f"proposed {row[_PROPOSED]}"
    if row[_PROPOSED_REASONS]:
        new += f" by {', '.join(row[_PROPOSED_REASONS])}"
    else:
        new += f": no statement of the proposed policies allows {row[_ACTION]} on" \
               f" {row[_RESOURCE]}"
    return f"{now}; {new}"


class Summary:
    """Counts over result rows. ``add`` one row at a time, ``merge`` partial summaries (from
    workers or Spark partitions), ``to_json`` for the report.

    The order rows arrive in does not change the result (the example event of a would-break
    group is the one with the smallest ``event_id``).
    """

    COUNTS = ("events", "evaluated", "unmapped", "allowed", "denied", "would_break",
              "newly_allowed", "disagree_with_log", "log_success_now_denied",
              "log_denied_now_allowed", "resource_unknown")

    def __init__(self, proposed: bool = False) -> None:
        self.proposed = proposed
        self.counts = dict.fromkeys(self.COUNTS, 0)
        self.unmapped_by_reason: dict[str, int] = {}
        self.actions: dict[str, dict[str, int]] = {}
        self.breaks: dict[tuple[str, str], list[Any]] = {}
        # per principal, granted (what-can) and never used; filled in after the run
        self.granted_unused: dict[str, list[str]] | None = None

    def add(self, row: Row) -> None:
        """Count one result row."""
        c = self.counts
        c["events"] += 1
        principal, action = row[_PRINCIPAL], row[_ACTION]
        if principal and action:
            used = self.actions.setdefault(principal, {})
            used[action] = used.get(action, 0) + 1
        decision = row[_DECISION]
        if decision == NOT_EVALUATED:
            c["unmapped"] += 1
            reason = row[_UNMAPPED]
            self.unmapped_by_reason[reason] = self.unmapped_by_reason.get(reason, 0) + 1
            return
        c["evaluated"] += 1
        if row[_NOTE] and "resource unknown" in row[_NOTE]:
            c["resource_unknown"] += 1
        allowed = decision == "Allowed"
        c["allowed" if allowed else "denied"] += 1
        outcome = row[_OUTCOME]
        if outcome == "success" and not allowed:
            c["disagree_with_log"] += 1
            c["log_success_now_denied"] += 1
        elif outcome == "denied" and allowed:
            c["disagree_with_log"] += 1
            c["log_denied_now_allowed"] += 1
        proposed = row[_PROPOSED]
        if proposed is None:
            return
        if outcome == "success" and proposed != "Allowed":
            c["would_break"] += 1
            group = self.breaks.get((principal, action))
            if group is None:
                self.breaks[(principal, action)] = [1, row[_ID], row[_RESOURCE],
                                                    explanation(row)]
            else:
                group[0] += 1
                if row[_ID] < group[1]:
                    group[1:] = [row[_ID], row[_RESOURCE], explanation(row)]
        elif outcome == "denied" and proposed == "Allowed":
            c["newly_allowed"] += 1

    def add_rows(self, rows: Iterable[Row]) -> Summary:
        """Count every row; returns ``self``."""
        for row in rows:
            self.add(row)
        return self

    def merge(self, other: Summary) -> Summary:
        """Add another summary's counts to this one; returns ``self``."""
        for key, value in other.counts.items():
            self.counts[key] += value
        for reason, n in other.unmapped_by_reason.items():
            self.unmapped_by_reason[reason] = self.unmapped_by_reason.get(reason, 0) + n
        for principal, used in other.actions.items():
            mine = self.actions.setdefault(principal, {})
            for action, n in used.items():
                mine[action] = mine.get(action, 0) + n
        for pair, (n, event_id, resource, text) in other.breaks.items():
            group = self.breaks.get(pair)
            if group is None:
                self.breaks[pair] = [n, event_id, resource, text]
            else:
                group[0] += n
                if event_id < group[1]:
                    group[1:] = [event_id, resource, text]
        self.proposed = self.proposed or other.proposed
        return self

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data (keys documented in docs/replay.md)."""
        out: dict[str, Any] = dict(self.counts)
        out["unmapped_by_reason"] = dict(sorted(self.unmapped_by_reason.items()))
        out["actions_by_principal"] = {
            p: dict(sorted(used.items())) for p, used in sorted(self.actions.items())
        }
        if self.granted_unused is not None:
            out["granted_unused_by_principal"] = dict(sorted(self.granted_unused.items()))
        if self.proposed:
            out["would_break_by_principal"] = [
                {"principal": p, "action": a, "events": n, "example_event_id": e,
                 "example_resource": r, "explanation": t}
                for (p, a), (n, e, r, t) in sorted(self.breaks.items())
            ]
        else:
            for key in ("would_break", "newly_allowed"):
                del out[key]
        return out

    def text(self) -> str:
        """The summary as an aligned plain-text table."""
        data = self.to_json()
        lines = [f"{key:<24}{data[key]:>10,}" for key in self.COUNTS if key in data]
        if data["unmapped_by_reason"]:
            lines.append("unmapped by reason:")
            lines += [f"  {r:<22}{n:>10,}" for r, n in data["unmapped_by_reason"].items()]
        if self.proposed:
            groups = data["would_break_by_principal"]
            lines.append("would break:" if groups else "would break: nothing")
            for g in groups:
                lines.append(f"  {g['principal']}  {g['action']}  {g['events']:,} events"
                             f" (e.g. {g['example_event_id']} on {g['example_resource']})")
                lines.append(f"    {g['explanation']}")
        lines.append("actions used, per principal:")
        for principal, used in data["actions_by_principal"].items():
            lines.append(f"  {principal}")
            lines += [f"    {action:<40}{n:>8,}" for action, n in used.items()]
        if self.granted_unused is not None:
            lines.append("granted but never used, per principal:")
            for principal, unused in data["granted_unused_by_principal"].items():
                lines.append(f"  {principal}: {len(unused):,} actions")
                lines += [f"    {action}" for action in unused[:_UNUSED_SHOWN]]
                if len(unused) > _UNUSED_SHOWN:
                    lines.append(f"    ... and {len(unused) - _UNUSED_SHOWN:,} more (the JSON"
                                 " summary lists all)")
        return "\n".join(lines)
