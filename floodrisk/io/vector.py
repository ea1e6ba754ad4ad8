"""Read vector layers and bring them onto the canonical schema of :mod:`floodrisk.schema`.

Sources are a GeoPackage (layers found by canonical name or alias), a folder holding
one file per layer (``nodes.shp``, ``conduits.geojson``, ``pumps.csv`` ...), or an
explicit mapping ``{layer: path}``. GDAL does the reading (pyogrio); this module maps
column aliases, converts units, fills defaults, checks values and geometry, and says
what it filled in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ..errors import AssetError, CRSError, InputFileError, NetworkError, SchemaError
from ..schema import NETWORK_LAYERS, Column, Layer

__all__ = ["LayerSource", "LayerGroup", "find_layers", "read_layer", "read_group", "normalize",
           "empty_layer", "to_crs", "write_layers", "load_layer"]

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".csv", ".fgb")


@dataclass(frozen=True)
class LayerSource:
    """Where one layer is read from: a file and, for a GeoPackage, the layer inside it."""

    path: Path
    layer: str | None = None

    def __str__(self) -> str:
        return f"{self.path}" + (f" (layer '{self.layer}')" if self.layer else "")


def _key(name: str) -> str:
    return str(name).strip().lower()


def _layer_names(lyr: Layer) -> list[str]:
    return [_key(n) for n in (lyr.name, *lyr.aliases)]


def find_layers(
    source: str | PathLike[str],
    wanted: tuple[Layer, ...],
    overrides: Mapping[str, str | PathLike[str]] | None = None,
) -> dict[str, LayerSource]:
    """Locate the layers of ``wanted`` in a GeoPackage, a folder, or explicit paths.

    Parameters
    ----------
    source
        A GeoPackage, or a folder of per-layer files.
    wanted
        Layers to look for; those not found are simply absent from the result.
    overrides
        ``{canonical layer name: path or GeoPackage layer name}`` taking precedence.

    Returns
    -------
    dict
        Canonical layer name → :class:`LayerSource`.
    """
    path = Path(source)
    if not path.exists():
        raise InputFileError("file or folder not found.", path=path,
                             hint="Check the path (relative paths in a config are relative to "
                                  "the config file).")
    found: dict[str, LayerSource] = {}
    if path.is_dir():
        files = {}
        for f in sorted(path.iterdir()):
            if f.suffix.lower() in VECTOR_SUFFIXES and f.suffix.lower() != ".gpkg":
                files.setdefault(_key(f.stem), f)
        for lyr in wanted:
            for n in _layer_names(lyr):
                if n in files:
                    found[lyr.name] = LayerSource(files[n])
                    break
    else:
        try:
            names = [str(r[0]) for r in pyogrio.list_layers(path)]
        except Exception as exc:  # GDAL's own message says why
            raise InputFileError(f"cannot be read as a vector data source ({exc}).", path=path,
                                 hint="Give a GeoPackage, Shapefile, GeoJSON or a folder of them."
                                 ) from exc
        by_key = {_key(n): n for n in names}
        if len(names) == 1 and len(wanted) == 1:
            found[wanted[0].name] = LayerSource(path, names[0])
        else:
            for lyr in wanted:
                for n in _layer_names(lyr):
                    if n in by_key:
                        found[lyr.name] = LayerSource(path, by_key[n])
                        break
    for name, where in (overrides or {}).items():
        p = Path(where)
        if p.suffix.lower() in VECTOR_SUFFIXES or p.exists():
            found[name] = LayerSource(p)
        elif not path.is_dir():
            found[name] = LayerSource(path, str(where))
        else:
            raise InputFileError(f"layer file '{where}' not found.", path=path, layer=name)
    return found


def read_layer(src: LayerSource) -> gpd.GeoDataFrame:
    """Read one layer with GDAL (pyogrio); tables without geometry come back with none.

    Parameters
    ----------
    src
        The file (and layer) to read.
    """
    if not src.path.exists():
        raise InputFileError("file not found.", path=src.path, layer=src.layer)
    try:
        df = pyogrio.read_dataframe(src.path, layer=src.layer)
    except Exception as exc:
        raise InputFileError(f"cannot be read ({exc}).", path=src.path, layer=src.layer,
                             hint="Check that the file is a valid GeoPackage, Shapefile, GeoJSON "
                                  "or CSV.") from exc
    if not isinstance(df, gpd.GeoDataFrame):
        df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([None] * len(df), index=df.index))
    return df


def _error_class(lyr: Layer) -> type[SchemaError] | type[NetworkError] | type[AssetError]:
    return NetworkError if lyr in NETWORK_LAYERS else AssetError


def _match_columns(df: pd.DataFrame, lyr: Layer, src: LayerSource,
                   columns: Mapping[str, str] | None) -> tuple[dict[str, str], dict[str, float]]:
    """Source column for each canonical column, and the unit factor to apply."""
    where = dict(path=src.path, layer=src.layer or lyr.name)
    present: dict[str, list[str]] = {}
    for c in df.columns:
        if c != "geometry":
            present.setdefault(_key(c), []).append(str(c))
    rename: dict[str, str] = {}
    factor: dict[str, float] = {}
    for key, source in (columns or {}).items():
        if source not in df.columns:
            raise SchemaError(f"column '{source}' named in the column mapping is not in the "
                              f"layer (it has {', '.join(map(str, df.columns))}).", **where,
                              field=key)
        target = next((c for c in lyr.columns if key == c.name or key in c.scaled), None)
        if target is None:
            raise SchemaError(f"'{key}' is not a column of this layer.", **where, field=key,
                              hint="Map onto: " + ", ".join(
                                  [c.name for c in lyr.columns] +
                                  [a for c in lyr.columns for a in c.scaled]) + ".")
        rename[target.name] = source
        if key in target.scaled:
            factor[target.name] = target.scaled[key]
    used = {_key(v) for v in rename.values()}
    for col in lyr.columns:
        if col.name in rename:
            continue
        names = [(col.name, 1.0)] + [(a, 1.0) for a in col.aliases] + list(col.scaled.items())
        hits = [(present[_key(a)], f) for a, f in names
                if _key(a) in present and _key(a) not in used]
        exact = [(cols, f) for cols, f in hits if _key(cols[0]) == _key(col.name)]
        hits = exact or hits
        if len(hits) > 1 or (hits and len(hits[0][0]) > 1):
            names_found = ", ".join(repr(c) for cols, _ in hits for c in cols)
            raise SchemaError(
                f"columns {names_found} all mean '{col.name}'.", **where, field=col.name,
                hint=f"Rename or drop all but one, or map one with columns={{'{col.name}': …}}.")
        if hits:
            (source,), f = hits[0]
            rename[col.name] = source
            used.add(_key(source))
            if f != 1.0:
                factor[col.name] = f
    return rename, factor


def _as_id(values: pd.Series) -> pd.Series:
    """Ids as strings; integral floats (GDAL reads integer ids with gaps as float) lose '.0'."""
    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip() or None
    return values.map(one).astype(object)


def normalize(
    df: gpd.GeoDataFrame, lyr: Layer, src: LayerSource, columns: Mapping[str, str] | None = None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Bring a layer onto the canonical schema: names, units, types, defaults, ranges, geometry.

    Derived defaults (from the DEM, geometry or other layers) are left as NaN for the
    caller; constant defaults are filled here. The user's other columns are kept after
    the canonical ones.

    Parameters
    ----------
    df
        The layer as read.
    lyr
        Its schema.
    src
        Where it came from, for messages.
    columns
        Explicit mapping ``{canonical or unit-suffixed name: source column}`` that takes
        precedence over aliases, e.g. ``{"imperv_pct": "rc"}``.

    Returns
    -------
    (GeoDataFrame, notes)
        The normalised layer and what was filled in or converted.
    """
    where = dict(path=src.path, layer=src.layer or lyr.name)
    notes: list[str] = []
    rename, factor = _match_columns(df, lyr, src, columns)
    id_col = lyr.columns[0]
    out = pd.DataFrame(index=df.index)
    raw_ids = df[rename[id_col.name]] if id_col.name in rename else None
    ids = _as_id(raw_ids) if raw_ids is not None else None
    for col in lyr.columns:
        if col.name not in rename:
            if col.required:
                raise SchemaError(
                    "required column is missing.", **where, field=col.name,
                    hint="Accepted names: " + ", ".join([col.name, *col.aliases, *col.scaled]) + ".")
            out[col.name] = _empty(col, len(df), df.index)
            continue
        raw = df[rename[col.name]]
        if rename[col.name] != col.name:
            notes.append(f"{src}: column '{rename[col.name]}' read as '{col.name}'"
                         + (f" (×{factor[col.name]:g})" if col.name in factor else ""))
        out[col.name] = _convert(raw, col, factor.get(col.name, 1.0), ids, where)

    if ids is None:  # only when the id column is derived (buildings)
        ids = pd.Series([str(i + 1) for i in range(len(df))], index=df.index, dtype=object)
        out[id_col.name] = ids
    for col in lyr.columns:
        values = out[col.name]
        missing = values.isna()
        if col.required and missing.any():
            raise SchemaError("required value is empty.", **where, field=col.name,
                              feature=list(ids[missing]) or None,
                              hint="Fill it in, or drop the feature.")
        if col.default is not None and missing.any():
            out[col.name] = values.where(~missing, col.default)
            if col.name in rename:
                notes.append(f"{src}: {int(missing.sum())} empty '{col.name}' set to the default "
                             f"{col.default}")
        _check_range(out[col.name], col, ids, where)

    dupes = ids[ids.duplicated(keep=False) & ids.notna()]
    if len(dupes):
        raise _error_class(lyr)(
            f"duplicate {id_col.name} values.", **where, field=id_col.name,
            feature=sorted(set(dupes)), hint="Ids must be unique within the layer.")

    extra = [c for c in df.columns if c != "geometry" and c not in set(rename.values())
             and c not in out.columns]
    for c in extra:
        out[c] = df[c]
    geometry = _check_geometry(df, lyr, ids, where)
    gdf = gpd.GeoDataFrame(out, geometry=geometry, crs=df.crs)
    return gdf.reset_index(drop=True), notes


def _empty(col: Column, n: int, index: pd.Index) -> pd.Series:
    if col.kind == "float":
        return pd.Series(np.full(n, np.nan), index=index)
    if col.kind == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    return pd.Series([None] * n, index=index, dtype=object)


def _convert(raw: pd.Series, col: Column, factor: float, ids: pd.Series | None,
             where: dict) -> pd.Series:
    if col.kind == "float":
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            raise SchemaError(
                f"values are not numbers: {', '.join(repr(v) for v in raw[bad].head(5))}.",
                **where, field=col.name, feature=_ids(ids, bad),
                hint=f"Give numbers in {col.unit or 'the column unit'}.")
        return values.astype(np.float64) * factor
    if col.kind == "date":
        values = pd.to_datetime(raw, errors="coerce")
        bad = values.isna() & raw.notna()
        if bad.any():
            raise SchemaError("values are not dates.", **where, field=col.name,
                              feature=_ids(ids, bad), hint="Use ISO dates such as 2021-07-20.")
        return values
    values = _as_id(raw)
    if col.choices:
        lookup = {c: c for c in col.choices}
        lookup.update({_key(k): v for k, v in col.value_aliases.items()})
        mapped = values.map(lambda v: None if v is None else lookup.get(_key(v), lookup.get(v)))
        bad = mapped.isna() & values.notna()
        if bad.any():
            raise SchemaError(
                f"unknown values {sorted(set(values[bad]))}.", **where, field=col.name,
                feature=_ids(ids, bad),
                hint="Allowed: " + ", ".join(col.choices) + " (or their aliases in the README).")
        return mapped.astype(object)
    return values


def _ids(ids: pd.Series | None, mask: pd.Series) -> list[str] | None:
    if ids is None:
        return [f"row {i + 1}" for i in np.flatnonzero(mask.to_numpy())]
    return [str(i) if i is not None else "(no id)" for i in ids[mask]]


def _check_range(values: pd.Series, col: Column, ids: pd.Series, where: dict) -> None:
    if col.kind != "float":
        return
    v = values.to_numpy(dtype=np.float64)
    bad = np.zeros(len(v), dtype=bool)
    limits = []
    if col.minimum is not None:
        bad |= (v <= col.minimum) if col.exclusive else (v < col.minimum)
        limits.append(("> " if col.exclusive else "≥ ") + f"{col.minimum:g}")
    if col.maximum is not None:
        bad |= v > col.maximum
        limits.append(f"≤ {col.maximum:g}")
    if bad.any():
        shown = ", ".join(f"{x:g}" for x in v[bad][:5])
        hint = f"Values must be {' and '.join(limits)} {col.unit}."
        if col.maximum is not None and np.nanmax(v) > col.maximum and col.scaled:
            hint += (f" If they are in another unit, name the column "
                     f"{' or '.join(repr(a) for a in col.scaled)}.")
        raise SchemaError(f"values out of range ({shown}).", **where, field=col.name,
                          feature=_ids(ids, pd.Series(bad, index=values.index)), hint=hint)


def _check_geometry(df: gpd.GeoDataFrame, lyr: Layer, ids: pd.Series, where: dict) -> gpd.GeoSeries:
    geom = df.geometry
    if lyr.geometry is None:
        return geom
    empty = geom.isna() | geom.is_empty
    if empty.any():
        raise SchemaError("features have no geometry.", **where, field="geometry",
                          feature=_ids(ids, empty), hint="Draw them or drop them.")
    types = geom.geom_type
    if lyr.geometry == "Polygon":
        ok = types.isin(["Polygon", "MultiPolygon"])
    else:
        multi = types == f"Multi{lyr.geometry}"
        if multi.any():  # single-part multi geometries are common in shapefiles
            parts = shapely.get_num_geometries(geom[multi].to_numpy())
            if (parts > 1).any():
                raise SchemaError(
                    f"multi-part geometries where one {lyr.geometry} is expected.", **where,
                    field="geometry", feature=list(ids[multi][parts > 1]),
                    hint="Split them into one feature each.")
            geom = geom.copy()
            geom[multi] = shapely.get_geometry(geom[multi].to_numpy(), 0)
            types = geom.geom_type
        ok = types == lyr.geometry
    if not ok.all():
        raise SchemaError(f"geometry is {sorted(set(types[~ok]))}, not {lyr.geometry}.", **where,
                          field="geometry", feature=_ids(ids, ~ok))
    return geom


def to_crs(frames: Mapping[str, tuple[gpd.GeoDataFrame, LayerSource]], target: CRS | None,
           assume: CRS | None = None) -> tuple[dict[str, gpd.GeoDataFrame], CRS]:
    """Bring layers to one projected CRS.

    Parameters
    ----------
    frames
        Layer name → (frame, source). Frames without geometry are passed through.
    target
        CRS to bring every layer to; None: the first layer's CRS.
    assume
        CRS of layers whose files carry none (as given by the user).

    Returns
    -------
    (dict, CRS)
        The layers in the common CRS, and that CRS.
    """
    out: dict[str, gpd.GeoDataFrame] = {}
    with_geom = {k: v for k, v in frames.items() if v[0].geometry.notna().any()}
    crss = {k: v[0].crs for k, v in with_geom.items()}
    missing = [k for k, c in crss.items() if c is None]
    if missing and assume is None:
        has = [k for k, c in crss.items() if c is not None]
        src = frames[missing[0]][1]
        if has:
            why = f"it has no CRS while {', '.join(has)} do"
        elif target is not None:
            why = f"it has no CRS while the study's is {CRS.from_user_input(target).to_string()}"
        else:
            why = "it has no CRS"
        raise CRSError(f"{why}; floodrisk cannot tell where it lies.", path=src.path,
                       layer=src.layer or missing[0],
                       hint="Add a .prj / set the layer's CRS, or pass crs='EPSG:…' to say what "
                            "CRS files without one use.")
    origin = None  # the layer whose CRS becomes the study's, when no target is given
    if target is None:
        origin = next((k for k, c in crss.items() if c is not None), None)
        first = crss[origin] if origin is not None else assume
        target = CRS.from_user_input(first) if first is not None else None
    if target is not None and not CRS.from_user_input(target).is_projected:
        where = {}
        if origin is not None:
            src = frames[origin][1]
            where = dict(path=src.path, layer=src.layer or origin)
        raise CRSError(f"the study CRS {CRS.from_user_input(target).name} is geographic.",
                       **where, hint="Give a projected CRS (metres), e.g. target_crs='EPSG:4547'.")
    for k, (df, src) in frames.items():
        if k not in with_geom:
            out[k] = df
            continue
        if df.crs is None:
            df = df.set_crs(assume)
        if target is not None and not CRS.from_user_input(df.crs).equals(target):
            log.info("%s: reprojected from %s to %s", src, df.crs.to_string(), target.to_string())
            df = df.to_crs(target)
        out[k] = df
    return out, target


@dataclass(frozen=True)
class LayerGroup:
    """Layers read together (a network's or the assets'), normalised and in one CRS.

    Parameters
    ----------
    data
        Canonical layer name → layer, for the layers found.
    sources
        Canonical layer name → where it was read from.
    crs
        Their common CRS.
    notes
        What normalising filled in or converted.
    """

    data: dict[str, gpd.GeoDataFrame]
    sources: dict[str, LayerSource]
    crs: CRS | None
    notes: list[str]


def read_group(
    source: str | PathLike[str],
    wanted: tuple[Layer, ...],
    *,
    layers: Mapping[str, str | PathLike[str]] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    crs: str | CRS | None = None,
    target_crs: str | CRS | None = None,
) -> LayerGroup:
    """Find, read and normalise the layers of ``wanted`` and bring them to one CRS.

    Parameters
    ----------
    source, layers
        As for :func:`find_layers`.
    wanted
        The layers to look for.
    columns
        Per layer, ``{canonical or unit-suffixed column: source column}``.
    crs
        CRS of layers whose files carry none.
    target_crs
        CRS to bring them to (default: the first layer's).
    """
    found = find_layers(source, wanted, layers)
    notes: list[str] = []
    frames: dict[str, tuple[gpd.GeoDataFrame, LayerSource]] = {}
    for lyr in wanted:
        if lyr.name in found:
            src = found[lyr.name]
            gdf, n = normalize(read_layer(src), lyr, src, (columns or {}).get(lyr.name))
            frames[lyr.name] = (gdf, src)
            notes += n
    target = CRS.from_user_input(target_crs) if target_crs is not None else None
    data, common = to_crs(frames, target, CRS.from_user_input(crs) if crs else None)
    return LayerGroup(data, {k: v[1] for k, v in frames.items()}, common, notes)


def empty_layer(lyr: Layer, crs: CRS | None) -> gpd.GeoDataFrame:
    """A layer with the schema's columns and no rows."""
    cols = {c.name: pd.Series(dtype=np.float64 if c.kind == "float" else object)
            for c in lyr.columns}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def load_layer(
    path: str | PathLike[str],
    layer: str,
    *,
    source_layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    crs: str | CRS | None = None,
    target_crs: str | CRS | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read one layer of any kind onto the canonical schema, in a projected CRS.

    Cross-layer checks (references between layers, levels from the DEM) are the
    network and asset loaders' job; this reads, maps and checks one layer.

    Parameters
    ----------
    path
        GeoPackage, Shapefile, GeoJSON or CSV.
    layer
        Canonical layer name (see :mod:`floodrisk.schema`).
    source_layer
        Layer inside a multi-layer file, when its name is not the canonical one or an alias.
    columns
        ``{canonical or unit-suffixed name: source column}``.
    crs
        CRS of a file that carries none.
    target_crs
        Projected CRS to reproject to.

    Returns
    -------
    (GeoDataFrame, notes)
    """
    from ..schema import LAYERS

    if layer not in LAYERS:
        raise SchemaError(f"unknown layer '{layer}'.", path=path,
                          hint="Known layers: " + ", ".join(LAYERS) + ".")
    lyr = LAYERS[layer]
    found = find_layers(path, (lyr,), {layer: source_layer} if source_layer else None)
    if layer not in found:
        raise SchemaError(f"no '{layer}' layer found.", path=path, layer=layer)
    src = found[layer]
    gdf, notes = normalize(read_layer(src), lyr, src, columns)
    data, _ = to_crs({layer: (gdf, src)}, CRS.from_user_input(target_crs) if target_crs else None,
                     CRS.from_user_input(crs) if crs else None)
    return data[layer], notes


def write_layers(layers: Mapping[str, gpd.GeoDataFrame], path: str | PathLike[str]) -> Path:
    """Write GeoDataFrames as layers of one GeoPackage (tables for frames without geometry).

    Parameters
    ----------
    layers
        Layer name → frame, written in order.
    path
        GeoPackage to create (replaced if it exists).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    if path.exists():
        path.unlink()
    # A fixed gpkg_contents.last_change keeps files byte-identical between identical writes.
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    try:
        _write_all(layers, path)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return path


def _write_all(layers: Mapping[str, gpd.GeoDataFrame], path: Path) -> None:
    for name, df in layers.items():
        if df.geometry.isna().all() and len(df):
            table = pd.DataFrame(df.drop(columns=df.geometry.name))
            pyogrio.write_dataframe(table, path, layer=name, driver="GPKG", append=path.exists())
        else:
            pyogrio.write_dataframe(df, path, layer=name, driver="GPKG", append=path.exists(),
                                    layer_options={"SPATIAL_INDEX": "YES"})
