"""The season's report: one self-contained page (``season_report.html``) with the tasks
and their status, every scenario's key figures with a link to its own report, the
lowest-return-period maps of the city, and what changed since the previous season; and
the per-scenario reports and map sheets it links to."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import rasterio
from jinja2 import Environment, PackageLoader, select_autoescape

from ..io.files import atomic_write
from ..io.run_record import read_run
from ..grid import Grid
from .build import rebuild_reports
from .labels import label
from .page import Cell, Column, Section, Table, data_uri, num
from .sheets import build_sheet

__all__ = ["write_season_report"]

log = logging.getLogger(__name__)

_STATUS_COLOURS = {"done": "#1a9850", "reused": "#a6d96a", "failed": "#d7191c",
                   "pending": "#bdbdbd"}


def _lowest_rp_sheets(city: Path, group: dict[str, Any], top: Path, lang: str
                      ) -> list[Path]:
    """Map sheets (A4 PNG and PDF) of one group's lowest return period, drawn on its
    highest return period's merged run."""
    record = read_run(top)
    tif = city / f"lowest_return_period_{group['group']}.tif"
    with rasterio.open(tif) as src:
        values = src.read(1)
        grid = Grid(values, src.transform, record.crs)
    layers = dict(record.layers)
    gpkg = city / f"lowest_return_period_{group['group']}.gpkg"
    if gpkg.is_file() and "waterlogging_points" in {n for n, _ in pyogrio.list_layers(gpkg)}:
        layers["assessment/waterlogging_points"] = pyogrio.read_dataframe(
            gpkg, layer="waterlogging_points")
    periods = [float(p) for p in group["return_periods"]]
    layers["assessment/return_periods"] = pd.DataFrame({"return_period": periods})
    config = dict(record.config)
    config["storm"] = {**(config.get("storm") or {}), "return_period": max(periods),
                       "return_periods": periods}
    rec = dataclasses.replace(record, grids={**record.grids, "lowest_return_period": grid},
                              layers=layers, manifest={**record.manifest, "config": config})
    sheet = build_sheet("lowest_return_period", rec, paper="A4", lang=lang)
    out = [sheet.save(city / f"lowest_return_period_{group['group']}_A4.{fmt}", dpi=200)
           for fmt in ("png", "pdf")]
    sheet.fig.clear()
    return out


def write_season_report(staging: Path, season: Any, products: Mapping[str, Any], *,
                        draw_scenarios: Sequence[str],
                        lang: str | None = None, today: dt.date | None = None
                        ) -> dict[str, Any]:
    """Draw the per-scenario reports, the lowest-return-period sheets and the season page
    into the season's staging folder.

    Parameters
    ----------
    staging
        The staging folder: ``scenarios/<id>`` (merged runs), ``city/``, ``comparison/``.
    season
        The :class:`~floodrisk.season.config.SeasonConfig`.
    products
        What the season made (``scenarios``, ``lowest_return_period``, ``comparison``,
        ``incomplete_scenarios``), and ``tasks`` / ``counts`` of ``season.json``.
    draw_scenarios
        The scenarios whose own reports (maps, web map, report page) are drawn.
    lang
        Report language (default: the study's ``[report] lang``).
    today
        The report's date (default today).

    Returns
    -------
    dict
        ``season_report`` (file name), ``scenario_reports`` (ids), ``sheets`` (files).
    """
    study = season.study_config()
    lang = lang or study.report.settings.lang
    drawn = []
    for sid in draw_scenarios:
        folder = staging / "scenarios" / sid
        rebuild_reports(folder, dataclasses.replace(
            study.report.settings, lang=lang, papers=("A4",), formats=("png",), pdf=False,
            previous=None))
        drawn.append(sid)
    sheets: list[Path] = []
    rows = {r["scenario_id"]: r for r in products.get("scenarios", [])}
    for group in products.get("lowest_return_period", []):
        top = max((r for r in rows.values() if r["group"] == group["group"]),
                  key=lambda r: r["return_period"])
        sheets += _lowest_rp_sheets(staging / "city", group, staging / "scenarios" /
                                    top["scenario_id"], lang)

    sections = [_tasks_section(products, lang), _scenarios_section(products, drawn, lang)]
    if products.get("lowest_return_period"):
        sections.append(_lowest_section(products, staging / "city", lang))
    if products.get("comparison"):
        sections.append(_comparison_section(products["comparison"], lang))
    counts = products.get("counts", {})
    cards = [{"value": f"{counts.get('done', 0) + counts.get('reused', 0)} / "
                       f"{sum(counts.values())}", "key": label("ss_tasks_finished", lang)},
             {"value": str(counts.get("failed", 0)), "key": label("ss_tasks_failed", lang)},
             {"value": str(len(rows)), "key": label("ss_scenarios", lang)}]
    cmp_ = products.get("comparison") or {}
    if cmp_:
        p = cmp_.get("points", {})
        cards.append({"value": " / ".join(str(p.get(k, 0)) for k in
                                          ("new", "worsened", "improved", "resolved")),
                      "key": label("ss_changes", lang)})
    env = Environment(loader=PackageLoader("floodrisk.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    from .. import __version__
    today = today or dt.date.today()
    html = env.get_template("season.html.j2").render(
        html_lang="zh-CN" if lang == "zh" else "en", version=__version__,
        title=label("ss_title", lang), season=season.name, study=study.name,
        dates_line=f"{label('doc_drawn', lang)}: {today.isoformat()}",
        h={"summary": label("doc_summary", lang)}, cards=cards, sections=sections,
        none_found=label("doc_none_found", lang))
    atomic_write(staging / "season_report.html",
                 lambda p: p.write_text(html, encoding="utf-8"))
    return {"season_report": "season_report.html", "scenario_reports": drawn,
            "sheets": [p.relative_to(staging).as_posix() for p in sheets]}


def _tasks_section(products: Mapping[str, Any], lang: str) -> Section:
    sec = Section("tasks", label("ss_tasks", lang))
    cols = [Column(label("ss_task", lang)), Column(label("ss_district", lang)),
            Column(label("scenario", lang)), Column(label("doc_status", lang)),
            Column(label("ss_seconds", lang), True), Column(label("ss_error", lang)),
            Column(label("ss_log", lang))]
    rows = []
    for t in products.get("tasks", []):
        rows.append([Cell(t["task_id"]), Cell(t["district"]), Cell(t["scenario"]),
                     Cell(label(f"ss_{t['status']}", lang), colour=_STATUS_COLOURS.get(
                         t["status"])),
                     num(t.get("seconds"), 1, "s"), Cell(t.get("error") or ""),
                     Cell("log", href=t["log"])])
    sec.tables.append(Table("tasks-table", cols, rows))
    return sec


def _scenarios_section(products: Mapping[str, Any], drawn: Sequence[str], lang: str
                       ) -> Section:
    sec = Section("scenarios", label("ss_scenarios", lang))
    cols = [Column(label("scenario", lang)), Column("P", True),
            Column(label("doc_duration", lang), True), Column(label("ss_failure", lang)),
            Column(label("ss_blockage", lang)), Column(label("doc_points_count", lang), True),
            Column(label("ss_points_area", lang), True),
            Column(label("doc_spaces_flooded", lang), True),
            Column(label("doc_stations_failed", lang).split(" / ")[0])]
    rows = []
    for r in products.get("scenarios", []):
        ug = r.get("underground") or {}
        link = f"scenarios/{r['scenario_id']}/report.html" if r["scenario_id"] in drawn else None
        rows.append([Cell(r["scenario_id"], href=link), num(r["return_period"], 0, "a"),
                     num(r["duration_min"], 0, "min"), Cell(r["failure"]),
                     Cell(r["blockage"]),
                     Cell(str(r.get("waterlogging_points", "–")), numeric=True),
                     num((r.get("waterlogged_area_m2") or 0) / 1e4, 2, "ha"),
                     Cell(f"{ug.get('flooded', 0)} / {ug.get('at risk', 0)}", numeric=True),
                     Cell(", ".join(r.get("stations_failed") or []) or "–")])
    sec.tables.append(Table("scenarios-table", cols, rows))
    missing = products.get("incomplete_scenarios") or []
    if missing:
        sec.notes.append(label("ss_incomplete", lang).format(ids=", ".join(missing)))
    return sec


def _lowest_section(products: Mapping[str, Any], city: Path, lang: str) -> Section:
    sec = Section("lowest", label("lowest_rp_map", lang))
    for g in products["lowest_return_period"]:
        png = city / f"lowest_return_period_{g['group']}_A4.png"
        if png.is_file():
            sec.figures.append({"src": data_uri(png.read_bytes()),
                                "caption": f"{g['group']}: {label('lowest_rp_map', lang)}"})
        areas = g.get("flooded_area_m2") or {}
        sec.notes.append(f"{g['group']}: " + ", ".join(
            f"{p} a → {float(a) / 1e4:.2f} ha" for p, a in areas.items()))
    return sec


def _comparison_section(cmp_: Mapping[str, Any], lang: str) -> Section:
    sec = Section("comparison", label("doc_changes", lang))
    sec.notes.append(f"{label('doc_previous', lang)}: {cmp_.get('previous')}")
    cols = [Column(label("scenario", lang)), Column(label("ss_kind", lang))] + [
        Column(label(f"doc_{k}", lang), True) for k in ("new", "worsened", "improved",
                                                         "resolved")]
    rows = []
    for sid, counts in (cmp_.get("scenarios") or {}).items():
        for kind in ("points", "entrances"):
            c = counts.get(kind)
            if c is None:
                continue
            rows.append([Cell(sid, href=f"comparison/{sid}.gpkg"),
                         Cell(label("waterlogging_points" if kind == "points" else "entrances",
                                    lang))] +
                        [Cell(str(c.get(k, 0)), numeric=True)
                         for k in ("new", "worsened", "improved", "resolved")])
    sec.tables.append(Table("comparison-table", cols, rows))
    if cmp_.get("missing"):
        sec.notes.append(label("ss_not_in_previous", lang).format(
            ids=", ".join(cmp_["missing"])))
    return sec
