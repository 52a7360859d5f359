"""Decision time as policies grow: wildcard-heavy synthetic policies of 10 to 10,000 statements.

One group per request kind (``scale-nothing``, ``scale-last``, ``scale-resource``; see
``synthetic.py``), one benchmark per size: the compiled role is built outside the timed call
and cached for the session. The precompiled-regex baseline runs up to 1,000 statements for
comparison (it is linear: ``compare.py`` shows it at 10,000).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import synthetic
from engines import Workload, regex


@pytest.mark.parametrize("n", synthetic.SIZES)
@pytest.mark.parametrize("kind", synthetic.KINDS)
def bench_drpolicy_scaling(
    benchmark: Any, scaling: Callable[[str, int], Any], kind: str, n: int
) -> None:
    """drpolicy Role.is_allowed, no cache."""
    benchmark.group = f"scale-{kind}"
    _, r, role = scaling(kind, n)
    assert benchmark(role.is_allowed, r.action, r.resource, r.context) is r.expected


@pytest.mark.parametrize("n", [n for n in synthetic.SIZES if n <= 1000])
@pytest.mark.parametrize("kind", synthetic.KINDS)
def bench_regex_baseline_scaling(
    benchmark: Any, scaling: Callable[[str, int], Any], kind: str, n: int
) -> None:
    """The precompiled-regex baseline on the same policies."""
    benchmark.group = f"scale-{kind}"
    policy_set, r, _ = scaling(kind, n)
    decide = regex.build(Workload(f"{kind}-{n}", policy_set, [r]))
    assert benchmark(decide, r) is r.expected
