"""Run an engine's child process and follow its JSON-lines messages.

pyswmm holds one simulation per process, so the SWMM and coupled engines run their
simulation in a fresh Python process. Both children speak the same protocol on the
stdout they were given: ``["progress", t, total]`` lines, then one ``["done", payload]``
or ``["error", {"type", "message", "traceback"}]``. This module starts the child, passes
progress on, and returns the last message with what the child wrote to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ChildOutcome", "child_env", "run_child"]


@dataclass(frozen=True)
class ChildOutcome:
    """How a child process ended.

    Parameters
    ----------
    message
        Its last message (``["done", ...]`` or ``["error", ...]``), None if it sent none.
    stderr
        What it wrote to stderr.
    returncode
        Its exit code.
    started
        Seconds from starting it to its first progress message (0 if none came).
    """

    message: list | None
    stderr: str
    returncode: int | None
    started: float


def child_env(*, with_package: bool = False) -> dict[str, str]:
    """The child's environment: OpenMP threads that sleep when they wait (unless the caller
    chose a policy) — SWMM models with THREADS above the idle cores otherwise spin (a
    THREADS 4 model took over 60 s instead of 7 s on 2 cores with one busy); with
    ``with_package``, floodrisk's source folder first on PYTHONPATH."""
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    if with_package:
        root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH", "")
        env["PYTHONPATH"] = root + (os.pathsep + path if path else "")
    return env


def run_child(argv: Sequence[str], *, cwd: str | os.PathLike[str], env: dict[str, str],
              stdin: str | None = None,
              progress: Callable[[float, float], None] | None = None,
              wait_s: float = 60.0) -> ChildOutcome:
    """Start ``argv``, feed it ``stdin``, pass its progress messages on, and wait for its
    last message. An exception in ``progress`` (or an interrupt) kills the child.

    Parameters
    ----------
    argv
        The command.
    cwd, env
        Its folder and environment.
    stdin
        Text written to its stdin, which is then closed (None: no stdin).
    progress
        Called with ``(t, total)`` of every progress message.
    wait_s
        How long to wait for the process to exit after its last message, s.
    """
    t0 = time.perf_counter()
    started = None
    message = None
    with tempfile.TemporaryFile() as errlog:
        proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE if stdin is not None else None,
                                stdout=subprocess.PIPE, stderr=errlog, cwd=str(cwd),
                                text=True, encoding="utf-8", env=env)
        try:
            if stdin is not None:
                proc.stdin.write(stdin)
                proc.stdin.close()
            for line in proc.stdout:
                msg = json.loads(line)
                if msg[0] == "progress":
                    if started is None:
                        started = time.perf_counter() - t0
                    if progress is not None:
                        progress(float(msg[1]), float(msg[2]))
                else:
                    message = msg
                    break
            proc.wait(wait_s)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        errlog.seek(0)
        stderr = errlog.read().decode("utf-8", errors="replace").strip()
    return ChildOutcome(message, stderr, proc.returncode, started or 0.0)
