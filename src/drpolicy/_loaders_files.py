"""Loading policy documents from JSON files and folders (:func:`load_policy_file`,
:func:`load_policy_dir`, re-exported and documented by :mod:`drpolicy.loaders`), and the
reading and parsing helpers the account loader shares."""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from drpolicy.errors import LoaderError, PolicyParseError
from drpolicy.model import Policy, PolicyType
from drpolicy.parser import _type_name, parse_policy

__all__ = ["load_policy_dir", "load_policy_file"]


# --------------------------------------------------------------------------------------
# Policy files and folders
# --------------------------------------------------------------------------------------


def load_policy_file(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    policy_type: PolicyType | None = None,
) -> Policy:
    """Load one policy document from a JSON file.

    The file holds a policy document, or what ``aws iam get-policy-version`` (the
    ``PolicyVersion.Document``) or ``aws iam get-role-policy`` / ``get-user-policy`` /
    ``get-group-policy`` (the ``PolicyDocument``) print; documents may be JSON objects or
    URL-encoded JSON strings, as the raw IAM API returns them.

    Args:
        path: the file.
        name: the name decisions and errors use for the policy; defaults to the file stem
            (``policies/DataLakeRead.json`` -> ``DataLakeRead``).
        policy_type: when given, also check that policy type's structural rules
            (``"identity"``: no ``Principal``; ``"trust"``: a ``Principal`` and no
            ``Resource``; ...).

    Raises:
        LoaderError: the file cannot be read or holds no valid policy; for a malformed
            policy the :class:`~drpolicy.errors.PolicyParseError` is the ``__cause__``.
    """
    file = _as_path(path, "policy file")
    _check_policy_type(policy_type)
    raw = _read(file)
    policy_name = file.stem if name is None else name
    where = str(file)
    source: Any = raw
    try:
        decoded = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        decoded = None  # the parser reports it, with its own message
    if isinstance(decoded, Mapping) and "Statement" not in decoded:
        inner = decoded.get("PolicyVersion")
        if isinstance(inner, Mapping) and "Document" in inner:
            source, where = inner["Document"], f"{file}: PolicyVersion.Document"
        elif "PolicyDocument" in decoded:
            source, where = decoded["PolicyDocument"], f"{file}: PolicyDocument"
    if not isinstance(source, bytes):
        source = _document_source(source, where)
    return _parse(source, policy_name, policy_type, where)


def load_policy_dir(
    path: str | os.PathLike[str], *, policy_type: PolicyType | None = None
) -> dict[str, Policy]:
    """Load every ``*.json`` file of a folder (not its subfolders), in file-name order.

    Args:
        path: the folder.
        policy_type: as for :func:`load_policy_file`, applied to every file.

    Returns:
        A mapping of file stem to policy (each policy is named by its file stem). An empty
        folder gives an empty mapping.

    Raises:
        LoaderError: the folder does not exist or a file cannot be loaded (the first failing
            file, in name order, is reported).
    """
    folder = _as_path(path, "policy folder")
    _check_policy_type(policy_type)
    if not folder.exists():
        raise LoaderError(str(folder), "no such directory")
    if not folder.is_dir():
        raise LoaderError(str(folder), "not a directory (use load_policy_file for one file)")
    try:
        files = sorted(
            (f for f in folder.iterdir() if f.suffix == ".json" and f.is_file()),
            key=lambda f: f.name,
        )
    except OSError as exc:
        raise LoaderError(str(folder), f"cannot list the directory: {exc.strerror}") from None
    return {f.stem: load_policy_file(f, policy_type=policy_type) for f in files}


def _as_path(path: object, what: str) -> Path:
    if isinstance(path, (str, os.PathLike)):
        try:
            return Path(os.fspath(path))
        except TypeError:
            pass
    raise LoaderError(what, f"expected a path, not {type(path).__name__}")


def _check_policy_type(policy_type: object) -> None:
    if policy_type is not None and policy_type not in get_args(PolicyType):
        raise LoaderError(
            "policy_type",
            f"unknown policy type `{policy_type}`: expected one of"
            f" {', '.join(get_args(PolicyType))}",
        )


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise LoaderError(str(file), "no such file") from None
    except IsADirectoryError:
        raise LoaderError(str(file), "is a directory (use load_policy_dir for a folder)") from None
    except OSError as exc:
        raise LoaderError(str(file), f"cannot read: {exc.strerror or exc}") from None


def _document_source(value: object, where: str) -> Any:
    """A policy document as the parser takes it: a mapping as is, a string as JSON text,
    URL-decoded first when it is URL-encoded (the raw IAM API's form)."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            return text
        try:
            decoded = urllib.parse.unquote(text, errors="strict")
        except UnicodeDecodeError as exc:
            raise LoaderError(where, f"URL-encoded text that is not UTF-8: {exc.reason}") from None
        if decoded.lstrip().startswith("{"):
            return decoded
        raise LoaderError(where, "a policy document string must be JSON or URL-encoded JSON")
    if value is None:
        raise LoaderError(where, "missing policy document")
    raise LoaderError(where, f"a policy document must be an object or a string, not {_kind(value)}")


def _parse(source: Any, name: str, policy_type: PolicyType | None, where: str) -> Policy:
    try:
        return parse_policy(source, name=name, policy_type=policy_type)
    except PolicyParseError as exc:
        raise LoaderError(where, str(exc)) from exc


def _kind(value: object) -> str:
    """The JSON type of ``value`` with its article, for messages (``an array``)."""
    name = _type_name(value)
    if name in ("boolean", "number", "string"):
        return f"a {name}"
    if name in ("array", "object"):
        return f"an {name}"
    return name
