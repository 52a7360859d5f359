"""check_no_public_access (placeholder while the identity checks are built)."""
from __future__ import annotations
from typing import Any
RESOURCE_TYPES: tuple[str, ...] = ()
def check_no_public_access(resource_policy: Any, *, resource_type: str) -> Any:
    """Not yet."""
    raise NotImplementedError
