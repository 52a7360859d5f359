"""Load policies and whole accounts from where people keep them.

* :func:`load_policy_file`: one policy document from a JSON file (also the saved output of
  ``aws iam get-policy-version`` or ``aws iam get-role-policy``/``get-user-policy``/
  ``get-group-policy``).
* :func:`load_policy_dir`: every ``*.json`` file of a folder, by file stem.
* :func:`load_account`: the output of ``aws iam get-account-authorization-details``: users,
  groups, roles, their inline and attached managed policies, permissions boundaries and trust
  policies, as an :class:`Account` whose roles are ordinary :class:`~drpolicy.Role` objects and
  whose users are :class:`User` objects, both answering ``is_allowed``/``evaluate``.

A mapping of policy name to document needs no loader: pass it to
:meth:`drpolicy.Role.from_policies` or :meth:`User.from_policies`.

Everything that goes wrong while loading raises :class:`~drpolicy.errors.LoaderError`, whose
``source`` names the file or the entry of the export (``RoleDetailList[3].RolePolicyList[0]
.PolicyDocument``); when a policy document is malformed, the
:class:`~drpolicy.errors.PolicyParseError` listing every problem is the error's ``__cause__``
and its text is part of the message.

>>> account = load_account({"RoleDetailList": [{
...     "RoleName": "reader", "Path": "/", "Arn": "arn:aws:iam::111122223333:role/reader",
...     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
...         "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
...     "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17",
...         "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
...                        "Resource": "arn:aws:s3:::data/*"}]}}]}]})
>>> account.role("reader").is_allowed("s3:GetObject", "arn:aws:s3:::data/x.csv")
True
"""

from __future__ import annotations

# the loaders live in private modules by topic; this module is their public home
from drpolicy._loaders_account import Account, Group, User
from drpolicy._loaders_export import MissingManaged, load_account
from drpolicy._loaders_files import load_policy_dir, load_policy_file

__all__ = [
    "Account",
    "Group",
    "MissingManaged",
    "User",
    "load_account",
    "load_policy_dir",
    "load_policy_file",
]


def __dir__() -> list[str]:
    return __all__
