"""The documentation's examples are tests: every docs/*.md page and every public module's
docstrings are run as doctests, so the docs cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import drpolicy

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(drpolicy.__path__, "drpolicy.")
    if not name.endswith("__main__") and not name.endswith("pytest_plugin")
)


def test_docs_exist() -> None:
    assert {p.name for p in DOCS} >= {
        "index.md", "semantics.md", "conditions.md", "evaluation.md", "catalog.md",
    }


@pytest.mark.parametrize("page", DOCS, ids=[p.name for p in DOCS])
def test_doc_page_examples(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # pages use paths relative to the repository root
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {page.name}"


@pytest.mark.parametrize("module", MODULES)
def test_module_docstring_examples(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    if module == "drpolicy.strategies":
        pytest.importorskip("hypothesis")
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {module}"


def test_entry_points_have_examples() -> None:
    """STYLE rule 10: the entry points carry a runnable example."""
    for name in ("is_allowed", "evaluate", "can_assume", "authorize", "load_policy", "explain"):
        doc = getattr(drpolicy, name).__doc__ or ""
        assert ">>>" in doc, f"drpolicy.{name} has no doctest example"
