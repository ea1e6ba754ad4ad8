"""Load and validate underground spaces, entrances, facilities, observed points, buildings and
land cover."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from os import PathLike

import geopandas as gpd
import numpy as np
import rasterio.features
from pyproj import CRS

from ..config import AssetDefaults
from ..errors import AssetError, SchemaError, describe_ids
from ..grid import Grid
from ..schema import ASSET_LAYERS
from ..study import Assets
from .levels import fill_from_ground, ground_at
from .vector import LayerSource, empty_layer, read_group

__all__ = ["read_assets"]

log = logging.getLogger(__name__)


def read_assets(
    source: str | PathLike[str],
    *,
    layers: Mapping[str, str | PathLike[str]] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    dem: Grid | None = None,
    crs: str | CRS | None = None,
    target_crs: str | CRS | None = None,
    defaults: AssetDefaults | None = None,
) -> Assets:
    """Read the asset layers that exist in ``source`` and check them.

    Parameters
    ----------
    source
        A GeoPackage or a folder of per-layer files holding any of ``underground``,
        ``entrances``, ``facilities``, ``observed``, ``buildings``, ``landcover``,
        ``roads``.
    layers
        ``{canonical layer: file or GeoPackage layer name}`` where names differ.
    columns
        Per layer, ``{canonical or unit-suffixed column: source column}`` where the
        aliases do not cover a file's names, e.g. ``{"conduits": {"diameter_mm": "DN"}}``.
    dem
        Ground elevation: fills floor levels from depths, equipment levels from heights,
        and gives entrances their ground and sill elevations. Its CRS becomes the assets'.
    crs
        CRS of layers whose files carry none.
    target_crs
        Projected CRS to bring the layers to (default: the DEM's, else the first layer's).
    defaults
        Entrance sills and widths per space kind, entrance tolerance, land-cover table.

    Returns
    -------
    Assets
    """
    defaults = defaults or AssetDefaults()
    group = read_group(source, ASSET_LAYERS, layers=layers, columns=columns, crs=crs,
                       target_crs=target_crs if target_crs is not None else
                       (dem.crs if dem is not None else None))
    data, src_of, study_crs, notes = group.data, group.sources, group.crs, group.notes
    if "entrances" in data and "underground" not in data:
        raise AssetError("entrances are given but no underground spaces.", path=source,
                         layer="entrances", hint="Add the 'underground' layer.")
    out = {lyr.name: data.get(lyr.name, empty_layer(lyr, study_crs)) for lyr in ASSET_LAYERS}

    if "underground" in data:
        out["underground"] = _spaces(out["underground"], dem, src_of["underground"], notes)
    if "entrances" in data:
        out["entrances"] = _entrances(out["entrances"], out["underground"], dem, defaults,
                                      src_of["entrances"], notes)
    if "facilities" in data:
        out["facilities"] = fill_from_ground(out["facilities"], "equipment_elev", dem,
                                             src_of["facilities"], notes, height="equipment_height")
    if "landcover" in data:
        out["landcover"] = _landcover(out["landcover"], defaults, src_of["landcover"], notes)
    for line in notes:
        log.info(line)
    return Assets(**out, crs=study_crs, notes=tuple(notes))


def _lowest_ground(dem: Grid, polygon) -> float:
    """Lowest DEM cell whose centre is inside the polygon (or under it, for slivers)."""
    mask = rasterio.features.geometry_mask([polygon], out_shape=dem.shape,
                                           transform=dem.transform, invert=True, all_touched=False)
    if not mask.any():
        mask = rasterio.features.geometry_mask([polygon], out_shape=dem.shape,
                                               transform=dem.transform, invert=True,
                                               all_touched=True)
    vals = dem.values[mask]
    return float(np.nanmin(vals)) if np.isfinite(vals).any() else np.nan


def _spaces(spaces: gpd.GeoDataFrame, dem: Grid | None, src: LayerSource,
            notes: list[str]) -> gpd.GeoDataFrame:
    where = dict(path=src.path, layer=src.layer)
    spaces = spaces.copy()
    missing = spaces["floor_elev"].isna().to_numpy()
    if missing.any():
        no_depth = missing & spaces["depth"].isna().to_numpy()
        if no_depth.any():
            raise SchemaError("neither floor_elev nor depth is given.", **where, field="floor_elev",
                              feature=list(spaces.space_id[no_depth]),
                              hint="Give the floor elevation (m) or its depth below ground (m).")
        if dem is None:
            raise SchemaError("floor_elev is empty and there is no DEM to take ground level from.",
                              **where, field="floor_elev", feature=list(spaces.space_id[missing]),
                              hint="Give floor_elev, or load with dem=….")
        ground = np.array([_lowest_ground(dem, g) for g in spaces.geometry[missing]])
        off = np.isnan(ground)
        if off.any():
            raise SchemaError("floor_elev is empty and the space lies outside the DEM.", **where,
                              field="floor_elev",
                              feature=list(spaces.space_id[missing][off]))
        spaces.loc[missing, "floor_elev"] = ground - spaces.loc[missing, "depth"].to_numpy()
        notes.append(f"{src}: floor_elev of {int(missing.sum())} spaces from the lowest ground "
                     f"under them minus depth: {describe_ids(spaces.space_id[missing])}")
    area = spaces["floor_area"].isna().to_numpy()
    if area.any():
        spaces.loc[area, "floor_area"] = spaces.geometry[area].area
        notes.append(f"{src}: floor_area of {int(area.sum())} spaces from the footprint")
    crit = spaces["critical_elev"].isna() & spaces["critical_height"].notna()
    if crit.any():
        spaces.loc[crit, "critical_elev"] = (spaces.loc[crit, "floor_elev"]
                                             + spaces.loc[crit, "critical_height"])
        notes.append(f"{src}: critical_elev of {int(crit.sum())} spaces from floor_elev + "
                     "critical_height")
    below = (spaces["critical_elev"] < spaces["floor_elev"]).to_numpy()
    if below.any():
        raise AssetError("critical_elev is below floor_elev.", **where, field="critical_elev",
                         feature=list(spaces.space_id[below]),
                         hint="critical_elev is an elevation (m), not a height above the floor; "
                              "use critical_height for heights.")
    none = spaces["critical_elev"].isna()
    if none.any():
        notes.append(f"{src}: {int(none.sum())} spaces have no critical equipment level; their "
                     "assessment reports floor flooding only")
    return spaces


def _entrances(ent: gpd.GeoDataFrame, spaces: gpd.GeoDataFrame, dem: Grid | None,
               defaults: AssetDefaults, src: LayerSource, notes: list[str]) -> gpd.GeoDataFrame:
    where = dict(path=src.path, layer=src.layer)
    tol = defaults.entrance_tolerance
    ent = ent.copy()
    ids = ent["entrance_id"].to_numpy()
    known = spaces.set_index("space_id")
    given = ent["space_id"].notna().to_numpy()
    unknown = given & ~ent["space_id"].isin(set(known.index)).to_numpy()
    if unknown.any():
        raise AssetError(f"space_id refers to spaces that do not exist: "
                         f"{describe_ids(sorted(set(ent.space_id[unknown])))}.", **where,
                         field="space_id", feature=list(ids[unknown]))
    if given.any():
        own = known.geometry.reindex(ent.loc[given, "space_id"]).to_numpy()
        dist = ent.geometry[given].distance(gpd.GeoSeries(own, index=ent.index[given],
                                                          crs=ent.crs)).to_numpy()
        far = dist > tol
        if far.any():
            k = np.flatnonzero(given)[far]
            detail = "; ".join(f"{ids[i]}: {d:.1f} m from {ent.space_id.iat[i]}"
                               for i, d in zip(k[:5], dist[far][:5]))
            raise AssetError(f"entrance lies farther than {tol:g} m from its space ({detail}).",
                             **where, field="geometry", feature=list(ids[k]),
                             hint="Move the point onto the space outline, correct space_id, or "
                                  "raise entrance_tolerance.")
    if (~given).any():
        lone = ent.loc[~given, ["entrance_id", "geometry"]]
        near = gpd.sjoin_nearest(lone, spaces[["space_id", "geometry"]], how="left",
                                 max_distance=tol, distance_col="_dist")
        near = near[~near.index.duplicated(keep="first")]
        outside = near["space_id"].isna().to_numpy()
        if outside.any():
            raise AssetError(f"entrance lies outside every underground space (more than {tol:g} m "
                             "from each).", **where, field="geometry",
                             feature=list(lone.entrance_id[outside]),
                             hint="Give its space_id, move it onto the space outline, or add the "
                                  "space.")
        ent.loc[~given, "space_id"] = near["space_id"].to_numpy()
        notes.append(f"{src}: space_id of {int((~given).sum())} entrances from the space they lie "
                     "on")
    kinds = known["kind"].reindex(ent["space_id"]).to_numpy()
    for col in ("sill_height", "width"):
        empty = ent[col].isna().to_numpy()
        if empty.any():
            ent.loc[empty, col] = [getattr(defaults.entrance[k], col) for k in kinds[empty]]
            notes.append(f"{src}: {col} of {int(empty.sum())} entrances from the default for "
                         f"their space kind ({', '.join(sorted(set(kinds[empty])))})")
    if dem is not None:
        ent["ground_elev"] = ground_at(ent, np.ones(len(ent), bool), dem, src, "geometry",
                                       "ground level at the entrance")
        ent["sill_elev"] = ent["ground_elev"] + ent["sill_height"]
    return ent


def _landcover(lc: gpd.GeoDataFrame, defaults: AssetDefaults, src: LayerSource,
               notes: list[str]) -> gpd.GeoDataFrame:
    lc = lc.copy()
    alias = {k.lower(): v for k, v in defaults.landcover_aliases.items()}
    cls = lc["class"].map(lambda c: alias.get(str(c).strip().lower(), str(c).strip().lower()))
    for col in ("roughness", "imperviousness"):
        empty = lc[col].isna().to_numpy()
        if not empty.any():
            continue
        unknown = sorted(set(cls[empty]) - set(defaults.landcover))
        if unknown:
            bad = empty & cls.isin(unknown).to_numpy()
            raise SchemaError(f"class {describe_ids(unknown)} has no default {col}.",
                              path=src.path, layer=src.layer, field=col,
                              feature=list(lc["landcover_id"][bad]),
                              hint=f"Give {col} in the layer, or add the class to "
                                   f"[assets.defaults.landcover] (known: "
                                   f"{', '.join(defaults.landcover)}).")
        lc.loc[empty, col] = [getattr(defaults.landcover[c], col) for c in cls[empty]]
        notes.append(f"{src}: {col} of {int(empty.sum())} polygons from the class table")
    return lc

