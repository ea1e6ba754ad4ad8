"""Writing a file so that a failure never leaves a half-written one under its name."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import InputFileError

__all__ = ["atomic_write", "swap_in"]


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary name beside ``path`` (same suffix, so that
    writers choosing a format by it still work), then rename it into place.

    Parameters
    ----------
    path
        The file to write (replaced if it exists).
    write
        Writes the whole file at the path it is given.

    Raises
    ------
    InputFileError
        The folder does not exist or the file cannot be written (nothing is left).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputFileError("the folder to write into does not exist.", path=path.parent)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputFileError(f"cannot be written ({exc}).", path=path) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def swap_in(staging: Path, dest: Path, names: Iterable[str]) -> None:
    """Move finished products from a staging folder over those of ``dest``, each by a
    rename: a file replaces its namesake, a folder is renamed into place and the old one
    removed afterwards (a reader never sees a half-written product).

    Parameters
    ----------
    staging
        The folder the products were built in (on the same file system).
    dest
        The folder they go to.
    names
        Top-level names in ``staging`` to move (missing ones are skipped).
    """
    for name in names:
        src, dst = staging / name, dest / name
        if not src.exists():
            continue
        if src.is_dir():
            old = dest / f".{name}.old-{uuid.uuid4().hex[:8]}"
            if dst.exists():
                os.rename(dst, old)
            os.rename(src, dst)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(src, dst)
