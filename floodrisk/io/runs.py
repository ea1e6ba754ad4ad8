"""Run folders: written under a hidden temporary name, renamed into place when complete.

A crash or an error removes the temporary folder, so a folder with a run's name is
always a finished run, with ``manifest.json`` saying what went in (files and their
SHA-256), with which versions and settings, what came out, and how long each stage took.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import platform
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from os import PathLike
from pathlib import Path
from typing import Any

from ..errors import RunFolderError
from ..study import InputFile

__all__ = ["RunFolder", "package_versions", "sha256_of"]

log = logging.getLogger(__name__)

_PACKAGES = ("floodrisk", "numpy", "scipy", "pandas", "geopandas", "shapely", "pyogrio", "rasterio",
             "pyproj", "networkx", "numba", "pyswmm", "swmm-toolkit", "matplotlib", "pydantic")


def package_versions() -> dict[str, str]:
    """Versions of Python, floodrisk, its main dependencies, GDAL and PROJ."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    try:
        import pyproj
        import rasterio
        out["gdal (rasterio)"] = rasterio.__gdal_version__
        out["proj"] = pyproj.proj_version_str
        import pyogrio
        out["gdal (pyogrio)"] = pyogrio.__gdal_version_string__
    except ImportError:  # pragma: no cover - all are dependencies
        pass
    return out


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class RunFolder:
    """A run folder being written.

    Use :meth:`create` as a context manager; write files under :attr:`path`, then
    leave the block normally to finish the run, or by an exception to discard it.

    Parameters
    ----------
    final
        Where the finished run will be.
    path
        The temporary folder written to until the run is finished.
    """

    final: Path
    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    @classmethod
    @contextmanager
    def create(cls, out_dir: str | PathLike[str], name: str | None = None, *,
               kind: str = "run") -> Iterator[RunFolder]:
        """Open a new run folder under ``out_dir``.

        Parameters
        ----------
        out_dir
            Parent folder (created if needed).
        name
            Folder name; default ``{kind}-YYYYmmdd-HHMMSS``. An existing name gets a
            numbered suffix: a finished run is never overwritten.
        kind
            Prefix of the default name.
        """
        out_dir = Path(out_dir)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFolderError(f"cannot create the output folder ({exc.strerror}).",
                                 path=out_dir) from exc
        stem = name or f"{kind}-{dt.datetime.now():%Y%m%d-%H%M%S}"
        final = out_dir / stem
        k = 2
        while final.exists():
            final = out_dir / f"{stem}-{k}"
            k += 1
        tmp = out_dir / f".{final.name}.partial-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        run = cls(final=final, path=tmp)
        run.manifest.update(run=final.name,
                            started=dt.datetime.now().astimezone().isoformat(timespec="seconds"))
        t0 = time.perf_counter()
        try:
            yield run
            run.timings["total"] = round(time.perf_counter() - t0, 3)
            run._finish()
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage (seconds, in the manifest's ``timings``)."""
        t0 = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 3)

    def output(self, relpath: str, description: str) -> Path:
        """Declare an output file and return its path inside the run folder.

        Parameters
        ----------
        relpath
            Path relative to the run folder.
        description
            What the file holds, for the manifest.
        """
        self.outputs[relpath] = description
        p = self.path / relpath
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def record_inputs(self, inputs: tuple[InputFile, ...] | list[InputFile]) -> None:
        """Put the input files, their sizes and hashes in the manifest."""
        self.manifest["inputs"] = [
            {**asdict(f), "path": str(f.path)} for f in inputs]

    def _finish(self) -> None:
        outputs = []
        for rel, desc in self.outputs.items():
            p = self.path / rel
            if not p.exists():
                raise RunFolderError(f"declared output {rel} was not written.", path=self.path)
            outputs.append({"path": rel, "description": desc, "size": p.stat().st_size,
                            "sha256": sha256_of(p)})
        manifest = {
            "floodrisk_run": 1,
            "status": "complete",
            **self.manifest,
            "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "versions": package_versions(),
            "timings_s": self.timings,
            "outputs": outputs,
        }
        (self.path / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        try:
            os.rename(self.path, self.final)
        except OSError as exc:
            raise RunFolderError(f"cannot move the finished run into place ({exc.strerror}).",
                                 path=self.final) from exc
        log.info("run written to %s", self.final)
