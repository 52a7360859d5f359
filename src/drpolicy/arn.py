"""Amazon Resource Names: parsing and validation.

An ARN is ``arn:partition:service:region:account-id:resource``; it is split on the **first
five** colons only, so the resource part may itself contain ``:`` and ``/``
(``arn:aws:logs:us-east-1:1:log-group:/aws/x:log-stream:y``). See the IAM User Guide,
"Identify AWS resources with Amazon Resource Names (ARNs)".
"""

from __future__ import annotations

import attrs

from drpolicy.errors import InvalidArnError

__all__ = ["Arn", "parse_arn"]


def __dir__() -> list[str]:
    return __all__


@attrs.frozen(slots=True)
class Arn:
    """A parsed ARN.

    Attributes:
        partition: ``aws``, ``aws-cn``, ``aws-us-gov`` ...
        service: the service namespace (``s3``, ``iam`` ...).
        region: the region, often empty (``arn:aws:s3:::bucket``).
        account: the 12-digit account ID, ``aws`` for AWS-owned resources, or empty.
        resource: everything after the fifth colon (``type/id``, ``type:id`` or ``id``).
    """

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def split_arn(text: str) -> list[str] | None:
    """Split ``text`` into its six ARN fields, or return ``None`` if it is not ARN-shaped."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


def parse_arn(text: object) -> Arn:
    """Parse and validate an ARN as AWS generates them.

    Args:
        text: the ARN string.

    Returns:
        The parsed :class:`Arn`.

    Raises:
        InvalidArnError: ``text`` is not a string, has fewer than six colon-separated fields,
            has an empty partition or service, or has upper-case letters in the partition,
            service or region (AWS always writes those in lower case).

    >>> parse_arn("arn:aws:logs:us-east-1:123456789012:log-group:/aws/x:log-stream:y").resource
    'log-group:/aws/x:log-stream:y'
    """
    if not isinstance(text, str):
        raise InvalidArnError(text, f"expected a string, got {type(text).__name__}")
    parts = split_arn(text)
    if parts is None:
        raise InvalidArnError(
            text, "expected `arn:partition:service:region:account-id:resource`"
        )
    _, partition, service, region, account, resource = parts
    if not partition or not service:
        raise InvalidArnError(text, "the partition and service must not be empty")
    for name, value in (("partition", partition), ("service", service), ("region", region)):
        if value != value.lower():
            raise InvalidArnError(text, f"the {name} must be lower case, as AWS writes it")
        if "*" in value or "?" in value:
            raise InvalidArnError(text, f"a request ARN cannot contain wildcards in its {name}")
    return Arn(partition, service, region, account, resource)
