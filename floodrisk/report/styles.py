"""QGIS layer styles (QML) of the assessment layers, so that ``assessment.gpkg`` opens styled.

Each style is a QGIS ``.qml`` document built with :mod:`xml.etree.ElementTree`: a
categorized, graduated or single-symbol renderer over the layer's own column, with the
colours of :mod:`floodrisk.report.colours` (the same as the map sheets and the web map)
and legend words from :mod:`floodrisk.report.labels` in the report's language.
:func:`floodrisk.io.gpkg_styles.write_layer_styles` stores them in the GeoPackage.

Symbol layers carry their properties twice, as ``<Option type="Map">`` (QGIS ≥ 3.26) and
as ``<prop k v>`` (read by every QGIS 3), so that older and newer QGIS read them alike.

Graduated classes follow the project's edge rule (a value exactly at a class edge is in
the higher class): QGIS takes the first range with ``lower ≤ value ≤ upper``, so each
range but the last ends one float64 step below the next range's lower edge.
"""

from __future__ import annotations

import logging
import math
import sys
import xml.etree.ElementTree as ET
from collections.abc import Collection, Sequence
from typing import Literal

from ..errors import InputError
from . import colours as C
from .labels import label

__all__ = ["Geometry", "QGIS_VERSION", "categorized_qml", "geometry_kind", "graduated_qml",
           "layer_style", "single_qml", "style_description"]

log = logging.getLogger(__name__)

#: QGIS version written in the documents (an LTR; QGIS reads styles of other versions).
QGIS_VERSION = "3.28.0-Firenze"

Geometry = Literal["point", "line", "polygon"]

_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
_GEOMETRY_TYPE = {"point": "0", "line": "1", "polygon": "2"}
_SYMBOL_TYPE = {"point": "marker", "line": "line", "polygon": "fill"}
_OUTLINE = "#232323"
_PLAIN = "#808080"   # layers the report has no classes for

#: Edges of the spilled-volume classes of manholes that overflowed, m³.
VOLUME_EDGES = (10.0, 100.0, 1000.0)


def geometry_kind(geometry_type: str | None) -> Geometry | None:
    """``"point"``, ``"line"`` or ``"polygon"`` for an OGR geometry type name
    (``"MultiPolygon"``, ``"LineString"``, ...); None for a table without geometry."""
    if not geometry_type:
        return None
    g = geometry_type.lower().removeprefix("multi").split(" ")[0]
    if g.startswith("point"):
        return "point"
    if g.startswith("line") or g.startswith("curve") or g.startswith("compoundcurve"):
        return "line"
    if g.startswith("polygon") or g.startswith("surface") or g.startswith("curvepolygon"):
        return "polygon"
    return None


def _rgba(colour: str, alpha: float = 1.0) -> str:
    r, g, b = C.hex_to_rgb(colour)
    return f"{r},{g},{b},{round(255 * alpha)}"


def _properties(parent: ET.Element, props: dict[str, str]) -> None:
    """A symbol layer's properties, in both of QGIS's encodings."""
    options = ET.SubElement(parent, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(options, "Option", type="QString", name=key, value=value)
    for key, value in props.items():
        ET.SubElement(parent, "prop", k=key, v=value)


def _symbol(parent: ET.Element, name: str, geometry: Geometry, colour: str, *,
            shape: str = "circle", size: float = 3.0, width: float = 0.6,
            alpha: float = 1.0) -> ET.Element:
    """A one-layer symbol: simple marker (point), simple line or simple fill."""
    symbol = ET.SubElement(parent, "symbol", type=_SYMBOL_TYPE[geometry], name=name,
                           alpha=f"{alpha:g}", clip_to_extent="1", force_rhr="0")
    if geometry == "point":
        cls = "SimpleMarker"
        props = {"angle": "0", "color": _rgba(colour), "horizontal_anchor_point": "1",
                 "joinstyle": "bevel", "name": shape, "offset": "0,0", "offset_unit": "MM",
                 "outline_color": _rgba(_OUTLINE), "outline_style": "solid",
                 "outline_width": "0.2", "outline_width_unit": "MM",
                 "scale_method": "diameter", "size": f"{size:g}", "size_unit": "MM",
                 "vertical_anchor_point": "1"}
    elif geometry == "line":
        cls = "SimpleLine"
        props = {"capstyle": "round", "joinstyle": "round", "line_color": _rgba(colour),
                 "line_style": "solid", "line_width": f"{width:g}", "line_width_unit": "MM",
                 "offset": "0", "offset_unit": "MM", "use_custom_dash": "0"}
    else:
        cls = "SimpleFill"
        props = {"color": _rgba(colour), "joinstyle": "bevel", "offset": "0,0",
                 "offset_unit": "MM", "outline_color": _rgba(_OUTLINE),
                 "outline_style": "solid", "outline_width": "0.2",
                 "outline_width_unit": "MM", "style": "solid"}
    layer = ET.SubElement(symbol, "layer", {"class": cls, "enabled": "1", "locked": "0",
                                            "pass": "0"})
    _properties(layer, props)
    return symbol


def _renderer(kind: str, **attrs: str) -> ET.Element:
    return ET.Element("renderer-v2", type=kind, symbollevels="0", forceraster="0",
                      enableorderby="0", referencescale="-1", **attrs)


def _document(renderer: ET.Element, geometry: Geometry) -> str:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerGeometryType").text = _GEOMETRY_TYPE[geometry]
    ET.indent(root)
    return _DOCTYPE + ET.tostring(root, encoding="unicode") + "\n"


def _check_geometry(geometry: str) -> None:
    if geometry not in _GEOMETRY_TYPE:
        raise InputError(f"unknown geometry {geometry!r}; give point, line or polygon.",
                         field="geometry")


def single_qml(geometry: Geometry, colour: str, *, shape: str = "circle",
               alpha: float = 1.0) -> str:
    """QML of a single-symbol renderer.

    Parameters
    ----------
    geometry
        ``"point"``, ``"line"`` or ``"polygon"``.
    colour
        ``"#rrggbb"``.
    shape
        QGIS marker name for points (``circle``, ``triangle``, ``square``, ``diamond``,
        ``cross2`` ...).
    alpha
        Opacity of the symbol, 0-1.
    """
    _check_geometry(geometry)
    renderer = _renderer("singleSymbol")
    symbols = ET.SubElement(renderer, "symbols")
    _symbol(symbols, "0", geometry, colour, shape=shape, alpha=alpha)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return _document(renderer, geometry)


def categorized_qml(attr: str, classes: Sequence[tuple[str | int | float, str, str]],
                    geometry: Geometry, *, shape: str = "circle", alpha: float = 1.0) -> str:
    """QML of a categorized renderer.

    Parameters
    ----------
    attr
        The column (or a QGIS expression) whose value picks the class.
    classes
        ``(value, legend label, colour "#rrggbb")`` per class, in legend order. String
        values match as strings; int and float values as numbers.
    geometry
        ``"point"``, ``"line"`` or ``"polygon"``.
    shape
        QGIS marker name for points.
    alpha
        Opacity of the symbols, 0-1.
    """
    _check_geometry(geometry)
    renderer = _renderer("categorizedSymbol", attr=attr)
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for k, (value, text, colour) in enumerate(classes):
        vtype = ("long" if isinstance(value, int) and not isinstance(value, bool)
                 else "double" if isinstance(value, float) else "string")
        ET.SubElement(cats, "category", value=str(value), type=vtype, symbol=str(k),
                      label=text, render="true")
        _symbol(symbols, str(k), geometry, colour, shape=shape, alpha=alpha)
    source = ET.SubElement(renderer, "source-symbol")
    _symbol(source, "0", geometry, C.NONE_COLOUR, shape=shape, alpha=alpha)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return _document(renderer, geometry)


def graduated_qml(attr: str, edges: Sequence[float], labels: Sequence[str],
                  colours: Sequence[str], geometry: Geometry, *, shape: str = "circle",
                  sizes: Sequence[float] | None = None, alpha: float = 1.0) -> str:
    """QML of a graduated renderer over fixed class edges.

    Class k holds ``edges[k] ≤ value < edges[k + 1]``; the last class is open above. A
    value exactly at an edge is in the higher class.

    Parameters
    ----------
    attr
        The numeric column.
    edges
        Lower edges of the classes, increasing, in the column's unit.
    labels, colours
        Legend label and ``"#rrggbb"`` colour of each class.
    geometry
        ``"point"``, ``"line"`` or ``"polygon"``.
    shape
        QGIS marker name for points.
    sizes
        Marker size of each class, mm (points only; default 3 mm each).
    alpha
        Opacity of the symbols, 0-1.
    """
    _check_geometry(geometry)
    n = len(edges)
    if not (n == len(labels) == len(colours)) or n == 0:
        raise InputError(f"give one label and one colour per class edge ({n} edges, "
                         f"{len(labels)} labels, {len(colours)} colours).", field="edges")
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise InputError(f"class edges must increase, got {list(edges)}.", field="edges")
    renderer = _renderer("graduatedSymbol", attr=attr, graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for k in range(n):
        lower = float(edges[k])
        upper = math.nextafter(float(edges[k + 1]), -math.inf) if k + 1 < n \
            else sys.float_info.max
        ET.SubElement(ranges, "range", lower=repr(lower), upper=repr(upper), symbol=str(k),
                      label=labels[k], render="true")
        size = sizes[k] if sizes is not None else 3.0
        _symbol(symbols, str(k), geometry, colours[k], shape=shape, size=size, alpha=alpha)
    source = ET.SubElement(renderer, "source-symbol")
    _symbol(source, "0", geometry, colours[0], shape=shape, alpha=alpha)
    method = ET.SubElement(renderer, "classificationMethod", id="EqualInterval")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 - %2", labelprecision="2",
                  trimtrailingzeroes="1")
    ET.SubElement(ET.SubElement(method, "parameters"), "Option")
    ET.SubElement(method, "extraInformation")
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return _document(renderer, geometry)


def _range_labels(edges: Sequence[float], unit: str, fmt: str = "g") -> list[str]:
    """"a-b unit" per class and "≥ last unit" for the open one."""
    text = [format(e, fmt) for e in edges]
    return [f"{text[k]}-{text[k + 1]} {unit}" for k in range(len(edges) - 1)] + \
        [f"≥ {text[-1]} {unit}"]


def _depth_colour(lower: float) -> str:
    """The map sheets' colour of the depth class that holds ``lower`` (m)."""
    k = max(0, sum(1 for e in C.DEPTH_EDGES if e <= lower + 1e-12) - 1)
    return C.DEPTH_COLOURS[k]


def _word(key: str, lang: str, fallback: str) -> str:
    """:func:`label` of ``key``, or ``fallback`` when labels.py has no such key (an
    unknown language still raises)."""
    try:
        return label(key, lang)
    except InputError:
        label("none", lang)
        return fallback


#: Label key of each assessment layer's name.
_LAYER_LABELS = {"waterlogging_points": "waterlogging_points",
                 "waterlogging_areas": "waterlogging_areas",
                 "underground_exposure": "entrances", "underground_spaces": "underground_spaces",
                 "pump_stations": "pump_stations", "facilities": "facilities",
                 "pipe_capacity": "capacity_return_period", "node_flooding": "node_flooding",
                 "buildings_risk": "buildings"}


def style_description(layer: str, lang: str = "en") -> str:
    """What a layer's style shows, in ``lang`` (the ``description`` of its stored style)."""
    key = _LAYER_LABELS.get(layer)
    if key is None:
        return layer
    text = label(key, lang)
    if layer == "buildings_risk":
        text = f"{text}: {label('risk', lang)}"
    return text


def layer_style(layer: str, geometry: Geometry, columns: Collection[str] = (), *,
                lang: str = "en", depth_edges: Sequence[float] = (0.15, 0.30, 0.50),
                volume_column: str = "spilled_m3",
                volume_edges: Sequence[float] = VOLUME_EDGES) -> str:
    """The QML style of an assessment layer.

    Parameters
    ----------
    layer
        Layer name in ``assessment.gpkg`` (``waterlogging_points``, ``pipe_capacity``,
        ...). Layers the report does not know get a plain single symbol.
    geometry
        The layer's geometry kind (:func:`geometry_kind`).
    columns
        The layer's columns; a layer without the column its style classifies on gets a
        plain single symbol.
    lang
        Language of the legend labels (:data:`floodrisk.report.labels.LANGS`).
    depth_edges
        Lower edges of the waterlogging depth classes, m (the depth × duration grade's
        ``cn_depth_edges``).
    volume_column
        Column of ``node_flooding`` holding the volume spilled onto the street, m³.
    volume_edges
        Lower edges of the spilled-volume classes but the first (which starts at 0), m³.
    """
    _check_geometry(geometry)
    cols = set(columns)

    def has(column: str) -> bool:
        if column in cols:
            return True
        log.warning("layer %s has no column %s; it gets a plain style", layer, column)
        return False

    if layer in ("waterlogging_points", "waterlogging_areas") and has("max_depth"):
        return graduated_qml("max_depth", depth_edges, _range_labels(depth_edges, "m"),
                             [_depth_colour(e) for e in depth_edges], geometry,
                             shape="circle", alpha=0.8 if geometry == "polygon" else 1.0)
    if layer in ("underground_exposure", "underground_spaces") and has("class"):
        classes = [(k, label(k, lang), c) for k, c in C.UNDERGROUND_COLOURS.items()]
        return categorized_qml("class", classes, geometry, shape="triangle",
                               alpha=0.7 if geometry == "polygon" else 1.0)
    if layer in ("pump_stations", "facilities") and has("failed"):
        classes = [(k, label(k, lang), c) for k, c in C.STATION_COLOURS.items()]
        shape = "square" if layer == "pump_stations" else "diamond"
        return categorized_qml("if(\"failed\", 'failed', 'working')", classes, geometry,
                               shape=shape)
    if layer == "pipe_capacity" and has("capacity_class"):
        classes = [(k, _word("ms_cap_unknown", lang, "not assessed") if k == "unknown" else k, c)
                   for k, c in C.CAPACITY_COLOURS.items()]
        return categorized_qml("capacity_class", classes, geometry)
    if layer == "buildings_risk" and has("risk_label"):
        names = ("none", "low", "medium", "high")
        classes = [(k, label(k, lang), C.RISK_COLOURS.get(i, C.NONE_COLOUR))
                   for i, k in enumerate(names)]
        return categorized_qml("risk_label", classes, geometry, alpha=0.85)
    if layer == "node_flooding" and has(volume_column):
        edges = (0.0, *volume_edges)
        text = _range_labels(edges, "m³", ",.0f")
        text[0] = f"< {volume_edges[0]:,.0f} m³"
        sizes = [2.0 + 1.2 * k for k in range(len(edges))]
        return graduated_qml(volume_column, edges, text,
                             C.NODE_FLOODING_COLOURS[:len(edges)], geometry, shape="circle",
                             sizes=sizes)
    if layer == "observed_check":
        return single_qml(geometry, "#000000", shape="cross2")
    return single_qml(geometry, _PLAIN, alpha=0.8)
