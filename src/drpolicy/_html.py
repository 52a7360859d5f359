"""One decision as a self-contained HTML page (``drpolicy explain --format html``).

The page is built from :meth:`drpolicy.explain.Explanation.to_json` data only, plus, when
given, the policy documents, so each statement can be shown as written. It has no scripts and
loads nothing: styles are inline, so the file can be mailed, attached to a ticket or opened
offline.

Statements are coloured by what they did: an applying Allow green, an applying Deny red, a
statement whose action matched but whose resource, principal or condition did not grey-amber
("fails"), a statement whose action did not match pale grey ("skipped"). Inside a failing
statement the check that failed is marked: the ARN segment that differs (in the pattern and in
the request), the condition entry that is false with the request's and the policy's values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Final

from drpolicy.explain import _DECIDED_BY, _TYPE_LABEL

__all__ = ["render_html"]

_SEGMENTS: Final = ("arn", "partition", "service", "region", "account", "resource")

_CSS: Final = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1d232a; background: #f6f7f9; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 28px 40px; }
h1 { font-size: 22px; margin: 4px 0 14px; }
h2 { font-size: 17px; margin: 26px 0 8px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
                   font-size: 13px; }
.badge { display: inline-block; padding: 3px 12px; border-radius: 14px; color: #fff;
         font-weight: 600; letter-spacing: .02em; }
.badge.Allowed { background: #1e7a3c; }
.badge.ExplicitlyDenied { background: #b3261e; }
.badge.ImplicitlyDenied { background: #9a6700; }
table.facts { border-collapse: collapse; margin: 8px 0; }
table.facts th { text-align: left; font-weight: 600; padding: 3px 14px 3px 0;
                 vertical-align: top; color: #4b5563; white-space: nowrap; }
table.facts td { padding: 3px 0; }
.hint { background: #fff8db; border: 1px solid #e6c84f; border-radius: 6px; padding: 8px 12px;
        margin: 10px 0; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
            vertical-align: -1px; margin-right: 5px; }
section.policy { background: #fff; border: 1px solid #d9dee4; border-radius: 8px;
                 padding: 4px 16px 12px; margin: 14px 0; }
.verdict { font-weight: 600; }
.verdict.deny { color: #b3261e; } .verdict.allow { color: #1e7a3c; }
.verdict.no-match, .verdict.not-evaluated { color: #6b7280; }
article.stmt { border-left: 6px solid #c5cbd3; border-radius: 4px; margin: 10px 0;
               padding: 6px 12px; background: #fafbfc; }
article.allows { border-color: #1e7a3c; background: #eaf6ee; }
article.denies { border-color: #b3261e; background: #fbeceb; }
article.fails { border-color: #c98a00; background: #fdf6e7; }
article.skipped { border-color: #d9dee4; background: #f7f8fa; color: #6b7280; }
article.error { border-color: #7c3aed; background: #f3edfd; }
article.not-evaluated { border-color: #d9dee4; background: #f7f8fa; color: #6b7280; }
.stmt-head { font-weight: 600; }
.stmt-head .tag { font-weight: 700; margin-right: 6px; }
table.checks { border-collapse: collapse; margin: 6px 0 4px; width: 100%; }
table.checks td, table.checks th { border-top: 1px solid #e3e7ec; padding: 4px 8px;
                                   text-align: left; vertical-align: top; }
table.checks th { color: #4b5563; font-weight: 600; width: 120px; }
td.ok { color: #1e7a3c; font-weight: 600; white-space: nowrap; }
td.no { color: #b3261e; font-weight: 600; white-space: nowrap; }
td.na { color: #6b7280; white-space: nowrap; }
mark.hit { background: #bfe8c9; padding: 0 2px; border-radius: 3px; }
mark.miss { background: #ffb4ab; padding: 0 2px; border-radius: 3px;
            outline: 2px solid #b3261e; }
summary { cursor: pointer; color: #4b5563; font-size: 13px; }
pre.src { background: #fff; border: 1px solid #e3e7ec; border-radius: 4px; padding: 8px;
          overflow-x: auto; margin: 6px 0; }
footer { color: #6b7280; font-size: 12px; margin-top: 28px; }
"""


def render_html(
    data: Mapping[str, Any],
    documents: Mapping[tuple[str, str], Any] | None = None,
    *,
    title: str | None = None,
) -> str:
    """The page for one explained decision.

    Args:
        data: an explanation as :meth:`drpolicy.explain.Explanation.to_json` returns it.
        documents: the policy documents as JSON data, by ``(policy_type, name)``, to show
            each statement's source; policies missing from it are shown by their checks only.
        title: the page title (default: the request).

    Returns:
        A complete HTML document (UTF-8 text, no scripts, no external resources).
    """
    docs = documents or {}
    decision = data["decision"]
    head = title or f"{data['action']} on {data['resource']}: {decision['decision']}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(head)}</title><style>{_CSS}</style></head><body><main>",
        (f"<h1>drpolicy: <code>{_e(data['action'])}</code> on <code>{_e(data['resource'])}</code>"
        "</h1>"),
        _summary(data),
        _legend(),
    ]
    for policy in data["policies"]:
        parts.append(_policy(policy, data["resource"], docs.get(
            (policy["policy_type"], policy["name"]))))
    parts.append(
        "<footer>Generated by drpolicy from the explanation of this request "
        "(<code>drpolicy explain ... --json</code> holds the same data).</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _anchor(ref: Mapping[str, Any]) -> str:
    raw = f"s-{ref['policy_type']}-{ref['policy']}-{ref['index']}"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in raw)


def _ref_text(ref: Mapping[str, Any]) -> str:
    sid = f" ({ref['sid']})" if ref.get("sid") else ""
    return f"{ref['policy_type']}:{ref['policy']}: Statement[{ref['index']}]{sid}"


def _summary(data: Mapping[str, Any]) -> str:
    d = data["decision"]
    rows = [
        ("decision", f'<span class="badge {_e(d["decision"])}">{_e(d["decision"])}</span>'
         + (f" decided by the {_e(_DECIDED_BY.get(d['decided_by'], d['decided_by']))}"
            if d.get("decided_by") else "")),
        ("principal", (f"<code>{_e(data['principal']['arn'])}</code>"
         f" ({_e(data['principal']['kind'])})")),
    ]
    if d["reasons"]:
        verb = "denied by" if d["decision"] == "ExplicitlyDenied" else "allowed by"
        links = "<br>".join(
            f'<a href="#{_anchor(r)}"><code>{_e(_ref_text(r))}</code></a>' for r in d["reasons"]
        )
        rows.append((verb, links))
    elif d["decision"] == "ImplicitlyDenied":
        rows.append(("why", "no statement allows the request"))
    for err in d.get("errors", []):
        rows.append(("error", (f"<code>{_e(_ref_text(err['statement']))}</code>: "
                              f"{_e(err['message'])}")))
    context = data.get("context") or {}
    if context:
        rows.append(("context", "<br>".join(
            f"<code>{_e(k)} = {_e(json.dumps(v))}</code>" for k, v in context.items()
        )))
    out = ['<table class="facts">']
    out.extend(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    out.append("</table>")
    missing = d.get("missing_context") or []
    if missing:
        flags = " ".join(f"<code>-c {_e(k)}=VALUE</code>" for k in missing)
        out.append(
            '<div class="hint"><b>The answer may depend on context the request did not give:'
            "</b> " + ", ".join(f"<code>{_e(k)}</code>" for k in missing)
            + f". Give it to settle the decision: {flags}.</div>"
        )
    return "\n".join(out)


def _legend() -> str:
    items = [
        ("#1e7a3c", "Allow that applies"), ("#b3261e", "Deny that applies"),
        ("#c98a00", "action matches, but a resource, principal or condition does not"),
        ("#d9dee4", "action does not match (skipped)"),
    ]
    spans = "".join(f'<span><i style="background:{c}"></i>{_e(t)}</span>' for c, t in items)
    return f'<p class="legend">{spans}</p>'


def _policy(policy: Mapping[str, Any], resource: str, document: Any) -> str:
    label = _TYPE_LABEL.get(policy["policy_type"], policy["policy_type"])
    level = f" (level {policy['level']})" if policy.get("level") is not None else ""
    out = [
        '<section class="policy">',
        (f"<h2>{_e(label)} <code>{_e(policy['name'])}</code>{_e(level)}: "
        f'<span class="verdict {_e(policy["verdict"])}">{_e(policy["verdict"])}</span></h2>'),
    ]
    if not policy.get("evaluated", True):
        out.append(f"<p>{_e(policy.get('note', ''))}</p>")
    statements = _document_statements(document)
    for s in policy["statements"]:
        source = statements[s["ref"]["index"]] if s["ref"]["index"] < len(statements) else None
        out.append(_statement(s, resource, source, evaluated=policy.get("evaluated", True)))
    out.append("</section>")
    return "\n".join(out)


def _document_statements(document: Any) -> Sequence[Any]:
    if not isinstance(document, Mapping):
        return ()
    stmts = document.get("Statement")
    if isinstance(stmts, Mapping):
        return (stmts,)
    return stmts if isinstance(stmts, list) else ()


def _kind(s: Mapping[str, Any], evaluated: bool) -> tuple[str, str]:
    if not evaluated or s["outcome"] == "not-evaluated":
        return "not-evaluated", "not evaluated"
    if s["outcome"] == "error":
        return "error", "error" + (" (applies: fail closed)" if s["applies"] else "")
    if s["applies"]:
        return ("denies", "denies") if s["effect"] == "Deny" else ("allows", "allows")
    if s["outcome"] == "action-mismatch":
        return "skipped", "skipped"
    return "fails", "does not apply"


def _statement(s: Mapping[str, Any], resource: str, source: Any, *, evaluated: bool) -> str:
    kind, tag = _kind(s, evaluated)
    ref = s["ref"]
    sid = f" ({_e(ref['sid'])})" if ref.get("sid") else ""
    out = [
        f'<article class="stmt {kind}" id="{_anchor(ref)}" data-outcome="{_e(s["outcome"])}">',
        (f'<div class="stmt-head"><span class="tag">{_e(tag)}</span>'
        f"Statement[{ref['index']}]{sid} {_e(s['effect'])}: "
        f"<span class=\"reason\">{_e(s['reason'])}</span></div>"),
    ]
    if kind not in ("skipped", "not-evaluated"):
        out.append(_checks(s, resource))
    if source is not None:
        shown = "" if kind in ("skipped", "not-evaluated") else " open"
        out.append(f"<details{shown}><summary>the statement as written</summary>"
                   f'<pre class="src">{_e(json.dumps(source, indent=2))}</pre></details>')
    out.append("</article>")
    return "\n".join(out)


def _verdict_cell(result: bool | None, yes: str = "matches", no: str = "no match") -> str:
    if result is None:
        return '<td class="na">error</td>'
    return f'<td class="ok">{_e(yes)}</td>' if result else f'<td class="no">{_e(no)}</td>'


def _checks(s: Mapping[str, Any], resource: str) -> str:
    rows: list[str] = []
    a = s["action"]
    patterns = ", ".join(
        f'<mark class="hit">{_e(p)}</mark>' if p == a.get("pattern") else _e(p)
        for p in a["patterns"]
    )
    if a["element"] == "Action":
        rows.append(f"<tr><th>Action</th>{_verdict_cell(a['matched'])}"
                    f"<td class=\"mono\">{patterns}</td></tr>")
    else:
        rows.append(f"<tr><th>NotAction</th>"
                    f"{_verdict_cell(a['matched'], 'not excluded', 'excluded')}"
                    f"<td class=\"mono\">{patterns}</td></tr>")
    r = s.get("resource")
    if r is not None:
        if r["element"] is None:
            rows.append('<tr><th>Resource</th><td class="ok">any</td>'
                        "<td>(none: applies to every resource)</td></tr>")
        for pc in r["patterns"]:
            seg = pc.get("failed_segment")
            if r["element"] == "NotResource":
                cell = _verdict_cell(
                    None if pc["matched"] is None else not pc["matched"],
                    "not excluded", "excludes the resource",
                )
            else:
                cell = _verdict_cell(pc["matched"])
            detail = f'<span class="mono">{_segmented(pc["pattern"], seg)}</span>'
            if seg and not pc["matched"]:
                detail += (f"<br>the <b>{_e(seg)}</b> segment differs from the request's "
                           f'<span class="mono">{_segmented(resource, seg)}</span>')
            rows.append(f"<tr><th>{_e(r['element'])}</th>{cell}<td>{detail}</td></tr>")
        if r.get("error"):
            rows.append(f"<tr><th>{_e(r['element'])}</th><td class=\"na\">error</td>"
                        f"<td>{_e(r['error'])}</td></tr>")
    p = s.get("principal")
    if p is not None:
        value = _e(json.dumps(p["value"]))
        note = f"<br>{_e(p['note'])}" if p.get("note") else ""
        rows.append(f"<tr><th>{_e(p['element'])}</th>{_verdict_cell(p['matched'])}"
                    f'<td><span class="mono">{value}</span>{note}</td></tr>')
    for c in s.get("conditions", []):
        request = ("(absent)" if c["request_values"] is None
                   else json.dumps(c["request_values"]))
        policy_values = json.dumps(c["policy_values"])
        failed = c["result"] is not True
        key = f'<mark class="miss">{_e(c["key"])}</mark>' if failed else _e(c["key"])
        req = f'<mark class="miss">{_e(request)}</mark>' if failed else _e(request)
        extra = "".join(
            f"<br>{_e(x)}" for x in (c.get("note"), c.get("error") and f"error: {c['error']}")
            if x
        )
        rows.append(
            f"<tr><th>Condition</th>{_verdict_cell(c['result'], 'true', 'false')}"
            f'<td><span class="mono">{_e(c["operator"])} {key}</span><br>'
            f'request <span class="mono">{req}</span>, policy '
            f'<span class="mono">{_e(policy_values)}</span>{extra}</td></tr>'
        )
    if s.get("missing_context"):
        keys = ", ".join(f"<code>{_e(k)}</code>" for k in s["missing_context"])
        rows.append(f'<tr><th>missing</th><td class="na">context</td>'
                    f"<td>reads keys the request lacks: {keys}</td></tr>")
    if s.get("error"):
        rows.append(f'<tr><th>error</th><td class="na">error</td><td>{_e(s["error"])}</td></tr>')
    return '<table class="checks">' + "".join(rows) + "</table>"


def _segmented(arn: str, segment: str | None) -> str:
    """The ARN, escaped, with ``segment`` marked."""
    if not segment or segment not in _SEGMENTS:
        return _e(arn)
    parts = arn.split(":", 5)
    i = _SEGMENTS.index(segment)
    if i >= len(parts):
        return _e(arn)
    return ":".join(
        f'<mark class="miss">{_e(part) or "&nbsp;"}</mark>' if j == i else _e(part)
        for j, part in enumerate(parts)
    )
