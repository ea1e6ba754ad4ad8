"""Child-process side of the SWMM engine: open, step and close one simulation.

:mod:`floodrisk.engines.swmm` starts this file as a script in a fresh Python process
(``python _swmm_worker.py``), one simulation per process (pyswmm and the SWMM engine hold
one simulation per process). It is not imported through the package: the child loads only
the standard library, pyswmm and swmm-toolkit (about 0.15 s) instead of the whole
floodrisk package (about 1.4 s), and nothing of the caller's main module (which the
``spawn`` start method of multiprocessing would re-run, and which does not exist for
``python -`` or some embedded interpreters). That is also why it holds no floodrisk
imports and works on plain dicts, lists and floats.

Protocol: the job comes as one JSON object on stdin (``inp``, ``rpt``, ``out``, ``cwd``,
``stride``, ``tables``); the child answers with JSON lines on the stdout it was given
(anything the SWMM engine or a library prints goes to stderr instead):

- ``["progress", elapsed_s, total_s]`` after every stride;
- ``["done", payload]`` once, after the simulation was closed (payload: element ids and
  types, the statistics SWMM kept, the continuity errors and totals, timings);
- ``["error", {"type", "message", "traceback"}]`` if anything failed.

Units are the model's (floodrisk's models use FLOW_UNITS CMS: m, m³/s, m³).
"""

from __future__ import annotations

import ctypes
import glob
import json
import os
import sys
import time
import traceback
from datetime import datetime

# the script's folder (floodrisk/engines) is sys.path[0]: its swmm.py would shadow the
# swmm-toolkit package that pyswmm imports as ``swmm``
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

#: SWMM 5.2 toolkit property codes for ``swmm_getValue`` (swmm5.h, swmm_LinkProperty).
_LINK_FULLDEPTH = 405
_LINK_FULLFLOW = 406
#: SWMM DateTime counts days from 30 Dec 1899.
_EPOCH = datetime(1899, 12, 30)


def _ole_days(when: datetime) -> float:
    return (when - _EPOCH).total_seconds() / 86400.0


def _code(value) -> int:
    """An enum member or a plain number as an int."""
    return int(getattr(value, "value", value))


def _get_value():
    """``swmm_getValue`` of the engine pyswmm loaded (same library, same state), or None."""
    import swmm.toolkit
    here = os.path.dirname(swmm.toolkit.__file__)
    for pattern in ("libswmm5.so", "libswmm5.dylib", "swmm5.dll", "libswmm5*"):
        hits = glob.glob(os.path.join(here, pattern))
        if hits:
            try:
                lib = ctypes.CDLL(hits[0])
                fn = lib.swmm_getValue
            except (OSError, AttributeError):
                return None
            fn.restype = ctypes.c_double
            fn.argtypes = [ctypes.c_int, ctypes.c_int]
            return fn
    return None


def _collect(solver, start_days: float) -> dict:
    """Ids, types and end-of-run statistics of every node, link and subcatchment."""
    from swmm.toolkit.shared_enum import NodeProperty, ObjectType

    def seconds(date: float) -> float:
        return (date - start_days) * 86400.0 if date > 0 else float("nan")

    get_value = _get_value()
    nn = solver.project_get_count(ObjectType.NODE.value)
    nodes = {k: [] for k in ("id", "type", "invert", "full_depth", "max_depth", "time_max_depth",
                             "hours_surcharged", "hours_flooded", "flood_volume",
                             "peak_flooding", "peak_inflow", "lateral_volume",
                             "max_ponded_volume")}
    for i in range(nn):
        s = solver.node_get_stats(i)
        nodes["id"].append(solver.project_get_id(ObjectType.NODE.value, i))
        nodes["type"].append(_code(solver.node_get_type(i)))
        nodes["invert"].append(solver.node_get_parameter(i, NodeProperty.INVERT_ELEVATION.value))
        nodes["full_depth"].append(solver.node_get_parameter(i, NodeProperty.FULL_DEPTH.value))
        nodes["max_depth"].append(s.maxDepth)
        nodes["time_max_depth"].append(seconds(s.maxDepthDate))
        nodes["hours_surcharged"].append(s.timeSurcharged)
        nodes["hours_flooded"].append(s.timeFlooded)
        nodes["flood_volume"].append(s.volFlooded)
        nodes["peak_flooding"].append(s.maxOverflow)
        nodes["peak_inflow"].append(s.maxInflow)
        nodes["lateral_volume"].append(s.totLatFlow)
        nodes["max_ponded_volume"].append(s.maxPondedVol)
    nl = solver.project_get_count(ObjectType.LINK.value)
    links = {k: [] for k in ("id", "type", "from", "to", "full_flow", "full_depth", "peak_flow",
                             "time_peak_flow", "peak_velocity", "peak_depth",
                             "hours_surcharged", "hours_full_upstream",
                             "hours_full_downstream", "hours_capacity_limited",
                             "pump_seconds_on", "pump_min_flow", "pump_mean_flow",
                             "pump_max_flow", "pump_volume", "pump_startups")}
    nan = float("nan")
    for i in range(nl):
        s = solver.link_get_stats(i)
        kind = _code(solver.link_get_type(i))
        a, b = solver.link_get_connections(i)
        links["id"].append(solver.project_get_id(ObjectType.LINK.value, i))
        links["type"].append(kind)
        links["from"].append(solver.project_get_id(ObjectType.NODE.value, a))
        links["to"].append(solver.project_get_id(ObjectType.NODE.value, b))
        links["full_flow"].append(get_value(_LINK_FULLFLOW, i) if get_value else nan)
        links["full_depth"].append(get_value(_LINK_FULLDEPTH, i) if get_value else nan)
        links["peak_flow"].append(s.maxFlow)
        links["time_peak_flow"].append(seconds(s.maxFlowDate))
        links["peak_velocity"].append(s.maxVeloc)
        links["peak_depth"].append(s.maxDepth)
        links["hours_surcharged"].append(s.timeSurcharged)
        links["hours_full_upstream"].append(s.timeFullUpstream)
        links["hours_full_downstream"].append(s.timeFullDnstream)
        links["hours_capacity_limited"].append(s.timeCapacityLimited)
        if kind == 1:   # pump
            p = solver.pump_get_stats(i)
            links["pump_seconds_on"].append(p.utilized)
            links["pump_min_flow"].append(p.minFlow)
            links["pump_mean_flow"].append(p.avgFlow)
            links["pump_max_flow"].append(p.maxFlow)
            links["pump_volume"].append(p.volume)
            links["pump_startups"].append(int(p.startUps))
        else:
            for k in ("pump_seconds_on", "pump_min_flow", "pump_mean_flow", "pump_max_flow",
                      "pump_volume"):
                links[k].append(nan)
            links["pump_startups"].append(0)
    ns = solver.project_get_count(ObjectType.SUBCATCH.value)
    subs = {k: [] for k in ("id", "precipitation", "runoff_volume", "peak_runoff")}
    for i in range(ns):
        s = solver.subcatch_get_stats(i)
        subs["id"].append(solver.project_get_id(ObjectType.SUBCATCH.value, i))
        subs["precipitation"].append(s.precip)
        subs["runoff_volume"].append(s.runoff)
        subs["peak_runoff"].append(s.maxFlow)
    return {"nodes": nodes, "links": links, "subcatchments": subs}


def main(conn, job: dict) -> None:
    """Run the simulation of ``job`` (``inp``, ``rpt``, ``out``, ``cwd``, ``stride``,
    ``tables``), reporting on ``conn``."""
    t0 = time.perf_counter()
    try:
        if job.get("cwd"):
            os.chdir(job["cwd"])   # relative file names inside the .inp (own process)
        from pyswmm import Simulation, SystemStats
        from swmm.toolkit import solver

        t_import = time.perf_counter()
        after: dict = {}
        with Simulation(job["inp"], job["rpt"], job["out"]) as sim:
            t_open = time.perf_counter()

            def after_end() -> None:
                # SWMM works out the continuity errors in swmm_end (which also writes the
                # report's summaries); swmm_report would only add per-element time-series
                # tables repeating the .out file (swmm_run leaves them out too when it
                # writes an .out file), so only when asked
                after["runoff_error"] = float(sim.runoff_error)
                after["routing_error"] = float(sim.flow_routing_error)
                if job.get("tables"):
                    sim.report()

            sim.add_after_end(after_end)
            start, end = sim.start_time, sim.end_time
            total = (end - start).total_seconds()
            sim.step_advance(max(1, round(float(job["stride"]))))
            conn.send(("progress", 0.0, total))
            for _ in sim:
                conn.send(("progress", (sim.current_time - start).total_seconds(), total))
            conn.send(("progress", total, total))   # the last stride ends without a step
            t_run = time.perf_counter()
            stats = _collect(solver, _ole_days(start))
            # totals so far (SWMM fills in the final storage only in swmm_end, after which
            # the toolkit refuses to answer: the parent takes that from the report)
            system = SystemStats(sim)
            stats["runoff_totals"] = {k: float(v) for k, v in system.runoff_stats.items()}
            stats["routing_totals"] = {k: float(v) for k, v in system.routing_stats.items()}
            version = str(sim.engine_version)
            stats["flow_units"] = str(sim.flow_units)
            t_stats = time.perf_counter()
        t_close = time.perf_counter()
        conn.send(("done", {
            **stats, **after,
            "start": start.isoformat(), "end": end.isoformat(), "duration": total,
            "version": version,
            "timings": {"import": t_import - t0, "open": t_open - t_import,
                        "simulate": t_run - t_open, "statistics": t_stats - t_run,
                        "close": t_close - t_stats},
        }))
    except BaseException as exc:   # noqa: BLE001 (the parent makes it a SimulationError)
        try:
            conn.send(("error", {"type": type(exc).__name__, "message": str(exc),
                                 "traceback": traceback.format_exc()}))
        except Exception:   # noqa: BLE001, S110 (the parent sees the pipe close)
            pass
    finally:
        conn.close()


class _Channel:
    """JSON lines to the parent on the process's original stdout."""

    def __init__(self) -> None:
        self._out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)                 # C-level prints of the engine go to stderr
        sys.stdout = sys.stderr

    def send(self, message: tuple) -> None:
        self._out.write(json.dumps(message) + "\n")

    def close(self) -> None:
        self._out.close()


if __name__ == "__main__":
    main(_Channel(), json.loads(sys.stdin.read()))
