"""Every report product of a run, from its folder: the GIS files, the map sheets, the web
map and the assessment report.

:func:`write_reports` draws them into a folder that holds the run's files (the run being
written, at the end of ``floodrisk run``); :func:`rebuild_reports` redraws them for a
finished run folder (``floodrisk report RUN_DIR``) without re-running anything: it builds
everything in a hidden staging folder beside the run's files and swaps the finished
products in at the end, so a failure leaves the run's earlier products as they were.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from ..io.files import atomic_write, swap_in
from ..io.run_record import RunRecord, read_run
from ..io.runs import sha256_of
from .document import MAP_ORDER, build_report
from .gis import write_gis
from .pdf import find_chromium, html_to_pdf
from .settings import FORMATS, PAPERS, ReportSettings
from .sheets import draw_sheets
from .webmap import write_webmap

__all__ = ["PAPERS", "FORMATS", "ReportSettings", "ReportOutcome", "write_reports",
           "rebuild_reports"]

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class ReportOutcome:
    """What :func:`write_reports` wrote.

    Parameters
    ----------
    outputs
        Path relative to the folder → what it holds (for the run's manifest).
    timings
        Seconds per product.
    notes
        What was left out and why (no Chromium: no PDF).
    """

    outputs: dict[str, str]
    timings: dict[str, float]
    notes: tuple[str, ...] = ()


def write_reports(record: RunRecord, out_dir: str | PathLike[str],
                  settings: ReportSettings | None = None) -> ReportOutcome:
    """Draw every report product of a run into a folder.

    ``out_dir`` must hold the run's ``assessment.gpkg`` (its layers get their QGIS
    styles); the rest is read from ``record``.

    Parameters
    ----------
    record
        The run (:func:`~floodrisk.io.run_record.read_run`).
    out_dir
        Where ``rasters/``, ``maps/``, ``map.html``, ``report.html`` (and ``report.pdf``)
        go.
    settings
        :class:`ReportSettings`.

    Returns
    -------
    ReportOutcome
    """
    s = settings or ReportSettings()
    out = Path(out_dir)
    outputs: dict[str, str] = {}
    timings: dict[str, float] = {}
    notes: list[str] = []
    previous = read_run(s.previous) if s.previous is not None else None

    t = time.perf_counter()
    for p in write_gis(record, out, lang=s.lang):
        rel = p.relative_to(out).as_posix()
        outputs[rel] = ("the assessment's layers with their QGIS styles" if rel.endswith(".gpkg")
                        else f"Cloud-Optimized GeoTIFF of {p.stem}")
    timings["gis"] = time.perf_counter() - t

    t = time.perf_counter()
    sheets = draw_sheets(record, out, lang=s.lang, papers=s.papers, formats=s.formats,
                         dpi=s.dpi)
    for p in sheets:
        outputs[p.relative_to(out).as_posix()] = f"map sheet {p.stem}"
    timings["maps"] = time.perf_counter() - t

    t = time.perf_counter()
    write_webmap(record, out / "map.html", lang=s.lang)
    outputs["map.html"] = "interactive web map (one self-contained file, works offline)"
    timings["webmap"] = time.perf_counter() - t

    t = time.perf_counter()
    paper = "A4" if "A4" in s.papers else s.papers[0]
    maps = {name: out / "maps" / f"{name}_{paper}.png" for name in MAP_ORDER
            if (out / "maps" / f"{name}_{paper}.png").is_file()}
    chromium = find_chromium() if s.pdf else None
    html = build_report(record, lang=s.lang, maps=maps, previous=previous,
                        pdf_name="report.pdf" if chromium else None, max_rows=s.max_rows,
                        compare=s.compare)
    atomic_write(out / "report.html", lambda p: p.write_text(html, encoding="utf-8"))
    outputs["report.html"] = "the assessment report (one self-contained file)"
    timings["report"] = time.perf_counter() - t
    if s.pdf:
        if chromium is None:
            notes.append("no Chromium on this machine: report.pdf not printed "
                         "(apt-get install chromium)")
        else:
            t = time.perf_counter()
            html_to_pdf(out / "report.html", out / "report.pdf", chromium=chromium)
            outputs["report.pdf"] = "the assessment report, printable (A4)"
            timings["report_pdf"] = time.perf_counter() - t
    return ReportOutcome(outputs=outputs, timings={k: round(v, 3) for k, v in timings.items()},
                         notes=tuple(notes))


def rebuild_reports(run_dir: str | PathLike[str],
                    settings: ReportSettings | None = None) -> ReportOutcome:
    """Redraw every report product of a finished run folder, in place.

    Everything is drawn in a hidden staging folder inside the run folder, then moved
    over the run's products; ``manifest.json`` is updated (the outputs' sizes and
    hashes, and a ``report`` entry). A failure removes the staging folder and leaves
    the run as it was.

    Parameters
    ----------
    run_dir
        A finished run folder.
    settings
        :class:`ReportSettings`.
    """
    record = read_run(run_dir)
    run = record.path
    staging = run / f".report-partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        if (run / "assessment.gpkg").is_file():
            shutil.copy2(run / "assessment.gpkg", staging / "assessment.gpkg")
        outcome = write_reports(record, staging, settings)
        swap_in(staging, run, sorted({Path(rel).parts[0] for rel in outcome.outputs}))
        _update_manifest(run, outcome, settings or ReportSettings())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outcome


def _update_manifest(run: Path, outcome: ReportOutcome, settings: ReportSettings) -> None:
    path = run / "manifest.json"
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    tops = {Path(rel).parts[0] for rel in outcome.outputs}
    kept = [o for o in manifest.get("outputs", []) if Path(o["path"]).parts[0] not in tops]
    for rel, desc in outcome.outputs.items():
        p = run / rel
        kept.append({"path": rel, "description": desc, "size": p.stat().st_size,
                     "sha256": sha256_of(p)})
    manifest["outputs"] = kept
    manifest["report"] = {"lang": settings.lang, "papers": list(settings.papers),
                          "formats": list(settings.formats),
                          "previous": str(settings.previous) if settings.previous else None,
                          "timings_s": outcome.timings, "notes": list(outcome.notes),
                          "rebuilt": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
