"""Result files that cannot be corrupted, and output paths checked before work starts.

Every file srkit writes for a user (a saved model, a factor pool, continued-fraction
results, CLI outputs) goes through :func:`atomic_write`: the text is written to a
temporary file in the same folder, flushed to disk, and renamed over the target.
A crash or Ctrl-C mid-write leaves the earlier file intact, never a truncated one.

:func:`check_output_path` runs before a long search, so that a missing folder or an
existing file is reported before the work, not after it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

__all__ = ["OutputExistsError", "atomic_write", "atomic_open", "check_output_path"]


class OutputExistsError(FileExistsError):
    """An output file exists and overwriting it was not asked for."""


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    If the block raises (or the process dies), ``path`` keeps its earlier content.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_open(p) as fh:
    ...     _ = fh.write("hello")
    >>> open(p).read()
    'hello'
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    binary = "b" in mode
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode, **({} if binary else {"encoding": encoding, "newline": newline})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():  # keep the permissions a user gave the earlier file
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            with contextlib.suppress(OSError):
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # the rename itself is durable only once the folder's entry is on disk
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, rename).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> atomic_write(p, '{"a": 1}')
    >>> open(p).read()
    '{"a": 1}'
    """
    mode = "wb" if isinstance(data, bytes) else "w"
    with atomic_open(path, mode, encoding=encoding) as fh:
        fh.write(data)


def check_output_path(path: str | os.PathLike[str] | None, *, force: bool = False, flag: str = "--output",
                      what: str = "output") -> None:
    """Refuse, before any work, an output path that cannot be written or would overwrite a file.

    Raises :class:`OutputExistsError` when ``path`` exists and ``force`` is False, and
    ``ValueError`` when its folder is missing or not writable, or ``path`` is a folder.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> check_output_path(os.path.join(d, "new.json"))
    >>> check_output_path(os.path.join(d, "missing", "new.json"))
    Traceback (most recent call last):
    ...
    ValueError: --output: the folder ... does not exist; create it first or choose another path
    """
    if path is None:
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ValueError(f"{flag}: {str(target)!r} is a folder; give a file name such as {str(target / 'result.json')!r}")
    if not folder.is_dir():
        raise ValueError(f"{flag}: the folder {str(folder)!r} does not exist; create it first or choose another path")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"{flag}: the folder {str(folder)!r} is not writable; choose another path")
    if target.exists() and not force:
        raise OutputExistsError(
            f"{flag}: {str(target)!r} exists; add --force to overwrite it or choose another {what} path"
        )
