"""The tasks of a season: one (district × scenario) run each, keyed by what decides its
result, and the function a worker runs for one.

A task's key is the SHA-256 of the study config it runs (storm, scenario, settings), the
storm's hyetograph, its district's outline and grid edges, the SHA-256 of every input
file and floodrisk's version. Its run folder is ``tasks/<task_id>-<key[:12]>``: a folder
of that name with a complete manifest is a finished task, so a season run again skips
it, and any change to its inputs or settings gives a new key, hence a new run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import ScenarioConfig, StudyConfig
from ..districts import District, clip_study
from ..io.rainfall import read_storm
from ..io.study import read_study, study_inputs
from .config import SeasonScenario

__all__ = ["SeasonTask", "plan_tasks", "run_task", "task_config", "is_finished"]

log = logging.getLogger(__name__)

#: The district id of a season without districts (the whole study area).
CITY = "city"


@dataclass(frozen=True)
class SeasonTask:
    """One (district × scenario) run of a season.

    Parameters
    ----------
    task_id
        ``<district_id>__<scenario_id>``.
    scenario
        The scenario.
    district
        The district, or None for the whole study area.
    config
        The study config the task runs (its storm, scenario and district edges set).
    key
        SHA-256 (hex) of everything that decides the result.
    """

    task_id: str
    scenario: SeasonScenario
    district: District | None
    config: StudyConfig
    key: str

    @property
    def district_id(self) -> str:
        """The district's id (``city`` without districts)."""
        return self.district.district_id if self.district is not None else CITY

    @property
    def folder(self) -> str:
        """The name of its run folder under ``tasks/``."""
        return f"{self.task_id}-{self.key[:12]}"


def task_config(study: StudyConfig, scenario: SeasonScenario, district: District | None,
                after: float | None) -> StudyConfig:
    """The study config of one task: the scenario's storm and failures, the district's
    grid edges, no reports and no second run with every station working (the matrix
    has its own failure cases)."""
    storm = study.storm.model_copy(update={"return_period": scenario.return_period,
                                           "duration": scenario.duration,
                                           "return_periods": ()})
    simulated = None if after is None else scenario.duration * 60.0 + after
    sc = ScenarioConfig(name=scenario.scenario_id, duration=simulated,
                        failed_stations=scenario.failed_stations,
                        inlet_blockage=scenario.inlet_blockage,
                        outfall_stage=study.scenario.outfall_stage)
    surface = study.surface
    if district is not None:
        surface = surface.model_copy(update={"boundaries": district.boundaries})
    return study.model_copy(update={
        "storm": storm, "scenario": sc, "surface": surface,
        "report": study.report.model_copy(update={"enabled": False}),
        "assessment": study.assessment.model_copy(update={"compare_failures": False})})


def _key(cfg: StudyConfig, district: District | None, inputs: list[dict[str, Any]]) -> str:
    dump = cfg.model_dump(mode="json")
    dump.pop("source", None)
    storm, _ = read_storm(cfg.storm)
    payload = {
        "config": dump,
        "storm": [storm.times.tolist(), storm.intensity.tolist()],
        "district": None if district is None else {
            "id": district.district_id, "wkb": district.polygon.wkb_hex,
            "boundaries": district.boundaries},
        "inputs": inputs,
        "floodrisk": __version__,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_tasks(study: StudyConfig, scenarios: list[SeasonScenario],
               districts: list[District] | None, *, after: float | None = None
               ) -> list[SeasonTask]:
    """Every task of a season, districts slowest.

    Parameters
    ----------
    study
        The season's study config.
    scenarios
        The scenario matrix (:meth:`SeasonConfig.scenario_list`).
    districts
        The districts, or None to run the whole study area as one.
    after
        Seconds simulated after each storm's end (None: the scenario default, 2 h).
    """
    inputs = [{"role": f.role, "name": Path(f.path).name, "sha256": f.sha256}
              for f in study_inputs(study)]
    tasks = []
    for d in (districts or [None]):
        for s in scenarios:
            cfg = task_config(study, s, d, after)
            did = d.district_id if d is not None else CITY
            tasks.append(SeasonTask(task_id=f"{did}__{s.scenario_id}", scenario=s,
                                    district=d, config=cfg, key=_key(cfg, d, inputs)))
    return tasks


def _within(cfg: StudyConfig, study: Any, notes: list[str]) -> StudyConfig:
    """The scenario's failed stations, per-node blockages and outfall stages that lie in
    the district's study (the others belong to other districts)."""
    sc = cfg.scenario
    stations = set(study.network.stations["station_id"].astype(str)) \
        if study.network.stations is not None else set()
    nodes = set(study.network.nodes["node_id"].astype(str))
    failed = {k: v for k, v in sc.failed_stations.items() if k in stations}
    blockage = ({k: v for k, v in sc.inlet_blockage.items() if k in nodes}
                if isinstance(sc.inlet_blockage, dict) else sc.inlet_blockage)
    stage = {k: v for k, v in sc.outfall_stage.items() if k in nodes}
    dropped = sorted(set(sc.failed_stations) - set(failed))
    if dropped:
        notes.append(f"failed stations of other districts left out: {', '.join(dropped)}")
    if (failed, blockage, stage) == (sc.failed_stations, sc.inlet_blockage, sc.outfall_stage):
        return cfg
    return cfg.model_copy(update={"scenario": sc.model_copy(update={
        "failed_stations": failed, "inlet_blockage": blockage, "outfall_stage": stage})})


def is_finished(task: SeasonTask, tasks_dir: Path) -> bool:
    """Whether the task's run folder is there and complete."""
    manifest = tasks_dir / task.folder / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("status") == "complete"
    except (OSError, ValueError):
        return False


def run_task(task: SeasonTask, tasks_dir: str, logs_dir: str, threads: int | None = None
             ) -> dict[str, Any]:
    """Run one task (on a Dask worker): its study cut to its district, through the
    study's engine, into ``tasks_dir/<task.folder>``; its log in
    ``logs_dir/<task_id>.log``.

    Never raises: a failure is returned as ``status = "failed"`` with the error, so that
    the other tasks go on.

    ``threads``: the surface model's threads when the study leaves them to numba (its
    default, every core, would oversubscribe a machine running several workers); not part
    of the task's key, since threads do not change the result.

    Returns
    -------
    dict
        ``task_id``, ``status`` ("done" | "failed"), ``seconds``, ``path`` (the run
        folder), ``error``, ``notes``.
    """
    t0 = time.perf_counter()
    from ..pipeline import run_study  # the pipeline imports the whole toolkit

    tasks_path, logs_path = Path(tasks_dir), Path(logs_dir)
    logs_path.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(logs_path / f"{task.task_id}.log", mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("floodrisk")
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    out: dict[str, Any] = {"task_id": task.task_id, "district": task.district_id,
                           "scenario": task.scenario.scenario_id, "key": task.key,
                           "path": None, "error": None, "notes": []}
    try:
        log.info("task %s (key %s) starts", task.task_id, task.key[:12])
        study = read_study(task.config)
        notes: list[str] = []
        cfg = task.config
        if threads and cfg.surface.settings.threads is None:
            cfg = cfg.model_copy(update={"surface": cfg.surface.model_copy(update={
                "settings": dataclasses.replace(cfg.surface.settings, threads=threads)})})
        if task.district is not None:
            study, notes = clip_study(study, task.district)
            cfg = _within(cfg, study, notes)
        outcome = run_study(cfg, tasks_path, name=task.folder, inputs=False,
                            study=study, progress=lambda stage: log.info("stage %s", stage))
        out.update(status="done", path=str(outcome.path), notes=notes)
        log.info("task %s done in %.1f s", task.task_id, time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - a failed task is reported, the others go on
        log.error("task %s failed: %s\n%s", task.task_id, exc, traceback.format_exc())
        out.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    finally:
        out["seconds"] = round(time.perf_counter() - t0, 3)
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    return out
