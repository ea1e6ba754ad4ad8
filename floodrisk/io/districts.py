"""Read drainage districts (排水分区) from a polygon file."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import geopandas as gpd
import pyogrio
from pyproj import CRS

from ..districts import District
from ..errors import AssetError, CRSError, InputError, InputFileError

__all__ = ["read_districts"]


def _boundaries(value: object, did: str, path: Path) -> str | dict[str, str]:
    """'open', 'closed', '' (closed) or 'east=open,south=open'."""
    text = "" if value is None else str(value).strip()
    if text in ("", "nan", "None"):
        return "closed"
    if text in ("open", "closed"):
        return text
    out: dict[str, str] = {}
    for part in text.split(","):
        side, _, state = part.partition("=")
        if not state:
            raise AssetError(f"boundaries {text!r} of district {did}: write 'open', 'closed' "
                             "or 'east=open,south=open'.", path=path, layer="districts",
                             field="boundaries", feature=did)
        out[side.strip()] = state.strip()
    return out


def read_districts(path: str | PathLike[str], *, layer: str | None = None,
                   id_field: str = "district_id", name_field: str = "name",
                   boundaries_field: str = "boundaries", crs: CRS | str | None = None
                   ) -> list[District]:
    """The districts of a polygon file, in the study's CRS.

    Parameters
    ----------
    path
        GeoPackage, Shapefile, GeoJSON ... of polygons.
    layer
        Layer of a multi-layer file (default: ``districts`` when it has one, else the
        first).
    id_field, name_field, boundaries_field
        Columns of the id (required, unique), the name and the grid edges (see
        :class:`~floodrisk.districts.District`; empty: closed).
    crs
        The study's CRS: the districts are reprojected to it; a file without a CRS is
        taken to be in it.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError("districts file not found.", path=path)
    try:
        names = [n for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL cannot open it
        raise InputFileError(f"cannot be read as a vector file ({exc}).", path=path) from exc
    if layer is None:
        layer = "districts" if "districts" in names else names[0]
    elif layer not in names:
        raise InputFileError(f"has no layer {layer!r} (layers: {', '.join(names)}).", path=path)
    frame = gpd.read_file(path, layer=layer)
    if id_field not in frame.columns:
        raise InputError(f"the districts have no {id_field!r} column.", path=path,
                         layer=layer, field=id_field,
                         hint="Name the id column with [districts] id_field.")
    ids = frame[id_field].astype(str)
    if ids.duplicated().any():
        raise AssetError("district ids repeat.", path=path, layer=layer, field=id_field,
                         feature=sorted(set(ids[ids.duplicated()])))
    if crs is not None:
        crs = CRS.from_user_input(crs)
        if frame.crs is None:
            frame = frame.set_crs(crs)
        elif not CRS.from_user_input(frame.crs).equals(crs):
            if CRS.from_user_input(frame.crs).is_geographic and not crs.is_projected:
                raise CRSError("the districts and the study have no common projected CRS.",
                               path=path, layer=layer)
            frame = frame.to_crs(crs)
    out = []
    for k, row in frame.reset_index(drop=True).iterrows():
        did = ids.iat[k]
        name = str(row[name_field]) if name_field in frame.columns and row[name_field] == \
            row[name_field] and row[name_field] is not None else did
        b = row[boundaries_field] if boundaries_field in frame.columns else None
        try:
            out.append(District(did, row.geometry, name=name,
                                boundaries=_boundaries(b, did, path)))
        except InputError as exc:
            raise type(exc)(exc.message, path=path, layer=layer, feature=exc.feature,
                            field=exc.field, hint=exc.hint) from None
    if not out:
        raise InputFileError("holds no district.", path=path)
    return out
