"""Where commands write: never over an input or someone else's file, and always whole.

The rule, for every file a command writes:

* an output is never one of the command's inputs (the scenario file, the result
  store and its ``-wal``/``-shm`` companions), even with ``force``: the data to
  write is read from there;
* an existing file is replaced only if it is recognisably custsim's own output of
  the same kind (an export's header, a report's generator mark, a PNG's
  ``Software`` text), or with ``force``; a directory, device or FIFO never;
* every write goes to a temporary file in the target's directory and is renamed
  over the target when complete, so a crash, a full disk or ^C leaves the old
  file or the new one, never half of one.

All checks run before any simulation starts; they raise :class:`OutputError`
(a ``ValueError``: the command line reports it with exit code 2).
"""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "KINDS",
    "OutputError",
    "check_output",
    "check_output_dir",
    "is_ours",
    "atomic_path",
    "usual_permissions",
    "store_companions",
    "PNG_SOFTWARE",
    "HTML_GENERATOR",
    "REPORT_PATTERNS",
]

#: the ``Software`` text of every PNG a report writes (how a later report knows its own figures)
PNG_SOFTWARE = "custsim"
#: the generator mark in every report page
HTML_GENERATOR = '<meta name="generator" content="custsim">'
#: names a report writes into its directory
REPORT_PATTERNS = ("report.html", "figure-[0-9][0-9]-*.png")

_CSV_HEADERS = {
    "export": "key,status,scenario_name,scenario_hash,",
    "runs": "policy,rep,seed,",
}
_MARKDOWN_HEADER = "| case | quantity | theory |"

#: output kinds and what each is (for messages)
KINDS = {
    "export": "a custsim export",
    "runs": "a custsim run table",
    "markdown": "a custsim validation table",
    "html": "a custsim report",
    "png": "a custsim report figure",
}


class OutputError(ValueError):
    """An output that would overwrite an input or a file custsim did not write, or cannot be written."""


def _head(path: Path, n: int = 4096) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def _is_our_parquet(path: Path) -> bool:
    try:
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
    except Exception:  # not Parquet, unreadable, or no pyarrow: not recognisably ours
        return False
    return meta.get(b"custsim") == b"export"


def is_ours(path: Path, kind: str) -> bool:
    """Is the existing file at ``path`` custsim's own output of this kind?"""
    head = _head(path)
    if kind == "export" and head.startswith(b"PAR1"):
        return _is_our_parquet(path)
    if kind in _CSV_HEADERS:
        return head.decode("utf-8", "replace").startswith(_CSV_HEADERS[kind])
    if kind == "markdown":
        return head.decode("utf-8", "replace").startswith(_MARKDOWN_HEADER)
    if kind == "html":
        return HTML_GENERATOR.encode() in head
    if kind == "png":
        return head.startswith(b"\x89PNG") and b"tEXtSoftware\x00" + PNG_SOFTWARE.encode() in head[:256]
    raise ValueError(f"unknown output kind {kind!r}; kinds: {', '.join(KINDS)}")


def store_companions(path: Path) -> list[Path]:
    """A SQLite file and the files SQLite keeps beside it."""
    path = Path(path)
    return [path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))]


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _is_input(path: Path, inputs: Iterable[Path]) -> Path | None:
    resolved = path.resolve()
    for given in inputs:
        given = Path(given)
        if given.resolve() == resolved or _same(given, path):
            return given
    return None


def _writable_dir(folder: Path, label: str) -> None:
    if not folder.is_dir():
        raise OutputError(f"{label}: the directory {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{label}: cannot write in {folder} (permission denied)")


def check_output(
    path: str | Path,
    kind: str,
    *,
    inputs: Iterable[str | Path] = (),
    force: bool = False,
    option: str = "--out",
) -> Path:
    """Check, before anything runs, that ``path`` may be written as output of ``kind``."""
    path = Path(path)
    label = f"{option} {path}"
    clash = _is_input(path, [Path(p) for p in inputs])
    if clash is not None:
        raise OutputError(f"{label}: that is an input of this command ({clash}); write somewhere else")
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"{label}: cannot use it ({exc.strerror or exc})") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise OutputError(f"{label}: {what}; give a file name")
    _writable_dir(path.parent, label)
    if info is not None and not force and not is_ours(path, kind):
        raise OutputError(
            f"{label}: the file exists and is not {KINDS[kind]}; give another name, or --force to replace it"
        )
    return path


def check_output_dir(
    folder: str | Path, *, inputs: Iterable[str | Path] = (), force: bool = False, option: str = "--out"
) -> Path:
    """Check a report directory: creatable or writable, and holding no report-named file of someone else's."""
    folder = Path(folder)
    label = f"{option} {folder}"
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{label}: a file is in the way; give a directory")
    if not folder.exists():
        _writable_dir(folder.parent, label)
        return folder
    _writable_dir(folder, label)
    for pattern in REPORT_PATTERNS:
        kind = "html" if pattern.endswith(".html") else "png"
        for existing in sorted(folder.glob(pattern)):
            check_output(existing, kind, inputs=inputs, force=force, option=option)
    return folder


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed over ``path`` when the block ends without error.

    The temporary file is removed if the block raises, so nothing half-written is left.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        usual_permissions(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def usual_permissions(path: Path) -> None:
    """The permissions a plainly created file would have (a temporary file starts private)."""
    os.chmod(path, 0o666 & ~_umask())


@functools.cache
def _umask() -> int:
    """The process umask (read once: reading it means setting it for a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
