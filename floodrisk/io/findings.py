"""Write network-check findings: a CSV table and a GeoPackage with the features concerned."""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..errors import RunFolderError
from .vector import write_layers

__all__ = ["findings_table", "findings_layers", "write_findings_gpkg", "write_findings"]


def findings_table(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings with feature ids joined by commas (for CSV)."""
    table = pd.DataFrame(findings).copy()
    table["feature_ids"] = table["feature_ids"].map(lambda v: ",".join(map(str, v)))
    return table


def findings_layers(geo: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Findings split into ``node_findings`` (points) and ``link_findings`` (lines)."""
    return {name: geo[geo["layer"] == layer].reset_index(drop=True)
            for layer, name in (("nodes", "node_findings"), ("links", "link_findings"))}


def write_findings_gpkg(geo: gpd.GeoDataFrame, path: Path) -> Path:
    """The findings as GeoPackage layers; an empty point layer when there are none, so
    that the file always opens.

    Parameters
    ----------
    geo
        Findings with their geometry (``network.findings_geometry``).
    path
        GeoPackage to create.
    """
    layers = findings_layers(geo)
    with warnings.catch_warnings():  # a network without CRS gives layers without one
        warnings.simplefilter("ignore", UserWarning)
        if any(len(v) for v in layers.values()):
            write_layers({k: v for k, v in layers.items() if len(v)}, path)
        else:
            pyogrio.write_dataframe(layers["node_findings"], path, layer="node_findings",
                                    driver="GPKG", geometry_type="MultiPoint")
    return path


def write_findings(findings: pd.DataFrame, geo: gpd.GeoDataFrame, folder: Path
                   ) -> tuple[Path, Path]:
    """``checks.csv`` and ``checks.gpkg`` in a folder, each written under a temporary name
    and renamed, so a failure never leaves a half-written pair.

    Parameters
    ----------
    findings
        The table ``network.check_network`` returns.
    geo
        The same findings with their geometry.
    folder
        Where to write (created if needed).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create the output folder ({exc.strerror}).",
                             path=folder) from exc
    tag = uuid.uuid4().hex[:8]
    csv, gpkg = folder / "checks.csv", folder / "checks.gpkg"
    tmp_csv, tmp_gpkg = folder / f".checks-{tag}.csv", folder / f".checks-{tag}.gpkg"
    try:
        findings_table(findings).to_csv(tmp_csv, index=False, encoding="utf-8")
        write_findings_gpkg(geo, tmp_gpkg)
        os.replace(tmp_csv, csv)
        os.replace(tmp_gpkg, gpkg)
    except OSError as exc:
        raise RunFolderError(f"cannot write the findings ({exc}).", path=folder) from exc
    finally:
        for t in (tmp_csv, tmp_gpkg):
            if t.exists():
                t.unlink()
    return csv, gpkg
