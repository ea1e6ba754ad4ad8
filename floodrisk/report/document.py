"""The assessment report: one self-contained HTML file (and a PDF of it where Chromium is
installed) with the scenario and storm, the volume balance and engine timings, the ranked
tables of waterlogging points, underground spaces, pump stations and facilities, the
maps, and what changed against a previous assessment.

Everything comes from a finished run folder (:class:`~floodrisk.io.run_record.RunRecord`)
and the map sheets drawn from it; nothing is re-run. The page is rendered with Jinja2
(autoescaped: every string from the user's data is shown as text), its styles are
inline and its images are data URIs, so it opens offline and can be mailed as one file.
Every table has an ``id`` and a ``data-rows`` count, so that tests and scripts can read
it back.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from ..assess.compare import CompareSettings, change_counts, compare_entrances, compare_points
from ..io.run_record import RunRecord
from .charts import hyetograph_figure
from .colours import STATION_COLOURS, UNDERGROUND_COLOURS
from .labels import label
from .page import (Cell, Column, Section, Table, class_cell, data_uri, finite, hours, minutes,
                   num, word)

__all__ = ["MAP_ORDER", "build_report", "table_counts"]

#: Map sheets the report shows, in order (``maps/<name>_A4.png``).
MAP_ORDER = ("risk", "max_depth", "pipe_capacity", "underground", "lowest_return_period")
_MAP_TITLES = {"risk": "risk_map", "max_depth": "depth_map", "pipe_capacity": "capacity_map",
               "underground": "underground_map", "lowest_return_period": "lowest_rp_map"}


def _limit(frame: pd.DataFrame, n: int, lang: str) -> tuple[pd.DataFrame, str]:
    if len(frame) <= n:
        return frame, ""
    return frame.head(n), label("doc_truncated", lang).format(n=len(frame) - n)


# ---- sections ------------------------------------------------------------------------
def _scenario_line(record: RunRecord, lang: str) -> str:
    cfg = record.config
    sc = cfg.get("scenario") or {}
    parts = []
    if record.storm is not None:
        parts.append(f"{label('storm', lang)}: {record.storm.name}")
    engine = cfg.get("engine")
    if engine:
        parts.append(f"{label('doc_engine', lang)}: {engine}")
    failed = sc.get("failed_stations") or {}
    if failed:
        parts.append(f"{label('doc_failed_stations', lang)}: " + ", ".join(
            f"{k} ({float(v) / 60:.0f} min)" for k, v in failed.items()))
    blockage = sc.get("inlet_blockage")
    if blockage:
        parts.append(f"{label('doc_inlet_blockage', lang)}: {blockage}")
    return " · ".join(parts)


def _cards(record: RunRecord, lang: str) -> list[dict[str, str]]:
    a = record.summary.get("assessment") or {}
    s = record.summary.get("surface") or {}
    cards = []
    if "waterlogging_points" in a:
        cards.append({"value": f"{a['waterlogging_points']}",
                      "key": label("doc_points_count", lang)})
    if "area_over_threshold_m2" in s:
        cards.append({"value": f"{s['area_over_threshold_m2'] / 1e4:.2f} ha",
                      "key": f"{label('doc_flooded_area', lang)} ({record.threshold:g} m)"})
    ug = (a.get("underground") or {}).get("classes") or {}
    if ug:
        cards.append({"value": f"{ug.get('flooded', 0)} / {ug.get('at risk', 0)}",
                      "key": label("doc_spaces_flooded", lang)})
    if "stations_failed" in a:
        cards.append({"value": f"{len(a['stations_failed'])} / "
                               f"{len(a.get('stations_to_relocate', []))}",
                      "key": label("doc_stations_failed", lang)})
    if "facilities_flooded" in a:
        cards.append({"value": f"{len(a['facilities_flooded'])}",
                      "key": label("doc_facilities_flooded", lang)})
    risk = a.get("risk_area_m2") or {}
    if risk:
        cards.append({"value": " / ".join(f"{risk.get(k, 0.0) / 1e4:.2f}"
                                          for k in ("low", "medium", "high")) + " ha",
                      "key": label("doc_risk_area", lang)})
    b = a.get("buildings_by_risk") or {}
    if b:
        cards.append({"value": " / ".join(str(b.get(k, 0)) for k in ("low", "medium", "high")),
                      "key": label("doc_buildings_at_risk", lang)})
    return cards


def _storm_section(record: RunRecord, lang: str) -> Section:
    sec = Section("storm", label("doc_storm", lang))
    h = record.storm
    if h is None:
        return sec
    fig = hyetograph_figure(h, lang=lang)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    sec.image = data_uri(buf.getvalue())
    rows = [[Cell(label("storm", lang)), Cell(h.name)],
            [Cell(label("doc_total_depth", lang)), num(h.total_depth_mm, 1, "mm")],
            [Cell(label("doc_peak", lang)), num(h.peak_mm_h, 1, "mm/h")],
            [Cell(label("doc_duration", lang)), num(h.duration_s / 60, 0, "min")]]
    sec.tables.append(Table("storm-table", [Column(label("doc_item", lang)),
                                             Column(label("doc_value", lang))], rows))
    return sec


def _balance_section(record: RunRecord, lang: str) -> Section:
    sec = Section("balance", label("doc_balance", lang))
    m = record.manifest
    v = m.get("volume_balance")
    rows: list[list[Cell]] = []
    if v:
        for key, name in (("rain_m3", "doc_rain"), ("losses_m3", "doc_losses"),
                          ("drained_m3", "doc_drained"), ("spilled_m3", "doc_spilled"),
                          ("outfall_outflow_m3", "doc_outfalls"),
                          ("boundary_outflow_m3", "doc_boundary"),
                          ("surface_final_m3", "doc_surface_final"),
                          ("pipe_final_m3", "doc_pipe_final"), ("error_m3", "doc_error")):
            if key in v:
                rows.append([Cell(label(name, lang)), num(v[key], 1, "m³")])
        rows.append([Cell(label("doc_error_rel", lang)),
                     Cell(f"{float(v['error_rel']):.2e}", numeric=True)])
        rows.append([Cell(label("doc_exchange_sides", lang)),
                     Cell(f"{float(v['exchange_pipe_side_m3']):,.3f} / "
                           f"{float(v['exchange_surface_side_m3']):,.3f} m³", numeric=True)])
    elif m.get("surface"):
        vb = m["surface"].get("volume_balance_m3") or {}
        for key, name in (("rain", "doc_rain"), ("losses", "doc_losses"),
                          ("boundary_outflow", "doc_boundary"), ("final", "doc_surface_final"),
                          ("error", "doc_error")):
            if key in vb:
                rows.append([Cell(label(name, lang)), num(vb[key], 1, "m³")])
    sec.tables.append(Table("balance-table", [Column(label("doc_item", lang)),
                                               Column(label("doc_value", lang), True)], rows))
    t = m.get("timings") or {}
    if t:
        trows = [[Cell(label(name, lang)), num(t[key], 1, "s")] for key, name in (
            ("surface_s", "doc_time_surface"), ("drainage_s", "doc_time_pipes"),
            ("exchange_s", "doc_time_exchange"), ("total_s", "doc_time_total")) if key in t]
        sec.tables.append(Table("timings-table", [Column(label("doc_item", lang)),
                                                   Column(label("doc_value", lang), True)],
                                 trows))
    return sec


def _points_section(record: RunRecord, lang: str, max_rows: int) -> Section:
    sec = Section("points", label("doc_points", lang))
    p = record.layer("assessment/waterlogging_points")
    if p is None:
        return sec
    p = p.sort_values("rank")
    shown, more = _limit(p, max_rows, lang)
    has_rp = "lowest_return_period" in p.columns
    cols = [Column(label("wm_rank", lang), True), Column(label("doc_point", lang)),
            Column(label("wm_road", lang)), Column(label("max_depth", lang) + " (m)", True),
            Column(label("wm_area", lang) + " (m²)", True),
            Column(label("wm_volume", lang) + " (m³)", True),
            Column(label("wm_duration_over", lang), True),
            Column(label("wm_first_time_over", lang), True),
            Column(label("wm_cause", lang)), Column(label("doc_evidence", lang))]
    if has_rp:
        cols.append(Column(label("doc_lowest_rp", lang), True))
    rows = []
    for r in shown.to_dict("records"):
        row = [Cell(str(int(r["rank"])), numeric=True), Cell(str(r["point_id"])),
               Cell("" if pd.isna(r.get("road")) else str(r.get("road") or "")),
               num(r["max_depth"], 2), num(r["area"], 0), num(r["volume"], 0),
               hours(r["duration_over"]), minutes(r["first_time_over"], lang),
               Cell(word(r["cause"], lang)), Cell(str(r.get("evidence") or ""))]
        if has_rp:
            row.append(num(r["lowest_return_period"], 0, "a"))
        rows.append(row)
    sec.tables.append(Table("points-table", cols, rows, more=more))
    return sec


def _underground_section(record: RunRecord, lang: str) -> Section:
    sec = Section("underground", label("doc_spaces", lang))
    sp = record.layer("assessment/underground_spaces")
    if sp is not None:
        order = {"flooded": 0, "at risk": 1, "safe": 2}
        sp = sp.assign(_o=sp["class"].map(order).fillna(3)).sort_values(
            ["_o", "lead_time"], na_position="last")
        has_deadline = "time_at_risk" in sp.columns
        cols = [Column(label("wm_space_id", lang)), Column(label("wm_name", lang)),
                Column(label("wm_kind", lang)), Column(label("wm_class", lang)),
                Column(label("doc_lead_time", lang), True)]
        if has_deadline:
            cols.append(Column(label("doc_deadline", lang), True))
        cols += [Column(label("wm_inflow_volume", lang) + " (m³)", True),
                 Column(label("doc_fill", lang) + " (m)", True),
                 Column(label("doc_time_flooded", lang), True),
                 Column(label("doc_evidence", lang))]
        rows = []
        for r in sp.to_dict("records"):
            row = [Cell(str(r["space_id"])), Cell(str(r.get("name") or "")),
                   Cell(word(r["kind"], lang)),
                   class_cell(r["class"], UNDERGROUND_COLOURS, lang),
                   minutes(r["lead_time"], lang)]
            if has_deadline:
                row.append(minutes(r["time_at_risk"], lang))
            row += [num(r["inflow_volume"], 0), num(r["fill_depth"], 2),
                    minutes(r["time_flooded"], lang), Cell(str(r.get("evidence") or ""))]
            rows.append(row)
        sec.tables.append(Table("spaces-table", cols, rows))
    ent = record.layer("assessment/underground_exposure")
    if ent is not None:
        bad = ent[ent["class"] != "safe"]
        cols = [Column(label("wm_entrance", lang)), Column(label("wm_space_id", lang)),
                Column(label("wm_class", lang)),
                Column(label("wm_max_outside_depth", lang) + " (m)", True),
                Column(label("wm_sill_height", lang) + " (m)", True),
                Column(label("doc_deadline", lang), True),
                Column(label("doc_lead_time", lang), True),
                Column(label("wm_inflow_volume", lang) + " (m³)", True)]
        rows = [[Cell(str(r["entrance_id"])), Cell(str(r["space_id"])),
                 class_cell(r["class"], UNDERGROUND_COLOURS, lang),
                 num(r["max_outside_depth"], 2), num(r["sill_height"], 2),
                 minutes(r.get("time_at_risk"), lang), minutes(r["first_inflow_time"], lang),
                 num(r["inflow_volume"], 0)] for r in bad.to_dict("records")]
        sec.tables.append(Table("entrances-table", cols, rows,
                                 caption=label("doc_entrances", lang)))
    return sec


def _sites_section(record: RunRecord, lang: str) -> Section:
    sec = Section("sites", label("doc_sites", lang))
    for key, table_id, name in (("assessment/pump_stations", "stations-table", "pump_stations"),
                                ("assessment/facilities", "facilities-table", "facilities")):
        t = record.layer(key)
        if t is None:
            continue
        idc = "station_id" if "station_id" in t.columns else "facility_id"
        extra = "extra_volume" in t.columns
        cols = [Column(label(name, lang)), Column(label("wm_name", lang)),
                Column(label("doc_site_depth", lang) + " (m)", True),
                Column(label("doc_margin", lang) + " (m)", True),
                Column(label("wm_status", lang)), Column(label("wm_failure_time", lang), True),
                Column(label("wm_relocate", lang))]
        if extra:
            cols.append(Column(label("doc_extra", lang), True))
        rows = []
        for r in t.to_dict("records"):
            failed = bool(r.get("failed"))
            row = [Cell(str(r[idc])), Cell(str(r.get("name") or "")),
                   num(r.get("max_site_depth"), 2), num(r.get("margin"), 2),
                   class_cell("failed" if failed else "working", STATION_COLOURS, lang),
                   minutes(r.get("failure_time"), lang),
                   Cell(label("wm_yes" if r.get("relocate") else "wm_no", lang))]
            if extra:
                row.append(Cell(f"+{float(r['extra_flooded_area']) / 1e4:.2f} ha, "
                                 f"+{float(r['extra_volume']):,.0f} m³", numeric=True)
                           if finite(r.get("extra_volume")) else Cell("–", numeric=True))
            rows.append(row)
        sec.tables.append(Table(table_id, cols, rows, caption=label(name, lang)))
    return sec


def _periods_section(record: RunRecord, lang: str) -> Section | None:
    t = record.layer("assessment/return_periods")
    if t is None or not len(t):
        return None
    sec = Section("periods", label("doc_periods", lang))
    cols = [Column(label("doc_lowest_rp", lang).split(" ")[0] if lang == "en" else "重现期",
                    True),
            Column(label("doc_flooded_area", lang) + f" ({record.threshold:g} m)", True),
            Column(label("wm_volume", lang) + " (m³)", True),
            Column(label("entrances", lang), True)]
    rows = [[num(r["return_period"], 0, "a"), num(float(r["flooded_area"]) / 1e4, 2, "ha"),
             num(r["flooded_volume"], 0), Cell(str(int(r["entrances_flooded"])), numeric=True)]
            for r in t.to_dict("records")]
    sec.tables.append(Table("periods-table", cols, rows))
    return sec


def _maps_section(maps: Mapping[str, Path], lang: str) -> Section:
    sec = Section("maps", label("doc_maps", lang))
    for name in MAP_ORDER:
        path = maps.get(name)
        if path is not None and Path(path).is_file():
            sec.figures.append({"src": data_uri(Path(path).read_bytes()),
                                "caption": label(_MAP_TITLES[name], lang)})
    return sec


def _changes_section(record: RunRecord, previous: RunRecord, lang: str,
                     settings: CompareSettings) -> Section:
    sec = Section("changes", label("doc_changes", lang))
    sec.notes.append(f"{label('doc_previous', lang)}: {previous.name} · {previous.run_id} · "
                     f"{previous.finished}")
    cur_a = record.layer("assessment/waterlogging_areas")
    prev_a = previous.layer("assessment/waterlogging_areas")
    if cur_a is not None and prev_a is not None:
        t = compare_points(cur_a, prev_a, settings)
        t = t[t["status"] != "unchanged"]
        counts = change_counts(t)
        sec.notes.append(", ".join(f"{label('doc_' + k, lang)} {counts[k]}"
                                   for k in ("new", "worsened", "improved", "resolved")))
        cols = [Column(label("doc_status", lang)), Column(label("doc_now", lang)),
                Column(label("doc_previous", lang)),
                Column(label("max_depth", lang) + " (m)", True),
                Column(label("doc_previous", lang) + " (m)", True),
                Column(label("wm_volume", lang) + " (m³)", True)]
        rows = [[Cell(label("doc_" + r["status"], lang)), Cell(r["point_id"]),
                 Cell(r["previous_id"]), num(r["max_depth"], 2),
                 num(r["previous_max_depth"], 2), num(r["volume"], 0)]
                for r in t.to_dict("records")]
        sec.tables.append(Table("changes-points-table", cols, rows,
                                 caption=label("waterlogging_points", lang)))
    cur_e = record.layer("assessment/underground_exposure")
    prev_e = previous.layer("assessment/underground_exposure")
    if cur_e is not None and prev_e is not None:
        t = compare_entrances(cur_e, prev_e, settings)
        t = t[t["status"] != "unchanged"]
        cols = [Column(label("doc_status", lang)), Column(label("wm_entrance", lang)),
                Column(label("doc_now", lang)), Column(label("doc_previous", lang)),
                Column(label("wm_inflow_volume", lang) + " (m³)", True)]
        rows = [[Cell(label("doc_" + r["status"], lang)), Cell(r["entrance_id"]),
                 class_cell(r["class"], UNDERGROUND_COLOURS, lang),
                 class_cell(r["previous_class"], UNDERGROUND_COLOURS, lang)
                 if r["previous_class"] else Cell("–"),
                 num(r["inflow_volume"], 0)] for r in t.to_dict("records")]
        sec.tables.append(Table("changes-entrances-table", cols, rows,
                                 caption=label("entrances", lang)))
    return sec


def _method_section(record: RunRecord, lang: str) -> Section:
    sec = Section("method", label("doc_method", lang))
    cfg = record.config
    a = cfg.get("assessment") or {}
    rows = [[Cell("waterlogging threshold"), num(record.threshold, 2, "m")]]
    settings = (a.get("settings") or {}) if isinstance(a, dict) else {}
    for part in ("underground", "sites", "hazard", "risk"):
        values = settings.get(part) or {}
        for k, v in values.items():
            if isinstance(v, (int, float, str)) and not isinstance(v, bool):
                rows.append([Cell(f"{part}.{k}"), Cell(str(v), numeric=True)])
    sec.tables.append(Table("thresholds-table", [Column(label("doc_thresholds", lang)),
                                                  Column(label("doc_value", lang), True)],
                             rows, caption=label("unverified", lang)))
    sec.notes.append(f"{label('doc_sources', lang)}: {record.sources()}")
    versions = record.manifest.get("versions") or {}
    sec.notes.append(f"{label('doc_versions', lang)}: " + ", ".join(
        f"{k} {v}" for k, v in versions.items() if k in (
            "floodrisk", "python", "swmm-toolkit", "pyswmm", "numpy", "rasterio",
            "gdal (rasterio)", "geopandas")))
    return sec


# ---- the page --------------------------------------------------------------------------
def build_report(record: RunRecord, *, lang: str = "en", maps: Mapping[str, Path] | None = None,
                 previous: RunRecord | None = None, pdf_name: str | None = None,
                 max_rows: int = 100, compare: CompareSettings | None = None,
                 today: dt.date | None = None) -> str:
    """The report of a finished run as one self-contained HTML page.

    Parameters
    ----------
    record
        The run (:func:`floodrisk.io.run_record.read_run`).
    lang
        ``"en"`` or ``"zh"``.
    maps
        Map sheet name (:data:`MAP_ORDER`) → PNG file, embedded in the page.
    previous
        A previous assessment of the same area, to say what changed.
    pdf_name
        Name of the printable copy, mentioned in the header when one is made.
    max_rows
        Waterlogging points listed at most (the rest are counted; all are in the
        GeoPackage).
    compare
        How points and entrances are matched against ``previous``.
    today
        Date printed as the report's date (default today).

    Returns
    -------
    str
        The HTML text.
    """
    env = Environment(loader=PackageLoader("floodrisk.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("report.html.j2")
    sections = [_storm_section(record, lang), _balance_section(record, lang),
                _points_section(record, lang, max_rows), _underground_section(record, lang),
                _sites_section(record, lang)]
    periods = _periods_section(record, lang)
    if periods is not None:
        sections.append(periods)
    if maps:
        sections.append(_maps_section(maps, lang))
    if previous is not None:
        sections.append(_changes_section(record, previous, lang, compare or CompareSettings()))
    sections.append(_method_section(record, lang))
    today = today or dt.date.today()
    from .. import __version__
    return template.render(
        html_lang="zh-CN" if lang == "zh" else "en", version=__version__,
        title=label("report", lang), study=record.name,
        scenario_line=_scenario_line(record, lang),
        dates_line=f"{label('doc_run', lang)}: {record.run_id}, {record.finished} · "
                   f"{label('doc_drawn', lang)}: {today.isoformat()}",
        pdf_note=label("doc_pdf_note", lang).replace("report.pdf", pdf_name) if pdf_name else "",
        h={"summary": label("doc_summary", lang)}, cards=_cards(record, lang),
        sections=sections, none_found=label("doc_none_found", lang))


def table_counts(html: str) -> dict[str, int]:
    """``{table id: data-rows}`` of a report page (for checks and tests)."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(
        r'id="([a-z-]+-table)" data-rows="(\d+)"', html)}
