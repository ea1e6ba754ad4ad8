"""Run a season on Dask: every (district × scenario) task, resumable, then the season's
products.

- **Workers.** A ``dask.distributed`` ``LocalCluster`` of ``workers`` processes (one
  thread each) by default, or an existing scheduler (``scheduler="tcp://host:8786"``).
  Each task runs the study's engine, whose SWMM simulation is in a process of its own.
- **Resumable.** A task's run folder is named by the key of its inputs and settings
  (:mod:`floodrisk.season.tasks`) and only appears when it is complete, so a season run
  again skips every finished task and re-runs those whose inputs or settings changed. A
  killed season leaves at most hidden ``.partial`` folders, removed on the next start.
- **Failures.** A failed task is reported with its error and its log
  (``logs/<task_id>.log``); the others go on. Scenarios with a failed district are left
  out of the products.
- **One writer.** ``season.lock`` in the output folder is held for the whole season: a
  second season on the same folder stops at once with an error.
- **Monitoring.** ``season.json`` is rewritten (atomically) after every task: the tasks
  with their status and timings, then the scenarios, the lowest-return-period products
  and the comparison with the previous season; ``status`` is ``running``, ``complete``
  (every task finished) or ``failed``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
import uuid
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Iterator

from ..errors import ConfigError, FloodRiskError, RunFolderError
from ..io.districts import read_districts
from ..io.files import atomic_write, swap_in
from ..io.raster import raster_crs
from .config import SeasonConfig, load_season
from .merge import merge_scenario
from .products import compare_seasons, lowest_return_periods
from .tasks import SeasonTask, is_finished, plan_tasks, run_task

__all__ = ["SeasonOutcome", "SeasonLockedError", "run_season"]

log = logging.getLogger(__name__)


class SeasonLockedError(RunFolderError):
    """Another season holds the output folder."""


@dataclass(frozen=True)
class SeasonOutcome:
    """What a season run did.

    Parameters
    ----------
    path
        The season folder.
    summary
        ``season.json``.
    """

    path: Path
    summary: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Whether every task finished."""
        return self.summary.get("status") == "complete"


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@contextmanager
def _lock(out: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(out / "season.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise SeasonLockedError("another season is writing to this folder (season.lock is "
                                "held).", path=out,
                                hint="Wait for it to finish, or give another --out.") from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="30s")
        try:
            yield client
        finally:
            client.close()
        return
    with warnings.catch_warnings():   # its metrics server moves off a busy port 8787: fine
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _remove_stale(folder: Path) -> list[str]:
    """Hidden partial folders a killed season left behind."""
    gone = []
    if folder.is_dir():
        for p in folder.iterdir():
            if p.name.startswith(".") and ".partial" in p.name and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p.name)
    return gone


def _write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def run_season(config: SeasonConfig | str | PathLike[str],
               out_dir: str | PathLike[str] | None = None, *, scheduler: str | None = None, workers: int | None = None,
               progress: Callable[[int, int, dict[str, Any]], None] | None = None
               ) -> SeasonOutcome:
    """Run every task of a season (skipping finished ones) and make its products.

    Parameters
    ----------
    config
        A :class:`SeasonConfig` or the path of its TOML file.
    out_dir
        The season folder (default: the config's ``out``).
    scheduler
        Address of a running Dask scheduler; default a LocalCluster on this machine.
    workers
        Workers of the LocalCluster (default: the config's ``workers``).
    progress
        Called as ``progress(done, total, task_result)`` after every task (finished
        tasks from an earlier run count as done at the start).

    Returns
    -------
    SeasonOutcome
        Its ``summary`` is ``season.json``; ``ok`` whether every task finished.

    Raises
    ------
    SeasonLockedError
        When another season holds the folder.
    FloodRiskError
        Bad config or input (before any task runs).
    """
    season = config if isinstance(config, SeasonConfig) else load_season(config)
    out = Path(out_dir) if out_dir is not None else season.out
    if out is None:
        raise FloodRiskError("no output folder: give --out or [season] out.", field="out")
    out.mkdir(parents=True, exist_ok=True)
    n_workers = workers or season.workers
    with _lock(out):
        t_start = time.perf_counter()
        study = season.study_config()
        scenarios = season.scenario_list(study)
        districts = None
        if season.districts is not None:
            d = season.districts
            crs = (study.crs or study.dem.target_crs
                   or raster_crs(study.dem.path, study.dem.crs))
            districts = read_districts(d.path, layer=d.layer, id_field=d.id_field,
                                       name_field=d.name_field,
                                       boundaries_field=d.boundaries_field, crs=crs)
        _check_stations(season, study)
        tasks = plan_tasks(study, scenarios, districts, after=season.scenarios.after)
        tasks_dir, logs_dir = out / "tasks", out / "logs"
        tasks_dir.mkdir(exist_ok=True)
        stale = _remove_stale(tasks_dir) + _remove_stale(out)
        results: dict[str, dict[str, Any]] = {}
        for t in tasks:
            if is_finished(t, tasks_dir):
                results[t.task_id] = {"task_id": t.task_id, "district": t.district_id,
                                      "scenario": t.scenario.scenario_id, "key": t.key,
                                      "status": "reused", "seconds": 0.0,
                                      "path": str(tasks_dir / t.folder), "error": None,
                                      "notes": []}
        todo = [t for t in tasks if t.task_id not in results]
        summary: dict[str, Any] = {
            "season": season.name, "config": str(season.source) if season.source else None,
            "study": str(season.study), "status": "running", "started": _now(),
            "scheduler": scheduler or f"LocalCluster({n_workers} workers)",
            "workers": n_workers, "stale_removed": stale, "tasks": [], "scenarios": []}

        def record() -> None:
            summary["tasks"] = [_task_row(t, results.get(t.task_id), out) for t in tasks]
            summary["counts"] = {k: sum(1 for r in summary["tasks"] if r["status"] == k)
                                 for k in ("done", "reused", "failed", "pending")}
            _write_json(out / "season.json", summary)

        record()
        done = len(results)
        if progress is not None:
            progress(done, len(tasks), {})
        t_tasks = time.perf_counter()
        if todo:
            from dask.distributed import as_completed

            with _client(scheduler, n_workers) as client:
                # a LocalCluster shares this machine's cores between its workers
                threads = None if scheduler else max(1, (os.cpu_count() or 1) // n_workers)
                futures = {client.submit(run_task, t, str(tasks_dir), str(logs_dir), threads,
                                         key=f"{t.task_id}-{t.key[:12]}", pure=False): t
                           for t in todo}
                for fut in as_completed(futures):
                    t = futures[fut]
                    try:
                        r = fut.result()
                    except Exception as exc:  # noqa: BLE001 - the worker itself died
                        r = {"task_id": t.task_id, "status": "failed", "seconds": None,
                             "path": None, "error": f"{type(exc).__name__}: {exc}", "notes": []}
                    results[t.task_id] = r
                    done += 1
                    record()
                    if progress is not None:
                        progress(done, len(tasks), r)
        summary["tasks_wall_s"] = round(time.perf_counter() - t_tasks, 3)
        record()
        summary.update(_products(season, study, scenarios, tasks, results, out, summary))
        failed = [r for r in results.values() if r["status"] == "failed"]
        summary["status"] = "failed" if failed else "complete"
        summary["finished"] = _now()
        summary["wall_s"] = round(time.perf_counter() - t_start, 3)
        record()
    return SeasonOutcome(path=out, summary=summary)


def _check_stations(season: SeasonConfig, study: Any) -> None:
    """Every station a failure case names is a station of the study's network."""
    named = {k for case in season.scenarios.failures.values() for k in case}
    if not named:
        return
    from ..io.network import read_network

    n = study.network
    net = read_network(n.path, layers=n.layers, columns=n.columns, crs=n.crs,
                       snap_tolerance=n.snap_tolerance)
    have = set(net.stations["station_id"].astype(str)) if net.stations is not None else set()
    unknown = sorted(named - have)
    if unknown:
        raise ConfigError(f"failure cases name stations that are not in the network: "
                          f"{', '.join(unknown)}.", path=season.source,
                          field="scenarios.failures",
                          hint=f"Stations: {', '.join(sorted(have)) or 'none'}.")


def _task_row(t: SeasonTask, r: dict[str, Any] | None, out: Path) -> dict[str, Any]:
    row = {"task_id": t.task_id, "district": t.district_id, "scenario": t.scenario.scenario_id,
           "key": t.key[:12], "status": "pending", "seconds": None, "path": None,
           "log": f"logs/{t.task_id}.log", "error": None, "notes": []}
    if r is not None:
        row.update(status=r["status"], seconds=r.get("seconds"), error=r.get("error"),
                   notes=r.get("notes") or [])
        if r.get("path"):
            row["path"] = os.path.relpath(r["path"], out)
    return row


def _products(season: SeasonConfig, study: Any, scenarios: list, tasks: list[SeasonTask],
              results: dict[str, dict[str, Any]], out: Path, summary: dict[str, Any]
              ) -> dict[str, Any]:
    """Merged scenarios, lowest return periods, comparison and report, built in a
    staging folder and swapped in."""
    from ..io.study import read_study
    from ..report.season import write_season_report

    by_scenario: dict[str, list[SeasonTask]] = {}
    for t in tasks:
        by_scenario.setdefault(t.scenario.scenario_id, []).append(t)
    complete = [s for s in scenarios if all(results.get(t.task_id, {}).get("status")
                                            in ("done", "reused")
                                            for t in by_scenario[s.scenario_id])]
    staging = out / f".products-partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        city_study = read_study(study) if complete else None
        city = city_study.terrain if city_study is not None else None
        merged: dict[str, Path] = {}
        rows = []
        (staging / "scenarios").mkdir()
        for s in complete:
            runs = [(t.district_id, out / "tasks" / t.folder) for t in by_scenario[s.scenario_id]]
            folder = merge_scenario(s.scenario_id, runs, city, staging / "scenarios",
                                    study_name=study.name,
                                    season={"name": season.name, "scenario": s.model_dump(),
                                            "tasks": [p.name for _, p in runs]})
            merged[s.scenario_id] = folder
            summ = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
            a = summ.get("assessment", {})
            rows.append({"scenario_id": s.scenario_id, "return_period": s.return_period,
                         "duration_min": s.duration, "failure": s.failure,
                         "blockage": s.blockage, "group": s.group,
                         "path": f"scenarios/{s.scenario_id}",
                         "waterlogging_points": a.get("waterlogging_points"),
                         "waterlogged_area_m2": a.get("waterlogged_area_m2"),
                         "underground": (a.get("underground") or {}).get("classes"),
                         "stations_failed": sorted((a.get("stations_failed") or {}))})
        products: dict[str, Any] = {"scenarios": rows,
                                    "incomplete_scenarios": [s.scenario_id for s in scenarios
                                                             if s not in complete]}
        threshold = study.assessment.settings.waterlogging.threshold
        (staging / "city").mkdir()
        products["lowest_return_period"] = lowest_return_periods(
            merged, complete, staging / "city", threshold,
            exclude=_water(city_study, study)) if merged else []
        if season.previous is not None:
            (staging / "comparison").mkdir()
            products["comparison"] = compare_seasons(merged, season.previous,
                                                     staging / "comparison")
        report_sids = _report_scenarios(season, complete)
        products["reports"] = write_season_report(
            staging, season, {**summary, **products}, draw_scenarios=report_sids)
        swap_in(staging, out, ("scenarios", "city", "comparison", "season_report.html"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return products


def _water(study: Any, cfg: Any) -> Any:
    """Cells of the land cover's water bodies (never waterlogging), or None."""
    from ..surface_inputs import polygon_mask

    lc = study.assets.landcover
    classes = cfg.assessment.settings.water_classes
    if lc is None or not len(lc) or "class" not in lc.columns or not classes:
        return None
    water = lc[lc["class"].astype(str).isin(classes)]
    return polygon_mask(study.terrain, water) if len(water) else None


def _report_scenarios(season: SeasonConfig, complete: list) -> list[str]:
    if season.reports == "none":
        return []
    if season.reports == "all":
        return [s.scenario_id for s in complete]
    top: dict[str, Any] = {}
    for s in complete:
        if s.group not in top or s.return_period > top[s.group].return_period:
            top[s.group] = s
    return [s.scenario_id for s in top.values()]
