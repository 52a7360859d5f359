"""Reading events: files and folders -> bounded tasks -> mapped events (private).

The reading process only cuts the input into tasks (a whole delivered CloudTrail file, a
byte range of a large uncompressed file of lines, a block of a large gzipped one, a Parquet row
group, a batch of CSV rows); JSON decoding and mapping happen in
the worker that evaluates the task, so memory stays bounded by the task size times the number
of tasks in flight.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import importlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final

from drpolicy.errors import LoaderError, MissingDependencyError
from drpolicy.replay._mapping import Request, Unmapped, map_record, outcome_of

Task = tuple[Any, ...]
"""``(kind, origin, first index, payload)``: see :func:`tasks`."""

EXTENSIONS: Final = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz",
                     ".csv", ".csv.gz", ".parquet")
"""The file names a folder walk picks up."""

WHOLE_FILE_MAX: Final = 16 * 1024 * 1024
"""Files up to this size (on disk) are one task; larger ones are streamed in blocks."""

BLOCK: Final = 4 * 1024 * 1024
"""Bytes of lines (decompressed) per task when a file is streamed."""

ROWS: Final = 20_000
"""Rows per task for CSV tables."""

_fast_loads: Callable[[bytes | str], Any]
try:  # optional: several times faster than json for CloudTrail's large records
    import orjson

    _fast_loads = orjson.loads
except ImportError:  # pragma: no cover - the replay extra installs it
    _fast_loads = json.loads

_RECORDS_HEAD: Final = re.compile(rb'^\s*\{\s*"Records"\s*:\s*\[')
_TABLE_COLUMNS: Final = ("principal", "action", "resource")


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The input files: files as given, folders walked (sorted, hidden entries and
    ``CloudTrail-Digest`` folders skipped, only :data:`EXTENSIONS`).

    Raises:
        LoaderError: a path does not exist, or a folder holds no event files.
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            out.append(path)
            continue
        if not path.is_dir():
            raise LoaderError(str(path), "no such file or folder")
        found: list[Path] = []
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and d != "CloudTrail-Digest")
            found.extend(Path(root) / f for f in sorted(files)
                         if not f.startswith(".") and f.lower().endswith(EXTENSIONS))
        if not found:
            raise LoaderError(str(path), f"no event files ({', '.join(EXTENSIONS)}) in the folder")
        out.extend(found)
    return out


def _open(path: Path) -> IO[bytes]:
    raw = path.open("rb")
    head = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _read(path: Path) -> bytes:
    with _open(path) as f:
        try:
            return f.read()
        except (OSError, EOFError) as exc:
            raise LoaderError(str(path), f"cannot read: {exc}") from exc


def _kind(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "lines"
    with _open(path) as f:
        try:
            head = f.read(4096)
        except (OSError, EOFError) as exc:
            raise LoaderError(str(path), f"cannot read: {exc}") from exc
    if _RECORDS_HEAD.match(head):
        return "records"
    first = head.split(b"\n", 1)[0]
    if b"\n" in head and first.strip():
        try:
            if isinstance(_fast_loads(first), dict):
                return "lines"  # one event per line
        except ValueError:
            pass
    return "records"  # one JSON document: read whole, must hold Records (or be one event)


def tasks(files: Iterable[Path]) -> Iterator[tuple[Task, int]]:
    """``(task, bytes on disk it covers)`` for every file, in order.

    Raises:
        LoaderError: a file cannot be read, is not UTF-8, or is not an event file.
    """
    for path in files:
        try:
            yield from _file_tasks(path)
        except UnicodeDecodeError as exc:
            raise LoaderError(str(path), f"not UTF-8 text: {exc}") from exc


def _file_tasks(path: Path) -> Iterator[tuple[Task, int]]:
    size = path.stat().st_size
    kind = _kind(path)
    origin = str(path)
    if kind == "parquet":
        yield from _parquet_tasks(path, size)
    elif kind == "csv":
        yield from _csv_tasks(path, size)
    elif size <= WHOLE_FILE_MAX:
        yield (kind + "-file", origin, 0, origin), size
    elif kind == "lines" and not _gzipped(path):
        yield from _range_tasks(path, size)
    elif kind == "lines":
        yield from _line_tasks(path, size)
    else:
        yield from _record_tasks(path, size)


def _gzipped(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _range_tasks(path: Path, size: int) -> Iterator[tuple[Task, int]]:
    """A large uncompressed file of lines: byte ranges of about BLOCK that end at a line's
    end. The worker reads its range itself; this process only finds the cuts and counts the
    lines before each (for the ``file:line`` of events without an ID)."""
    origin, line, start, offset = str(path), 0, 0, 0
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            last = block.rfind(b"\n")
            if last >= 0:
                end = offset + last + 1
                yield ("lines-range", origin, line, (start, end)), end - start
                line += block.count(b"\n", 0, last + 1)  # a range's earlier blocks have none
                start = end
            offset += len(block)
    if start < offset:
        yield ("lines-range", origin, line, (start, offset)), offset - start


def _line_tasks(path: Path, size: int) -> Iterator[tuple[Task, int]]:
    origin, line, done = str(path), 0, 0
    with _open(path) as f:
        carry = b""
        while True:
            block = f.read(BLOCK)
            if not block:
                break
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            on_disk = _progress(f, size) - done
            done += on_disk
            yield ("lines", origin, line, block[:cut]), on_disk
            line += block.count(b"\n", 0, cut)
        if carry.strip():
            yield ("lines", origin, line, carry), size - done


def _progress(f: IO[bytes], size: int) -> int:
    raw = getattr(f, "fileobj", f)
    try:
        return min(int(raw.tell()), size)
    except (OSError, ValueError):  # pragma: no cover - unseekable input
        return 0


def _record_tasks(path: Path, size: int) -> Iterator[tuple[Task, int]]:
    """A large ``{"Records": [...]}`` file: each record's text, in batches of ~BLOCK."""
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")()  # a block may end inside a character
    origin, index, done = str(path), 0, 0
    with _open(path) as f:
        text = utf8.decode(f.read(BLOCK))
        m = re.match(r'\s*\{\s*"Records"\s*:\s*\[\s*', text)
        if m is None:
            raise LoaderError(origin, "not a CloudTrail log file (a large JSON document whose"
                                      " first key is not Records)")
        pos, batch, batch_size, eof = m.end(), [], 0, False

        def refill() -> None:
            nonlocal text, pos, eof
            raw = f.read(BLOCK)
            eof = not raw
            text, pos = text[pos:] + utf8.decode(raw, final=eof), 0

        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(text) - 1 and not eof:  # the next record may start in the next block
                refill()
                continue
            if text.startswith("]", pos):
                break
            try:
                _, end = decoder.raw_decode(text, pos)
            except ValueError as exc:
                if eof:
                    raise LoaderError(origin, f"invalid JSON at record {index}: {exc}") from exc
                refill()  # a record cut by the block boundary
                continue
            batch.append(text[pos:end])
            batch_size += end - pos
            index += 1
            pos = end
            if batch_size >= BLOCK:
                on_disk = _progress(f, size) - done
                done += on_disk
                yield ("texts", origin, index - len(batch), batch), on_disk
                batch, batch_size = [], 0
    if batch:
        yield ("texts", origin, index - len(batch), batch), size - done


def _parquet_tasks(path: Path, size: int) -> Iterator[tuple[Task, int]]:
    pq = _pyarrow_parquet()
    groups = pq.ParquetFile(str(path)).metadata.num_row_groups
    for g in range(groups):
        yield ("parquet", str(path), g, None), size // max(groups, 1)


def _csv_tasks(path: Path, size: int) -> Iterator[tuple[Task, int]]:
    origin, n = str(path), 0
    with _open(path) as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        _check_columns(reader.fieldnames or (), origin)
        batch: list[dict[str, Any]] = []
        for row in reader:
            batch.append(row)
            if len(batch) >= ROWS:
                yield ("rows", origin, n, batch), 0
                n += len(batch)
                batch = []
        yield ("rows", origin, n, batch), size


def _check_columns(columns: Iterable[str], origin: str) -> None:
    missing = [c for c in _TABLE_COLUMNS if c not in set(columns)]
    if missing:
        raise LoaderError(origin, f"a request table needs the columns principal, action,"
                                  f" resource (and optionally context, event_id, outcome);"
                                  f" missing {', '.join(missing)}")


def _pyarrow_parquet() -> Any:
    try:
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError as exc:
        raise MissingDependencyError(
            "Parquet needs pyarrow: pip install 'drpolicy[replay]'"
        ) from exc
    return pq


# --------------------------------------------------------------------------------------
# Inside the worker: a task -> (mapped event, event time) pairs
# --------------------------------------------------------------------------------------


def events(task: Task) -> Iterator[tuple[Request | Unmapped, str]]:
    """Decode and map the events of one task (in the worker).

    Raises:
        LoaderError: the task's file is not valid JSON, UTF-8 or an event file.
    """
    try:
        yield from _events(task)
    except UnicodeDecodeError as exc:
        raise LoaderError(task[1], f"not UTF-8 text: {exc}") from exc


def _events(task: Task) -> Iterator[tuple[Request | Unmapped, str]]:
    kind, origin, first, payload = task
    if kind == "records-file":
        yield from _records(_loads(_read(Path(payload)), origin), origin)
    elif kind == "lines-file":
        yield from _lines(_read(Path(payload)), origin, 0)
    elif kind == "lines":
        yield from _lines(payload, origin, first)
    elif kind == "lines-range":
        start, end = payload
        try:
            with Path(origin).open("rb") as f:
                f.seek(start)
                data = f.read(end - start)
        except OSError as exc:
            raise LoaderError(origin, f"cannot read: {exc}") from exc
        yield from _lines(data, origin, first)
    elif kind == "texts":
        for i, text in enumerate(payload, first):
            yield _mapped(_fast_loads(text), f"{origin}#{i}")
    elif kind == "parquet":
        parquet = _pyarrow_parquet().ParquetFile(origin)
        table = parquet.read_row_group(first)
        _check_columns(table.column_names, origin)
        offset = sum(parquet.metadata.row_group(g).num_rows for g in range(first))
        for i, row in enumerate(table.to_pylist(), offset):
            yield _table_row(row, f"{origin}:{i + 1}")
    elif kind == "rows":
        for i, row in enumerate(payload, first):
            yield _table_row(row, f"{origin}:{i + 2}")  # +1 header, +1 one-based
    else:  # pragma: no cover - tasks() makes only the kinds above
        raise LoaderError(origin, f"unknown task kind {kind}")


def _records(data: Any, origin: str) -> Iterator[tuple[Request | Unmapped, str]]:
    records = data.get("Records") if isinstance(data, dict) else None
    if isinstance(data, dict) and records is None and "eventSource" in data:
        records = [data]  # a single event
    if not isinstance(records, list):
        raise LoaderError(origin, "not a CloudTrail log file (no top-level Records list)")
    for i, record in enumerate(records):
        yield _mapped(record, f"{origin}#{i}")


def _loads(data: bytes, origin: str) -> Any:
    try:
        return _fast_loads(data)
    except ValueError as exc:
        raise LoaderError(origin, f"invalid JSON: {exc}") from exc


def _lines(data: bytes, origin: str, first: int) -> Iterator[tuple[Request | Unmapped, str]]:
    for n, line in enumerate(data.split(b"\n"), first + 1):
        if not line.strip():
            continue
        where = f"{origin}:{n}"
        try:
            value = _fast_loads(line)
        except ValueError as exc:
            yield Unmapped(where, "", "", "not-a-record", f"invalid JSON: {exc}", "unknown"), ""
            continue
        if isinstance(value, Mapping) and "eventSource" not in value and "detail" not in value \
                and all(c in value for c in _TABLE_COLUMNS):
            yield _table_row(value, where)
        else:
            yield _mapped(value, where)


def _mapped(record: Any, fallback_id: str) -> tuple[Request | Unmapped, str]:
    if type(record) is dict and type(record.get("detail")) is dict:
        event_time = record["detail"].get("eventTime")
    else:
        event_time = record.get("eventTime") if type(record) is dict else None
    return map_record(record, fallback_id), event_time if isinstance(event_time, str) else ""


def _table_row(row: Mapping[str, Any], where: str) -> tuple[Request | Unmapped, str]:
    """A request-table row: principal, action, resource, context (JSON object), and
    optionally event_id and outcome (``success``/``denied``/``error``, or an errorCode)."""
    event_id = row.get("event_id") or where
    principal, action, resource = row.get("principal"), row.get("action"), row.get("resource")
    outcome = _table_outcome(row.get("outcome"))
    if not all(isinstance(v, str) and v for v in (principal, action, resource)):
        return Unmapped(str(event_id), str(principal or ""), str(action or ""), "malformed",
                        "principal, action and resource must be non-empty strings",
                        outcome), ""
    assert isinstance(principal, str) and isinstance(action, str) and isinstance(resource, str)
    raw = row.get("context")
    context: Any = {}
    if isinstance(raw, str) and raw.strip():
        try:
            context = json.loads(raw)
        except ValueError as exc:
            return Unmapped(str(event_id), principal, action, "malformed",
                            f"context is not JSON: {exc}", outcome), ""
    elif isinstance(raw, Mapping):
        context = raw
    if not isinstance(context, Mapping):
        return Unmapped(str(event_id), principal, action, "malformed",
                        "context is not a JSON object", outcome), ""
    ctx = {str(k): v for k, v in context.items()}
    kind, session = "identity", principal
    if ":assumed-role/" in principal:  # a role session: its role decides
        account, rest = principal.split(":")[4], principal.split(":assumed-role/", 1)[1]
        principal = f"arn:aws:iam::{account}:role/{rest.split('/')[0]}"
    elif principal.endswith(":root"):
        kind = "root"
    if action.lower() == "sts:assumerole" and kind == "identity":
        kind = "assume-role"
    event_time = ctx.get("aws:CurrentTime")
    return (Request(str(event_id), principal, action, resource, ctx, outcome, "", kind, session),
            event_time if isinstance(event_time, str) else "")


def _table_outcome(value: Any) -> str:
    if value in (None, ""):
        return "unknown"
    if value in ("success", "denied", "error", "unknown"):
        return str(value)
    return outcome_of({"errorCode": value})


def events_of_bytes(origin: str, data: bytes) -> Iterator[tuple[Request | Unmapped, str]]:
    """Decode and map a whole file given as bytes (the Spark engine's ``binaryFiles``),
    with the same rules as :func:`tasks` + :func:`events` for a local file."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    name = origin.lower().removesuffix(".gz")
    if name.endswith(".parquet"):
        table = _pyarrow_parquet().read_table(io.BytesIO(data))
        _check_columns(table.column_names, origin)
        for i, row in enumerate(table.to_pylist()):
            yield _table_row(row, f"{origin}:{i + 1}")
        return
    if name.endswith(".csv"):
        reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
        _check_columns(reader.fieldnames or (), origin)
        for i, row in enumerate(reader):
            yield _table_row(row, f"{origin}:{i + 2}")
        return
    if name.endswith((".jsonl", ".ndjson")):
        yield from _lines(data, origin, 0)
        return
    head = data[:4096]
    lines = False
    first = head.split(b"\n", 1)[0]
    if not _RECORDS_HEAD.match(head) and b"\n" in head and first.strip():
        try:
            lines = isinstance(_fast_loads(first), dict)
        except ValueError:
            lines = False
    if lines:
        yield from _lines(data, origin, 0)
    else:
        yield from _records(_loads(data, origin), origin)
