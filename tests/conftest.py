"""Shared test configuration: hypothesis profiles.

Profiles (select one with the ``HYPOTHESIS_PROFILE`` environment variable):

* ``dev`` (the default outside CI): a small budget, so a plain ``pytest`` stays quick;
* ``ci`` (the default when the ``CI`` environment variable is set, as in ``.ci/run``): the
  budget every property was tuned for; no deadline (timings on shared CI machines are noise,
  and no unit test may assert on time);
* ``thorough``: many more examples, for a local or nightly run:
  ``HYPOTHESIS_PROFILE=thorough python -m pytest tests/property``;
* ``debug``: like ``ci`` but verbose, printing every generated example.

Expensive tests scale their own ``max_examples`` from the active profile
(``tests/property/iamgen.py``, ``examples()``), so ``thorough`` multiplies every budget.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings

# `import reference` from tests/ and tests/property/ alike.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

_COMMON = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    # no "explain" phase: on these tests it costs minutes and adds little to a shrunk example
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
}

settings.register_profile("dev", max_examples=15, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("ci", max_examples=60, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("thorough", max_examples=2000, **_COMMON)  # type: ignore[arg-type]
settings.register_profile(
    "debug", max_examples=60, verbosity=Verbosity.verbose, **_COMMON  # type: ignore[arg-type]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)
