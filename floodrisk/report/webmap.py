"""An interactive web map of a run: one self-contained HTML file that works offline.

The page holds everything it shows: Leaflet (from the ``xstatic-leaflet`` package,
inlined), a hillshade of the DEM as its base, the maximum depth, hazard and risk classes
as image overlays, and the waterlogging points, underground entrances and pump stations
as GeoJSON layers whose popups give their numbers with units. It makes no network
request (no tiles, no CDN, no fonts), so it opens from a USB stick or an e-mail.

Rasters are warped to Web Mercator (EPSG:3857, Leaflet's default map CRS) and placed
with ``L.imageOverlay`` at the warped raster's bounds in longitude/latitude: a north-up
rectangle in EPSG:3857 is one in longitude/latitude, and Leaflet stretches the image
linearly between its projected corners, so each pixel lands where the warp put it.
Vector layers are reprojected to EPSG:4326.

Every string from user data (ids, names, roads, the study's name) reaches the page as
data: JSON inside ``<script type="application/json">`` blocks with ``<`` escaped, read
with ``JSON.parse`` and put into the page with ``textContent``, never as markup.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from pyproj import CRS, Transformer
from rasterio.crs import CRS as RioCRS
from rasterio.transform import array_bounds
from rasterio.warp import Resampling, calculate_default_transform, reproject

from ..errors import CRSError, FloodRiskError, RunFolderError
from ..grid import Grid
from ..io.files import atomic_write
from ..io.run_record import RunRecord
from .colours import (DEFRA_COLOURS, DEPTH_COLOURS, RISK_COLOURS, STATION_COLOURS,
                      UNDERGROUND_COLOURS, depth_class_labels, depth_classes,
                      hex_to_rgb)
from .labels import label
from .maps import hillshade_rgb
from .page import minutes_text

__all__ = ["build_webmap", "write_webmap"]

log = logging.getLogger(__name__)

#: Web Mercator, the CRS of Leaflet's default map.
_MERCATOR = CRS.from_epsg(3857)
#: Longitude/latitude of GeoJSON and of Leaflet's bounds.
_LONLAT = CRS.from_epsg(4326)
#: Opacity of the class overlays over the hillshade.
_OVERLAY_OPACITY = 0.75


# ---- Leaflet -------------------------------------------------------------------------

def _leaflet() -> tuple[str, str]:
    """Leaflet's script and style sheet, ready to inline: the style sheet's images as
    data URIs, the source-map comment removed (nothing may be fetched)."""
    try:
        from xstatic.pkg import leaflet as xleaflet
    except ImportError as exc:
        raise FloodRiskError("the web map needs Leaflet from the xstatic-leaflet package, "
                             "which is not installed.",
                             hint="Install it: pip install xstatic-leaflet.") from exc
    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S*\s*$", "", js)

    def inline(match: re.Match[str]) -> str:
        data = (base / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    if "</script" in js.lower() or "</style" in css.lower():  # would end the inline block
        raise FloodRiskError("this Leaflet build cannot be inlined (it holds a closing "
                             "script or style tag).", path=base,
                             hint="Install xstatic-leaflet==1.9.3.0.")
    return js, css


# ---- rasters ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Warped:
    """A raster warped to Web Mercator: bands (k, rows, cols), transform and its bounds in
    longitude/latitude (south, west, north, east order as Leaflet wants them)."""

    bands: np.ndarray
    transform: Any
    latlon_bounds: tuple[tuple[float, float], tuple[float, float]]


def _rio_crs(grid: Grid, name: str) -> RioCRS:
    if grid.crs is None:
        raise CRSError(f"the run's {name}.tif has no CRS, so it cannot be placed on the web "
                       "map.", layer=name, hint="Rerun the study with a projected CRS.")
    return RioCRS.from_wkt(grid.crs.to_wkt())


def _warp(bands: np.ndarray, grid: Grid, name: str, resampling: Resampling,
          max_pixels: int) -> _Warped:
    """Warp ``bands`` (k, rows, cols) on ``grid``'s geometry to EPSG:3857, at most
    ``max_pixels`` on a side; cells outside the source are 0."""
    src_crs, dst_crs = _rio_crs(grid, name), RioCRS.from_epsg(3857)
    rows, cols = grid.shape
    transform, width, height = calculate_default_transform(src_crs, dst_crs, cols, rows,
                                                           *grid.bounds)
    scale = max(width, height) / max_pixels
    if scale > 1:
        transform, width, height = calculate_default_transform(
            src_crs, dst_crs, cols, rows, *grid.bounds,
            resolution=(transform.a * scale, -transform.e * scale))
        log.info("web map: %s downsampled to %d × %d px", name, width, height)
    out = np.zeros((bands.shape[0], height, width), dtype=bands.dtype)
    reproject(source=bands, destination=out, src_transform=grid.transform, src_crs=src_crs,
              dst_transform=transform, dst_crs=dst_crs, resampling=resampling,
              src_nodata=0 if resampling == Resampling.nearest else None, dst_nodata=0)
    west, south, east, north = array_bounds(height, width, transform)
    to_lonlat = Transformer.from_crs(_MERCATOR, _LONLAT, always_xy=True)
    lon0, lat0 = to_lonlat.transform(west, south)
    lon1, lat1 = to_lonlat.transform(east, north)
    return _Warped(out, transform, ((lat0, lon0), (lat1, lon1)))


def _png_uri(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _classes_png(classes: np.ndarray, colours: dict[int, str]) -> str:
    """Palette PNG of class numbers (0: transparent)."""
    palette = [0, 0, 0] * 256
    for k, colour in colours.items():
        palette[3 * k:3 * k + 3] = hex_to_rgb(colour)
    img = Image.fromarray(classes.astype(np.uint8), mode="P")
    img.putpalette(palette)
    img.info["transparency"] = 0
    return _png_uri(img)


def _class_grid(grid: Grid, top: int) -> np.ndarray:
    """Class numbers 1..top of a class grid as uint8; 0 for none, NaN or out of range."""
    v = np.where(np.isfinite(grid.values), np.rint(grid.values), 0)
    return np.where((v >= 1) & (v <= top), v, 0).astype(np.uint8)


def _image_overlays(record: RunRecord, lang: str, max_pixels: int) -> list[dict[str, Any]]:
    """The class overlays the run has: depth, FD2320 hazard, risk."""
    depth_colours = {k + 1: c for k, c in enumerate(DEPTH_COLOURS)}
    specs = (
        ("max_depth", lambda g: depth_classes(g.values), depth_colours,
         f"{label('max_depth', lang)} (m)",
         list(zip(DEPTH_COLOURS, depth_class_labels())), True, ""),
        ("hazard_defra", lambda g: _class_grid(g, 4), DEFRA_COLOURS,
         label("hazard_defra", lang),
         [(DEFRA_COLOURS[k], label(f"defra_{w}", lang)) for k, w in
          ((1, "low"), (2, "moderate"), (3, "significant"), (4, "extreme"))], False, ""),
        ("risk", lambda g: _class_grid(g, 3), RISK_COLOURS, label("risk", lang),
         [(RISK_COLOURS[k], label(w, lang)) for k, w in ((1, "low"), (2, "medium"), (3, "high"))],
         False, label("unverified", lang)),
    )
    out = []
    for name, classify, colours, title, items, visible, note in specs:
        grid = record.grids.get(name)
        if grid is None:
            log.info("web map: the run has no %s.tif; layer left out", name)
            continue
        warped = _warp(classify(grid)[None], grid, name, Resampling.nearest, max_pixels)
        out.append({"id": name, "name": title, "url": _classes_png(warped.bands[0], colours),
                    "bounds": warped.latlon_bounds, "opacity": _OVERLAY_OPACITY,
                    "visible": visible,
                    "legend": {"title": title, "note": note, "shape": "box",
                               "items": [list(i) for i in items]}})
    return out


def _hillshade(record: RunRecord, lang: str, max_pixels: int) -> dict[str, Any]:
    terrain = record.grid("elevation")
    rgba = np.clip(np.rint(hillshade_rgb(terrain) * 255), 0, 255).astype(np.uint8)
    warped = _warp(np.moveaxis(rgba, 2, 0), terrain, "elevation", Resampling.bilinear,
                   max_pixels)
    img = Image.fromarray(np.ascontiguousarray(np.moveaxis(warped.bands, 0, 2)), mode="RGBA")
    return {"id": "hillshade", "name": label("wm_hillshade", lang), "url": _png_uri(img),
            "bounds": warped.latlon_bounds}


# ---- vector layers -------------------------------------------------------------------

def _missing(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _word(value: Any, lang: str) -> str:
    """A class or kind in ``lang`` when the labels know it, else as it is."""
    text = str(value)
    try:
        return label(text, lang)
    except FloodRiskError:
        return text


def _number(v: Any, unit: str, digits: int, lang: str) -> str:
    if _missing(v):
        return label("wm_no_data", lang)
    return f"{float(v):,.{digits}f} {unit}"


def _text(v: Any, lang: str) -> str:
    return label("wm_no_data", lang) if _missing(v) or str(v) == "" else str(v)


def _flag(v: Any) -> bool | None:
    if _missing(v):
        return None
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes")
    return bool(v)


def _waterlogging_rows(r: pd.Series, lang: str) -> tuple[str, list[list[str]], str]:
    rows = [[label("wm_rank", lang), _text(r.get("rank"), lang)],
            [label("max_depth", lang), _number(r.get("max_depth"), "m", 2, lang)],
            [label("wm_area", lang), _number(r.get("area"), "m²", 0, lang)],
            [label("wm_volume", lang), _number(r.get("volume"), "m³", 0, lang)],
            [label("wm_duration_over", lang), minutes_text(r.get("duration_over"), lang)],
            [label("wm_first_time_over", lang), minutes_text(r.get("first_time_over"), lang)],
            [label("wm_cause", lang), _word(_text(r.get("cause"), lang), lang)],
            [label("wm_road", lang), _text(r.get("road"), lang)]]
    d = r.get("max_depth")
    k = 0 if _missing(d) else int(depth_classes(np.array([float(d)]))[0])
    colour = DEPTH_COLOURS[k - 1] if k else "#ffffff"
    return label("wm_waterlogging_point", lang), rows, colour


def _entrance_rows(r: pd.Series, lang: str) -> tuple[str, list[list[str]], str]:
    rows = [[label("wm_space_id", lang), _text(r.get("space_id"), lang)],
            [label("wm_kind", lang), _word(_text(r.get("kind"), lang), lang)],
            [label("wm_max_outside_depth", lang),
             _number(r.get("max_outside_depth"), "m", 2, lang)],
            [label("wm_sill_height", lang), _number(r.get("sill_height"), "m", 2, lang)]]
    if "time_at_risk" in r.index:  # older runs have none
        rows.append([label("wm_time_at_risk", lang), minutes_text(r.get("time_at_risk"), lang)])
    rows += [[label("wm_first_inflow_time", lang), minutes_text(r.get("first_inflow_time"), lang)],
             [label("wm_inflow_volume", lang), _number(r.get("inflow_volume"), "m³", 0, lang)],
             [label("wm_class", lang), _word(_text(r.get("class"), lang), lang)]]
    colour = UNDERGROUND_COLOURS.get(str(r.get("class")), "#ffffff")
    return label("wm_entrance", lang), rows, colour


def _station_rows(r: pd.Series, lang: str) -> tuple[str, list[list[str]], str]:
    failed, relocate = _flag(r.get("failed")), _flag(r.get("relocate"))
    status = None if failed is None else ("failed" if failed else "working")
    rows = [[label("wm_name", lang), _text(r.get("name"), lang)],
            [label("wm_max_site_depth", lang), _number(r.get("max_site_depth"), "m", 2, lang)],
            [label("wm_status", lang), label(status or "wm_no_data", lang)],
            [label("wm_failure_time", lang), minutes_text(r.get("failure_time"), lang)],
            [label("wm_relocate", lang),
             label("wm_no_data" if relocate is None else "wm_yes" if relocate else "wm_no", lang)]]
    colour = STATION_COLOURS.get(status or "", "#ffffff")
    return label("wm_pump_station", lang), rows, colour


#: Point layers: record key, id column, label key of the layer, popup rows, marker class,
#: radius (px), legend (colour table, keys translated or not).
_POINT_LAYERS = (
    ("assessment/waterlogging_points", "point_id", "waterlogging_points", _waterlogging_rows,
     "fr-waterlogging", 7),
    ("assessment/underground_exposure", "entrance_id", "entrances", _entrance_rows,
     "fr-entrance", 6),
    ("assessment/pump_stations", "station_id", "pump_stations", _station_rows, "fr-station", 9),
)


def _point_legend(key: str, lang: str) -> list[list[str]]:
    if key == "waterlogging_points":
        return [[c, f"{label('max_depth', lang)} {t}"]
                for c, t in zip(DEPTH_COLOURS, depth_class_labels())]
    table = UNDERGROUND_COLOURS if key == "entrances" else STATION_COLOURS
    return [[c, label(k, lang)] for k, c in table.items()]


def _feature_collection(frame: pd.DataFrame, layer: str, id_col: str, rows_of, lang: str,
                        crs: CRS | None) -> dict[str, Any]:
    """GeoJSON (EPSG:4326) of a point layer with each feature's popup title and rows."""
    from shapely.geometry import mapping

    if frame.crs is None:
        if crs is None:
            raise CRSError("the layer has no CRS, so it cannot be placed on the web map.",
                           layer=layer, hint="Rerun the study with a projected CRS.")
        frame = frame.set_crs(crs)
    geo = frame.to_crs(_LONLAT)
    features = []
    skipped = []
    for (_, r), geom in zip(geo.iterrows(), geo.geometry):
        fid = _text(r.get(id_col), lang)
        if geom is None or geom.is_empty:
            skipped.append(fid)
            continue
        title, rows, colour = rows_of(r, lang)
        features.append({"type": "Feature", "geometry": mapping(geom),
                         "properties": {"id": fid, "title": f"{title} {fid}", "rows": rows,
                                        "colour": colour}})
    if skipped:
        log.warning("web map: layer %s: %d features without a location left out (%s)",
                    layer, len(skipped), ", ".join(skipped[:8]))
    return {"type": "FeatureCollection", "features": features}


def _point_layers(record: RunRecord, lang: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The point layers' settings and their GeoJSON, by data block id."""
    layers, data = [], {}
    for key, id_col, name_key, rows_of, css_class, radius in _POINT_LAYERS:
        frame = record.layer(key)
        if frame is None or "geometry" not in frame or not hasattr(frame, "crs"):
            log.info("web map: the run has no layer %s with locations; layer left out", key)
            continue
        block = "fr-data-" + key.split("/")[-1].replace("_", "-")
        data[block] = _feature_collection(frame, key, id_col, rows_of, lang, record.crs)
        name = label(name_key, lang)
        layers.append({"id": key, "name": name, "data": block, "className": css_class,
                       "radius": radius, "visible": True,
                       "legend": {"title": name, "note": "", "shape": "circle",
                                  "items": _point_legend(name_key, lang)}})
    return layers, data


# ---- page ----------------------------------------------------------------------------

def _json_block(block_id: str, value: Any) -> str:
    """``<script type="application/json">`` holding ``value``; "<", ">" and "&" are
    escaped so that no string in it can end the block or open a comment."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{block_id}">{text}</script>'


_CSS = """
html, body { height: 100%; margin: 0; font-family: sans-serif; }
#map { position: absolute; inset: 0; background: #e8e8e8; }
.fr-box { background: rgba(255, 255, 255, 0.92); padding: 6px 9px; border-radius: 4px;
          box-shadow: 0 1px 4px rgba(0, 0, 0, 0.35); font-size: 12px; line-height: 1.35; }
.fr-title { font-size: 14px; font-weight: bold; }
.fr-sub { color: #444; }
.fr-legend { max-width: 260px; }
.fr-legend h4 { margin: 6px 0 2px; font-size: 12px; }
.fr-legend .fr-note { color: #666; font-style: italic; }
.fr-swatch { display: inline-block; width: 14px; height: 11px; margin-right: 6px;
             vertical-align: middle; border: 1px solid #555; }
.fr-swatch.fr-circle { border-radius: 50%; width: 11px; }
.fr-classes { image-rendering: pixelated; }
.fr-popup table { border-collapse: collapse; }
.fr-popup th { text-align: left; font-weight: normal; color: #444; padding: 1px 8px 1px 0;
               vertical-align: top; }
.fr-popup td { font-weight: bold; padding: 1px 0; }
.fr-popup .fr-ptitle { font-size: 13px; font-weight: bold; margin-bottom: 4px; }
"""

_APP = r"""
(function () {
  "use strict";
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function esc(text) {  // for Leaflet's controls, which take their names as markup
    var d = document.createElement("div");
    d.textContent = text;
    return d.innerHTML;
  }
  function popup(p) {
    var box = el("div", "fr-popup");
    el("div", "fr-ptitle", p.title, box);
    var table = el("table", null, null, box);
    p.rows.forEach(function (row) {
      var tr = el("tr", null, null, table);
      el("th", null, row[0], tr);
      el("td", null, row[1], tr);
    });
    return box;
  }
  var cfg = data("fr-config");
  var map = L.map("map", {zoomSnap: 0.25, preferCanvas: false});
  map.attributionControl.addAttribution(esc(cfg.attribution));
  L.control.scale({metric: true, imperial: false}).addTo(map);
  var base = {}, overlays = {}, legends = [];
  var shade = L.imageOverlay(cfg.base.url, cfg.base.bounds, {interactive: false});
  shade.addTo(map);
  base[esc(cfg.base.name)] = shade;
  cfg.images.forEach(function (o) {
    var layer = L.imageOverlay(o.url, o.bounds, {opacity: o.opacity, interactive: false,
                                                 className: "fr-classes"});
    overlays[esc(o.name)] = layer;
    legends.push([layer, o.legend]);
    if (o.visible) { layer.addTo(map); }
  });
  cfg.points.forEach(function (o) {
    var layer = L.geoJSON(data(o.data), {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: o.radius, color: "#222", weight: 1,
                                       fillColor: f.properties.colour, fillOpacity: 0.95,
                                       className: o.className});
      },
      onEachFeature: function (f, marker) {
        marker.bindPopup(function () { return popup(f.properties); }, {maxWidth: 360});
      }
    });
    overlays[esc(o.name)] = layer;
    legends.push([layer, o.legend]);
    if (o.visible) { layer.addTo(map); }
  });
  L.control.layers(base, overlays, {collapsed: false}).addTo(map);

  var head = L.control({position: "topleft"});
  head.onAdd = function () {
    var box = el("div", "fr-box");
    el("div", "fr-title", cfg.title, box);
    cfg.subtitle.forEach(function (line) { el("div", "fr-sub", line, box); });
    return box;
  };
  head.addTo(map);

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    this.box = el("div", "fr-box fr-legend");
    this.update();
    return this.box;
  };
  legend.update = function () {
    var box = this.box;
    while (box.firstChild) { box.removeChild(box.firstChild); }
    el("div", "fr-title", cfg.legendTitle, box);
    legends.forEach(function (entry) {
      if (!map.hasLayer(entry[0])) { return; }
      var spec = entry[1];
      el("h4", null, spec.title, box);
      spec.items.forEach(function (item) {
        var row = el("div", null, null, box);
        var sw = el("span", "fr-swatch" + (spec.shape === "circle" ? " fr-circle" : ""), null, row);
        sw.style.backgroundColor = item[0];
        row.appendChild(document.createTextNode(item[1]));
      });
      if (spec.note) { el("div", "fr-note", spec.note, box); }
    });
  };
  legend.addTo(map);
  map.on("overlayadd overlayremove", function () { legend.update(); });
  map.fitBounds(cfg.base.bounds);
})();
"""


def build_webmap(record: RunRecord, *, lang: str = "en", max_pixels: int = 2000) -> str:
    """The interactive web map of a run as one self-contained HTML page.

    Parameters
    ----------
    record
        A finished run (:func:`~floodrisk.io.run_record.read_run`); it must hold
        ``elevation.tif``. Overlays and layers the run lacks are left out.
    lang
        Language of the page's words: "en" or "zh".
    max_pixels
        Longest side of an overlay image, px; larger warps are downsampled.

    Returns
    -------
    str
        The HTML text (UTF-8), with Leaflet, the images and the data inlined.

    Raises
    ------
    RunFolderError
        The run has no ``elevation.tif``.
    CRSError
        A grid or layer has no CRS.
    """
    label("web_map", lang)  # refuses an unknown language before any work
    if "elevation" not in record.grids:
        raise RunFolderError("the run has no elevation.tif, the base of the web map.",
                             path=record.path, hint="Give a complete run folder.")
    js, css = _leaflet()
    points, blocks = _point_layers(record, lang)
    storm_info = record.summary.get("storm")
    storm = (storm_info.get("name") if isinstance(storm_info, dict) else None) or \
        (record.storm.name if record.storm is not None else "")
    subtitle = [f"{label('wm_storm', lang)}: {storm}"] if storm else []
    if record.finished:
        subtitle.append(f"{label('wm_finished', lang)}: {record.finished}")
    title = f"{label('web_map', lang)}: {record.name}"
    config = {"title": title, "subtitle": subtitle, "legendTitle": label("legend", lang),
              "attribution": f"floodrisk · {record.name}",
              "base": _hillshade(record, lang, max_pixels),
              "images": _image_overlays(record, lang, max_pixels), "points": points}
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{css}</style>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        '<div id="map"></div>',
        _json_block("fr-config", config),
        *(_json_block(k, v) for k, v in blocks.items()),
        f"<script>{js}</script>",
        f"<script>{_APP}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def write_webmap(record: RunRecord, path: str | PathLike[str], *, lang: str = "en") -> Path:
    """Write :func:`build_webmap` to ``path`` (``map.html`` in a run folder), atomically.

    Parameters
    ----------
    record
        A finished run.
    path
        The HTML file to write (replaced if it exists).
    lang
        "en" or "zh".
    """
    text = build_webmap(record, lang=lang)
    out = atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    log.info("web map written: %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out
