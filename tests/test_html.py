"""``drpolicy explain --format html``: one decision as a self-contained page.

The structure is checked on the HTML text; the slow tier also renders the page in headless
Chromium (Debian's ``chromium``) and checks the screenshot shows the highlights. Without a
browser that test is skipped, unless ``DRPOLICY_REQUIRE_BROWSER`` is set (``.ci/run`` sets it,
so CI cannot skip it silently).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from drpolicy import Role, explain
from drpolicy._html import render_html
from drpolicy.cli import main

V = "2012-10-17"
POLICY = {
    "Version": V,
    "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents",
         "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:app:*"},
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::data/<team>/*"},
        {"Sid": "FromVpc", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}}},
        {"Sid": "Tagged", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "ml"}}},
    ],
}
ROLE = Role.from_policies("reader", {"reader": POLICY})


def page(action: str, resource: str, context: dict[str, Any] | None = None) -> str:
    e = explain(ROLE, action, resource, context)
    return render_html(e.to_json(), {("identity", "reader"): POLICY})


def articles(html: str) -> dict[str, str]:
    """Statement anchor -> the article's class list."""
    return {
        m["id"]: m["cls"]
        for m in re.finditer(r'<article class="stmt (?P<cls>[\w-]+)" id="(?P<id>[\w-]+)"', html)
    }


def test_page_is_self_contained() -> None:
    html = page("s3:GetObject", "arn:aws:s3:::data/<team>/x")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # loads nothing
    assert "<link" not in html


def test_statements_are_classed_by_what_they_did() -> None:
    html = page("s3:GetObject", "arn:aws:s3:::data/x/report.csv",
                {"aws:SourceVpc": "vpc-other"})
    assert articles(html) == {
        "s-identity-reader-0": "skipped",   # the action does not match
        "s-identity-reader-1": "fails",     # the resource does not match
        "s-identity-reader-2": "denies",    # the Deny applies
        "s-identity-reader-3": "fails",     # the condition key is absent
    }
    assert '<span class="badge ExplicitlyDenied">ExplicitlyDenied</span>' in html
    assert 'href="#s-identity-reader-2"' in html  # the deciding statement is linked


def test_failing_segment_is_marked() -> None:
    html = page("logs:PutLogEvents", "arn:aws:logs:eu-west-1:123456789012:log-group:app:x")
    article = html.split('id="s-identity-reader-0"')[1].split("</article>")[0]
    assert "the <b>region</b> segment differs" in article
    # both in the pattern and in the request ARN, the region is the marked segment
    assert article.count('<mark class="miss">us-east-1</mark>') == 1
    assert article.count('<mark class="miss">eu-west-1</mark>') == 1


def test_false_condition_is_marked_with_both_values() -> None:
    html = page("s3:GetObject", "arn:aws:s3:::elsewhere/x", {"aws:SourceVpc": "vpc-1a2b3c4d"})
    article = html.split('id="s-identity-reader-3"')[1].split("</article>")[0]
    assert '<td class="no">false</td>' in article
    assert '<mark class="miss">s3:ExistingObjectTag/team</mark>' in article
    assert '<mark class="miss">(absent)</mark>' in article and "[&quot;ml&quot;]" in article
    # the page says how to settle the missing key
    assert "<code>-c s3:ExistingObjectTag/team=VALUE</code>" in html


def test_text_is_escaped() -> None:
    html = page("s3:GetObject", "arn:aws:s3:::data/<team>/x")
    assert "<team>" not in html and "&lt;team&gt;" in html


def test_statement_sources_are_shown() -> None:
    html = page("s3:GetObject", "arn:aws:s3:::data/x/y")
    assert html.count('<pre class="src">') == 4
    assert "&quot;Sid&quot;: &quot;FromVpc&quot;" in html


def test_cli_format_html(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", "deepracer", "s3:GetObject", "arn:aws:s3:::other-bucket/m.tar.gz",
                 "--format", "html"])
    out = capsys.readouterr().out
    assert code == 1
    assert "<title>s3:GetObject on arn:aws:s3:::other-bucket/m.tar.gz: ImplicitlyDenied</title>" in out
    assert 'id="s-identity-AWSDeepRacerServiceRolePolicy-6"' in out
    assert "&quot;StringEqualsIgnoreCase&quot;" in out  # the catalog policy's source


def test_cli_json_and_html_agree(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explain", "lambda", "s3:GetObject", "arn:aws:s3:::other/x"]
    main([*args, "--json"])
    data = json.loads(capsys.readouterr().out)
    main([*args, "--format", "html"])
    html = capsys.readouterr().out
    assert html == render_html(data, _catalog_documents("lambda"))


def _catalog_documents(name: str) -> dict[tuple[str, str], Any]:
    from drpolicy import role

    return {("identity", p.name): p.to_json() for p in role(name).policies}


# --------------------------------------------------------------------------------------
# Rendered in a real browser (slow tier; CI sets DRPOLICY_REQUIRE_BROWSER)
# --------------------------------------------------------------------------------------


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of RGB colours of an 8-bit RGB/RGBA PNG (no imaging
    library needed)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours: set[tuple[int, int, int]] = set()
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        colours.update(tuple(line[i:i + 3]) for i in range(0, stride, bpp))  # type: ignore[misc]
        prev = line
    return width, height, colours


@pytest.mark.slow  # starts a browser
def test_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        if os.environ.get("DRPOLICY_REQUIRE_BROWSER"):
            pytest.fail("DRPOLICY_REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    html = page("s3:GetObject", "arn:aws:s3:::data/x/report.csv", {"aws:SourceVpc": "vpc-other"})
    target = tmp_path / "decision.html"
    target.write_text(html, encoding="utf-8")
    shot = tmp_path / "decision.png"
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,1400",
        "--hide-scrollbars",
    ]
    proc = subprocess.run([browser, *flags, f"--screenshot={shot}", target.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    width, height, colours = _png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    assert (0xB3, 0x26, 0x1E) in colours  # the ExplicitlyDenied badge and the Deny's border
    assert (0xC9, 0x8A, 0x00) in colours  # the border of statements that do not apply
    assert (0xFB, 0xEC, 0xEB) in colours  # the applying Deny's background
    dom = subprocess.run([browser, *flags, "--dump-dom", target.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert articles(dom.stdout) == articles(html)  # the browser parsed every statement
