"""Fill in elevations that a layer leaves empty from the DEM, and say which were filled."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from ..errors import SchemaError, describe_ids
from ..grid import Grid
from .vector import LayerSource

__all__ = ["ground_at", "fill_from_ground"]


def ground_at(points: gpd.GeoDataFrame, mask: np.ndarray, dem: Grid | None, src: LayerSource,
              field: str, what: str) -> np.ndarray:
    """DEM elevation under the points selected by ``mask``.

    Parameters
    ----------
    points
        Point layer; its first column is the feature id.
    mask
        Which points need a ground level.
    dem
        Ground elevation; None raises, naming the features that needed it.
    src
        Where the layer came from, for messages.
    field
        Column that is being filled, for messages.
    what
        What is missing, in words.
    """
    ids = points.iloc[:, 0][mask].tolist()
    if dem is None:
        raise SchemaError(f"{what} is empty and there is no DEM to take it from.", path=src.path,
                          layer=src.layer, field=field, feature=ids,
                          hint=f"Give {field}, or load with dem=….")
    geom = points.geometry[mask]
    ground = dem.sample(geom.x.to_numpy(), geom.y.to_numpy())
    off = np.isnan(ground)
    if off.any():
        raise SchemaError(f"{what} is empty and the point lies outside the DEM (or on nodata).",
                          path=src.path, layer=src.layer, field=field,
                          feature=[i for i, o in zip(ids, off) if o],
                          hint=f"Give {field} for these features or extend the DEM.")
    return ground


def fill_from_ground(points: gpd.GeoDataFrame, field: str, dem: Grid | None, src: LayerSource,
                     notes: list[str], height: str | None = None) -> gpd.GeoDataFrame:
    """Fill empty ``field`` with ground level (plus the ``height`` column, when given).

    Parameters
    ----------
    points
        Point layer; its first column is the feature id.
    field
        Elevation column to fill, m.
    dem
        Ground elevation.
    src
        Where the layer came from.
    notes
        Receives one line naming the features filled.
    height
        Column of heights above ground to add; its absence where ``field`` is empty is
        an error.
    """
    missing = points[field].isna().to_numpy()
    if not missing.any():
        return points
    if height is not None:
        lacking = missing & points[height].isna().to_numpy()
        if lacking.any():
            raise SchemaError(f"neither {field} nor {height} is given.", path=src.path,
                              layer=src.layer, field=field,
                              feature=points.iloc[:, 0][lacking].tolist(),
                              hint="Give the elevation (m) or the height above ground (m).")
    ground = ground_at(points, missing, dem, src, field, field)
    extra = points.loc[missing, height].to_numpy() if height else 0.0
    points = points.copy()
    points.loc[missing, field] = ground + extra
    ids = points.iloc[:, 0][missing].tolist()
    how = f"ground (DEM) + {height}" if height else "the DEM"
    notes.append(f"{src}: {field} of {len(ids)} features from {how}: {describe_ids(ids)}")
    return points
