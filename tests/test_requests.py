"""Request checks (drpolicy._requests): what they remember never lets a bad request through.

``check_context`` remembers the key tuples it has checked and ``check_action`` the spellings
that passed; both memos only skip work already done, so every bad input still fails, on every
call, with the message the full check gives.
"""

from __future__ import annotations

from typing import Any

import pytest

import drpolicy
from drpolicy._requests import (
    _checked_keys,
    check_action,
    check_context,
    normalise_context,
    valid_actions,
)
from drpolicy.errors import RequestError

ROLE = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a"}}},
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
]}])
OBJ = "arn:aws:s3:::b/k"


def test_a_remembered_key_tuple_still_checks_every_value() -> None:
    keys = ("aws:PrincipalTag/team", "aws:SourceIp")
    check_context(dict.fromkeys(keys, "x"))
    assert keys in _checked_keys
    for bad in (1.5, None, {"a": "b"}, ["ok", 3.0]):
        with pytest.raises(RequestError, match="must be a string"):
            check_context(dict(zip(keys, ["x", bad])))
        # the yes/no path (no condition read for s3:PutObject) refuses it too
        with pytest.raises(RequestError):
            ROLE.is_allowed("s3:PutObject", OBJ, dict(zip(keys, ["x", bad])))
    # booleans and integers are accepted as their JSON text, as normalise_context does
    check_context(dict(zip(keys, [True, 3])))
    assert normalise_context(dict(zip(keys, [True, 3]))) == {
        "aws:principaltag/team": ("true",), "aws:sourceip": ("3",)
    }


@pytest.mark.parametrize("context", [
    {"aws:SourceIp": "1", "AWS:SOURCEIP": "2"},  # the same key in two cases
    {"": "x", "k": "y"},
    {1: "x", "k": "y"},
])
def test_bad_keys_fail_on_every_call(context: dict[Any, Any]) -> None:
    for _ in range(3):
        with pytest.raises(RequestError):
            check_context(context)
        with pytest.raises(RequestError):
            ROLE.is_allowed("s3:PutObject", OBJ, context)
    assert tuple(context) not in _checked_keys


def test_a_key_that_subclasses_str_is_a_plain_key() -> None:
    class Key(str):
        pass

    context = {Key("aws:PrincipalTag/team"): "a"}
    check_context(context)
    assert normalise_context(context) == {"aws:principaltag/team": ("a",)}
    assert type(next(iter(normalise_context(context)))) is str
    assert ROLE.is_allowed("s3:GetObject", OBJ, context) is True
    assert ROLE.is_allowed("s3:GetObject", OBJ, {Key("aws:PrincipalTag/team"): "b"}) is False


def test_check_action_remembers_only_valid_plain_strings() -> None:
    assert check_action("S3:GetObject") == "s3:getobject"
    assert valid_actions["S3:GetObject"] == "s3:getobject"
    for bad in ("s3:Get*", "s3 GetObject", "s3:", "GetObject", "s3:Get\x00"):
        for _ in range(2):
            with pytest.raises(RequestError):
                check_action(bad)
        assert bad not in valid_actions

    class Action(str):
        pass

    assert check_action(Action("S3:PutObject")) == "s3:putobject"
    assert not any(type(k) is not str for k in valid_actions)
    with pytest.raises(RequestError):
        check_action(3)
