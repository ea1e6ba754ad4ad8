"""Runs: call the stages in order and write a run folder. Nothing else happens here.

At this stage of the project a run loads and validates the study, works out the
inventory and pipe hydraulics, and writes the validated layers, the DEM and an input
map. Later engines and assessments add their stages here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from .config import StudyConfig, load_config
from .inventory import summarize
from .io.raster import write_geotiff
from .io.runs import RunFolder
from .io.study import read_study
from .io.vector import write_layers
from .network import conduit_hydraulics
from .report.maps import plot_inputs
from .variables import VARIABLES

__all__ = ["RunOutcome", "run_study"]


@dataclass(frozen=True)
class RunOutcome:
    """What a finished run wrote and found.

    Parameters
    ----------
    path
        The run folder.
    summary
        The inventory figures (also in ``summary.json``).
    timings
        Seconds per stage.
    notes
        What the loaders filled in or changed.
    """

    path: Path
    summary: dict[str, Any]
    timings: dict[str, float]
    notes: tuple[str, ...]


def run_study(config: StudyConfig | str | PathLike[str], out_dir: str | PathLike[str], *,
              name: str | None = None,
              progress: Callable[[str], None] | None = None) -> RunOutcome:
    """Load a study and write a run folder with its validated inputs and first analysis.

    The study is loaded before the run folder exists, so bad input leaves nothing
    behind; a failure while writing removes the unfinished folder.

    Parameters
    ----------
    config
        Study config or the path of its TOML file.
    out_dir
        Folder in which the run folder is created.
    name
        Run folder name (default ``run-YYYYmmdd-HHMMSS``).
    progress
        Called with the name of each stage as it starts.

    Returns
    -------
    RunOutcome
    """
    say = progress or (lambda stage: None)
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    say("load")
    t0 = time.perf_counter()
    study = read_study(cfg)
    t_load = round(time.perf_counter() - t0, 3)
    with RunFolder.create(out_dir, name) as run:
        run.timings["load"] = t_load
        run.record_inputs(study.inputs)
        run.manifest.update(study=study.name, crs=study.crs.to_string() if study.crs else None,
                            config=cfg.model_dump(mode="json"), notes=list(study.notes))
        say("analyse")
        with run.stage("analyse"):
            summary = summarize(study)
            hydraulics = conduit_hydraulics(study.network)
        say("write")
        with run.stage("write"):
            elev = VARIABLES["elevation"]
            write_geotiff(study.terrain, run.output(f"{elev.name}.tif", elev.label),
                          description=elev.description, units=elev.unit)
            layers = study.network.layers()
            layers["conduits"] = layers["conduits"].merge(hydraulics, on="link_id")
            layers.update({k: v for k, v in study.assets.layers().items() if len(v)})
            write_layers({k: v for k, v in layers.items() if len(v)},
                         run.output("study.gpkg", "validated input layers on the canonical schema; "
                                    "conduits with slope, full_capacity, full_velocity"))
            plot_inputs(study, run.output("inputs_map.png", "map of the study inputs on a "
                                          "hillshaded DEM"))
            run.output("summary.json", "inventory figures").write_text(
                json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        run.manifest["summary"] = summary
    return RunOutcome(path=run.final, summary=summary, timings=dict(run.timings),
                      notes=study.notes)
