"""Writing result rows as JSONL, CSV or Parquet, chosen by the file's extension (private).

Workers encode their rows (:func:`encode`); the writer only appends what they made, in input
order.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from drpolicy.errors import MissingDependencyError, RequestError
from drpolicy.replay._evaluate import RESULT_COLUMNS


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_dumps_bytes: Callable[[Any], bytes]
try:  # optional, faster; both write the same JSON text for these rows
    import orjson

    _dumps_bytes = orjson.dumps
except ImportError:  # pragma: no cover - the replay extra installs it
    _dumps_bytes = _json_bytes

FORMATS: Final = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
                  ".parquet": "parquet"}
"""Output file extension -> format."""

_LIST_COLUMNS: Final = frozenset({"reasons", "proposed_reasons"})


def format_of(path: str | Path) -> str:
    """The output format of ``path`` by its extension.

    Raises:
        RequestError: an extension not in :data:`FORMATS`.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise RequestError(f"cannot write `{path}`: the output is chosen by extension, one of"
                           f" {', '.join(FORMATS)}")
    return FORMATS[suffix]


def as_dict(row: Sequence[Any]) -> dict[str, Any]:
    """A result row as a mapping (lists for the statement columns)."""
    out = dict(zip(RESULT_COLUMNS, row))
    for key in _LIST_COLUMNS:
        if out[key] is not None:
            out[key] = list(out[key])
    return out


def encode(rows: Sequence[Sequence[Any]], fmt: str) -> Any:
    """Rows in the form the writer appends: bytes (JSONL, CSV) or columns (Parquet)."""
    if fmt == "jsonl":
        columns = RESULT_COLUMNS
        return b"".join(_dumps_bytes(dict(zip(columns, r))) + b"\n" for r in rows)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for r in rows:
            w.writerow(["; ".join(v) if isinstance(v, tuple) else ("" if v is None else v)
                        for v in r])
        return buf.getvalue().encode("utf-8")
    if fmt == "parquet":
        return [[r[i] if name not in _LIST_COLUMNS or r[i] is None else list(r[i])
                 for r in rows] for i, name in enumerate(RESULT_COLUMNS)]
    raise RequestError(f"unknown output format `{fmt}`")  # pragma: no cover


def parquet_schema() -> Any:
    """The Arrow schema of the result rows."""
    pa = pyarrow()
    return pa.schema([
        (name, pa.list_(pa.string()) if name in _LIST_COLUMNS else pa.string())
        for name in RESULT_COLUMNS
    ])


def pyarrow() -> Any:
    """``pyarrow``, or MissingDependencyError."""
    try:
        pa = importlib.import_module("pyarrow")
        importlib.import_module("pyarrow.parquet")
    except ImportError as exc:
        raise MissingDependencyError(
            "Parquet output needs pyarrow: pip install 'drpolicy[replay]'"
        ) from exc
    return pa


class Writer:
    """Appends encoded rows to ``path`` in its format (nothing when ``path`` is ``None``)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path)
        self.fmt = None if path is None else format_of(path)
        self._file: Any = None
        self._parquet: Any = None
        if self.path is None:
            return
        if self.fmt == "parquet":
            pa = pyarrow()
            self._schema = parquet_schema()
            self._parquet = pa.parquet.ParquetWriter(str(self.path), self._schema)
        else:
            self._file = self.path.open("wb")
            if self.fmt == "csv":
                self._file.write((",".join(RESULT_COLUMNS) + "\n").encode("utf-8"))

    def write(self, payload: Any) -> None:
        """Append one encoded batch."""
        if self._parquet is not None:
            pa = pyarrow()
            if payload and payload[0]:
                self._parquet.write_table(pa.Table.from_arrays(
                    [pa.array(col, type=f.type) for col, f in zip(payload, self._schema)],
                    schema=self._schema,
                ))
        elif self._file is not None:
            self._file.write(payload)

    def close(self) -> None:
        """Finish the file (Parquet footers, flushes)."""
        if self._parquet is not None:
            self._parquet.close()
        if self._file is not None:
            self._file.close()
