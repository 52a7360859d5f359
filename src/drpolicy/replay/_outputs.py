"""Writing result rows as JSONL, CSV or Parquet, chosen by the file's extension (private).

Workers encode their rows: in the calling process as bytes or columns (:func:`encode`,
:meth:`Writer.write`), in a worker process as a part file next to the output
(:func:`write_part`, :meth:`Writer.append_part`), so that the parent never receives or
re-parses rows: it appends JSONL and CSV parts with an in-kernel copy and hands Parquet parts
(Arrow IPC, memory-mapped) to the Parquet writer, in input order.
"""

from __future__ import annotations

import csv
import errno
import importlib
import io
import json
import os
import shutil
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


def write_part(rows: Sequence[Sequence[Any]], fmt: str, path: Path) -> None:
    """Write ``rows`` to the part file ``path`` for :meth:`Writer.append_part`: the encoded
    bytes (JSONL, CSV) or an Arrow IPC stream of one table (Parquet)."""
    if fmt != "parquet":
        path.write_bytes(encode(rows, fmt))
        return
    pa = pyarrow()
    table = _table(pa, encode(rows, fmt))
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)


def _table(pa: Any, columns: Any) -> Any:
    schema = parquet_schema()
    return pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(columns, schema)],
                                schema=schema)


def _write_all(f: Any, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[f.write(view):]


_NO_KERNEL_COPY: Final = frozenset({errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP,
                                    errno.EBADF, errno.EPERM})


def _append(dst: Any, path: Path) -> None:
    """Append the file ``path`` to the unbuffered file ``dst``: ``copy_file_range`` (the
    kernel copies, nothing passes through Python), else an ordinary copy."""
    with path.open("rb", buffering=0) as src:
        remaining = os.fstat(src.fileno()).st_size
        copy = getattr(os, "copy_file_range", None)
        try:
            while copy is not None and remaining > 0:
                n = copy(src.fileno(), dst.fileno(), remaining)
                if n == 0:
                    break
                remaining -= n
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
        # what the kernel did not copy (no copy_file_range, or refused): both offsets moved
        shutil.copyfileobj(src, dst)


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
            # unbuffered: batches are large, and parts are appended at the descriptor's offset
            self._file = self.path.open("wb", buffering=0)
            if self.fmt == "csv":
                _write_all(self._file, (",".join(RESULT_COLUMNS) + "\n").encode("utf-8"))

    def write(self, payload: Any) -> None:
        """Append one encoded batch."""
        if self._parquet is not None:
            pa = pyarrow()
            if payload and payload[0]:
                self._parquet.write_table(_table(pa, payload))
        elif self._file is not None:
            _write_all(self._file, payload)

    def append_part(self, path: Path) -> None:
        """Append one part file made by :func:`write_part` (in a worker)."""
        if self._parquet is not None:
            pa = pyarrow()
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_stream(source).read_all()
            if table.num_rows:
                self._parquet.write_table(table)
        elif self._file is not None:
            _append(self._file, path)

    def close(self) -> None:
        """Finish the file (Parquet footers, flushes)."""
        if self._parquet is not None:
            self._parquet.close()
        if self._file is not None:
            self._file.close()
