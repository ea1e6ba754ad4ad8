"""Child-process side of the coupled engine: run one coupled loop, one SWMM simulation.

:func:`floodrisk.engines.coupled.simulate_coupled` starts this module in a fresh Python
process (``python -m floodrisk.engines._coupled_worker job.pkl result.pkl``): pyswmm and
the SWMM engine hold one simulation per process, so a caller can run several coupled
simulations in a row. The job (prepared by the parent, plain arrays and the ``.inp``
text) comes as a pickle the parent has just written; the result goes back the same way.

Messages to the parent are JSON lines on the stdout it was given (anything the engine
prints goes to stderr): ``["progress", t, duration]``, then ``["done", {}]`` or
``["error", {"type", "message", "traceback"}]``.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import traceback


def main(job_path: str, out_path: str) -> int:
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)            # C-level prints of the engine go to stderr
    sys.stdout = sys.stderr

    def send(message: list) -> None:
        channel.write(json.dumps(message) + "\n")

    try:
        from floodrisk.engines.coupled import _run

        with open(job_path, "rb") as fh:
            job = pickle.load(fh)
        out = _run(job, progress=lambda t, total: send(["progress", t, total]))
        with open(out_path, "wb") as fh:
            pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
        send(["done", {}])
        return 0
    except BaseException as exc:   # noqa: BLE001 (the parent raises SimulationError)
        send(["error", {"type": type(exc).__name__, "message": f"{type(exc).__name__}: {exc}",
                        "traceback": traceback.format_exc()}])
        return 1
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
