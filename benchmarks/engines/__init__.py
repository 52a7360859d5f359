"""Engine adapters: every engine answers the same :class:`~workload.Request` objects.

Each adapter module defines ``NAME`` (short key), ``LABEL`` (for reports), ``version()``
(raises :class:`EngineUnavailable` when the engine cannot be imported here) and
``build(workload) -> decide``: the setup step (parsing, compiling, translating; never timed)
returning ``decide(request) -> bool``, the only thing that is timed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from workload import PolicySet, Request

__all__ = [
    "ENGINE_MODULES",
    "Decide",
    "Engine",
    "EngineUnavailable",
    "Workload",
    "load_engines",
]

Decide = Callable[[Request], bool]


class EngineUnavailable(RuntimeError):
    """The engine cannot be imported or run in this environment (the message says why)."""


@dataclasses.dataclass(frozen=True)
class Workload:
    """What an engine is built from.

    Attributes:
        name: ``deepracer`` or ``synthetic-<kind>-<n>``.
        policies: role name -> permission policy documents.
        requests: the requests that will be asked (engines may prepare for them outside the
            timed call, e.g. Cedar's entity store; they must still answer any other request).
        cedar: a hand-written Cedar translation of ``policies``, if there is one.
    """

    name: str
    policies: PolicySet
    requests: list[Request]
    cedar: Path | None = None


@dataclasses.dataclass(frozen=True)
class Engine:
    """A loaded engine adapter."""

    name: str
    label: str
    version: str
    build: Callable[[Workload], Decide]
    around: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    """Wraps checking and timing (e.g. switches drpolicy's decision cache off)."""
    note: str = ""


ENGINE_MODULES = (
    "engines.drpolicy_engine",
    "engines.naive",
    "engines.regex",
    "engines.pmapper",
    "engines.moto_engine",
    "engines.cedar",
    "engines.floor",
)


def load_engines() -> Iterator[Engine | tuple[str, str]]:
    """Every engine, or ``(name, reason)`` for one that is unavailable here."""
    for module_name in ENGINE_MODULES:
        module = importlib.import_module(module_name)
        engines = getattr(module, "ENGINES", None)
        if engines is None:
            engines = [module]
        for spec in engines:
            try:
                version = spec.version()
            except EngineUnavailable as exc:
                yield (spec.NAME, str(exc))
                continue
            yield Engine(
                name=spec.NAME,
                label=spec.LABEL,
                version=version,
                build=spec.build,
                around=getattr(spec, "around", contextlib.nullcontext),
                note=getattr(spec, "NOTE", ""),
            )
