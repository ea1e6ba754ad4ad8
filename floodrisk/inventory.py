"""What a study holds, in numbers: the first analysis of every run.

Counts, lengths, areas and pipe hydraulics a drainage engineer checks before trusting
a data set; each figure carries its unit in its key.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .network import conduit_hydraulics
from .study import Study

__all__ = ["summarize"]


def _counts(values) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}


def summarize(study: Study) -> dict[str, Any]:
    """Figures describing a study's inputs.

    Parameters
    ----------
    study
        The loaded study.

    Returns
    -------
    dict
        ``terrain``, ``network`` and ``assets`` sections; keys end in their unit.
    """
    t = study.terrain
    z = t.values[np.isfinite(t.values)]
    net = study.network
    hyd = conduit_hydraulics(net)
    c = net.conduits
    size = np.where(c["shape"] == "circular", c["diameter"], c["height"])
    a = study.assets
    return {
        "terrain": {
            "rows": t.shape[0], "cols": t.shape[1], "cell_size_m": t.dx,
            "area_km2": round(z.size * t.cell_area / 1e6, 3),
            "elevation_min_m": round(float(z.min()), 2),
            "elevation_max_m": round(float(z.max()), 2),
            "crs": t.crs.to_string() if t.crs is not None else None,
        },
        "network": {
            "nodes": _counts(net.nodes["kind"]),
            "conduits": len(c),
            "conduit_length_km": round(float(c["length"].sum()) / 1000, 3),
            "conduit_size_min_m": round(float(np.nanmin(size)), 3) if len(c) else None,
            "conduit_size_max_m": round(float(np.nanmax(size)), 3) if len(c) else None,
            "conduits_without_fall": int((hyd["slope"] <= 0).sum()),
            "full_capacity_median_m3_s": round(float(np.nanmedian(hyd["full_capacity"])), 4)
            if np.isfinite(hyd["full_capacity"]).any() else None,
            "pumps": len(net.pumps),
            "pump_capacity_m3_s": round(float(net.pumps["capacity"].sum()), 3),
            "stations": len(net.stations),
            "subcatchments": 0 if net.subcatchments is None else len(net.subcatchments),
        },
        "assets": {
            "underground": _counts(a.underground["kind"]) if len(a.underground) else {},
            "entrances": len(a.entrances),
            "facilities": _counts(a.facilities["kind"]) if len(a.facilities) else {},
            "observed_points": len(a.observed),
            "buildings": len(a.buildings),
            "landcover_polygons": len(a.landcover),
        },
        "notes": len(study.notes),
    }
