"""A procedural, deterministic synthetic city for the demo, the tests and scale benchmarks.

:func:`generate_city` builds, from a seed and a size, everything floodrisk reads from a
real city: a bare-earth DEM and the canonical vector layers of :mod:`floodrisk.schema`
(drainage network, pump stations, underground spaces and their entrances, critical
facilities, observed waterlogging points, buildings and land cover). It also returns the
weak spots it planted on purpose, so that assessments can be checked against them:

- ``undersized_pipe``: runs built one or two sizes too small (capacity return period
  below 1 year, DOMAIN.md §3);
- ``depression_no_inlet``: natural depressions inside blocks with no inlet or manhole;
- ``low_station``: a pump station whose site is a depression that floods (DOMAIN.md §6);
- ``underpass``: a road underpass on a street sag where water gathers (DOMAIN.md §5);
- ``low_entrance``: a metro station entrance on a low point of the pavement, where street
  water gathers against its sill (DOMAIN.md §5).

The city lies in EPSG:4547 near Zhengzhou. A river runs west to east near the southern
edge with a park strip along its north bank; the ground falls gently toward it. Streets
form a grid whose carriageways are cut ``street_depth`` below the kerb (block) level.
Storm pipes run under every street, sized by the rational method (DOMAIN.md §3) for the
design return period with the storm formula of the settings; each tree-shaped system
ends at its own outfall on the river bank, some through a pump station. Everything
random comes from ``numpy.random.default_rng(seed)``, so the same settings give the same
arrays and, through :func:`write_city`, byte-identical files. Sizes scale by adding
streets, systems and assets, never by stretching.
"""

from __future__ import annotations

import heapq
import logging
import math
from dataclasses import dataclass, fields, replace
from os import PathLike
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS
from scipy import ndimage
from scipy.spatial import cKDTree

from .errors import InputError
from .grid import Grid
from .io.raster import write_geotiff
from .io.vector import write_layers
from .network import full_flow_capacity, section_full
from .rainfall import StormFormula

__all__ = ["CitySettings", "SyntheticCity", "generate_city", "write_city", "WEAK_SPOT_KINDS",
           "ZHENGZHOU_HANDBOOK"]

log = logging.getLogger(__name__)

#: Kinds of planted weak spots, in the order they are listed.
WEAK_SPOT_KINDS = ("undersized_pipe", "depression_no_inlet", "low_station", "underpass",
                   "low_entrance")

#: Zhengzhou handbook storm formula (DOMAIN.md §1, not verified against the printed source).
ZHENGZHOU_HANDBOOK = StormFormula(
    A=3073.0, C=0.892, b=15.1, n=0.824, name="Zhengzhou (handbook)",
    source="Widely cited handbook parameters (DOMAIN.md §1); Zhengzhou has 1982/2002/2015 "
           "revisions", verified=False)

#: Layer order of :attr:`SyntheticCity.layers` and of the written GeoPackage.
LAYER_ORDER = ("nodes", "conduits", "pumps", "stations", "subcatchments", "underground",
               "entrances", "facilities", "observed", "buildings", "landcover", "roads")


@dataclass(frozen=True)
class CitySettings:
    """What a synthetic city is made from.

    Ranges given as ``(low, high)`` are drawn uniformly per feature from the seed.
    Counts per km² are rounded and never fall below the minimum the docs name.
    """

    seed: int = 7
    """Seed of :func:`numpy.random.default_rng`; every random choice derives from it."""
    width: float = 2000.0
    """West-east extent, m (rounded to whole cells)."""
    height: float = 1500.0
    """South-north extent, m (rounded to whole cells)."""
    cell_size: float = 5.0
    """DEM cell size, m. Street widths are resolved to whole cells (by cell centre)."""
    origin: tuple[float, float] = (463000.0, 3842000.0)
    """Lower-left corner (x, y) in ``crs``, m; snapped down to a multiple of the cell size.
    The default lies in Zhengzhou."""
    crs: str = "EPSG:4547"
    """CGCS2000 / 3-degree Gauss-Kruger CM 114E, the projected CRS used around Zhengzhou."""
    base_elev: float = 88.0
    """Ground at the north river bank at the west edge, m. Assumption: Zhengzhou's urban
    area lies at roughly 85-110 m."""
    ground_slope: float = 0.005
    """Mean ground slope toward the river (north to south), m/m; each city draws 0.8-1.2
    times this. Assumption for a plain city: 0.3-1 %."""
    river_slope: float = 0.001
    """Fall of the ground and the river from west to east, m/m. Assumption."""
    relief: float = 0.15
    """Total amplitude of three gentle undulations (wavelengths 700-1400 m), m; kept small
    so that they do not make pits on streets running down the slope. Assumption."""
    river_offset: float = 40.0
    """Distance from the south edge of the domain to the river's south bank, m."""
    river_width: float = 40.0
    """Top width of the river channel, m (bed half as wide). Assumption."""
    river_depth: float = 6.0
    """Depth of the river bed below the bank top, m. Assumption (urban rivers in
    Zhengzhou are some 4-7 m below their banks)."""
    park_width: float = 80.0
    """Width of the riverside park between the north bank and the riverside road's
    corridor, m; pump stations and outfall pipes sit in it."""
    street_spacing: tuple[float, float] = (170.0, 230.0)
    """Distance between neighbouring street centrelines, m (blocks of 150-250 m)."""
    street_width: float = 24.0
    """Street corridor width, carriageway plus pavements, m."""
    carriageway_width: float = 16.0
    """Carriageway width, m; also the entrance width of underpasses."""
    street_depth: float = 0.15
    """Carriageway below the kerb and block level, m: the kerb height. Assumption: urban
    kerbs stand 0.10-0.20 m; 0.15 m is also the one-lane ponding criterion of GB 51222."""
    trunk_every: int = 2
    """Every n-th north-south street carries a trunk sewer to its own outfall; the other
    streets drain sideways into the nearest trunk."""
    max_manhole_spacing: float = 90.0
    """Largest distance between manholes along a street, m (GB 50014 allows 75-150 m by
    diameter; the brief asks for 80-100 m)."""
    design_return_period: float = 3.0
    """Return period the pipes are sized for, years (GB 50014: megacities non-central
    2-3 a, central 3-5 a; DOMAIN.md §1)."""
    runoff_coeff: float = 0.6
    """Composite runoff coefficient ψ of the rational method (GB 50014 dense built-up
    0.60-0.70, DOMAIN.md §2)."""
    inlet_time: float = 10.0
    """Inlet (overland) time t1 of the rational method, min (GB 50014: 5-15 min,
    DOMAIN.md §3)."""
    min_cover: float = 1.0
    """Least soil cover over a pipe crown, m (GB 50014 asks ≥ 0.7 m under carriageways;
    1.0 m is common practice and the brief's value)."""
    roughness: float = 0.013
    """Manning n of the concrete pipes and box culverts (DOMAIN.md §2: 0.013-0.014)."""
    min_velocity: float = 0.75
    """Least full-pipe velocity, m/s; sets each size's minimum slope (DOMAIN.md §3)."""
    max_velocity: float = 5.0
    """Largest full-pipe velocity, m/s, for non-metal pipes (DOMAIN.md §3 [verify]);
    steeper ground is taken up by drops at manholes."""
    min_slope: float = 0.0005
    """Absolute least pipe slope, m/m. Assumption (construction tolerance)."""
    pipe_diameters: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0)
    """Standard circular diameters, m (Chinese concrete storm pipe series)."""
    box_sections: tuple[tuple[float, float], ...] = (
        (2.5, 2.0), (3.0, 2.0), (3.0, 2.5), (3.5, 2.5), (4.0, 2.5), (4.0, 3.0), (5.0, 3.0),
        (6.0, 3.0), (6.0, 3.5), (8.0, 3.5))
    """Closed rectangular culverts (width, height), m, used beyond the largest pipe."""
    wet_well_sump: float = 2.0
    """Depth of a pump station's wet well below the invert of its inlet pipe, m."""
    formula: StormFormula = ZHENGZHOU_HANDBOOK
    """Storm-intensity formula used to size the pipes (DOMAIN.md §1)."""
    street_sag_depth: float = 1.0
    """Depth of the bowl under each underpass, m, spanning 0.9 of its street segment: a
    street low point where water gathers. Assumption."""
    low_station_depth: float = 1.5
    """Depth of the bowl the low pump station sits in, m (radius up to 35 m). Assumption."""
    depressions_per_km2: float = 1.0
    """Natural depressions inside blocks with no inlet (weak spots) per km²; at least 2."""
    depression_depth: tuple[float, float] = (0.8, 2.0)
    """Depth of the bowl carved for a depression, m; the closed depth left on the sloping
    ground (reported in ``weak_spots``) is somewhat less, 0.5-2 m."""
    depression_radius: tuple[float, float] = (25.0, 45.0)
    """Radius of a depression bowl, m (clipped to fit inside its block)."""
    undersized_per_km2: float = 0.5
    """Undersized runs (weak spots) per km²; at least 2."""
    car_parks_per_km2: float = 2.0
    """Basement car parks per km²; at least 2."""
    km2_per_metro_station: float = 6.0
    """Area per metro station, km²; at least 1 station."""
    km2_per_underpass: float = 6.0
    """Area per road underpass, km²; at least 1."""
    km2_per_facility: float = 3.0
    """Area per substation and per hospital, km²; at least one of each."""
    underpass_depth: tuple[float, float] = (5.0, 6.0)
    """Underpass floor at its sag below the road, m (brief: 5-6 m)."""
    metro_depth: float = 16.0
    """Metro station floor (platform) below ground, m. Assumption: two-level stations lie
    some 15-17 m deep."""
    car_park_sill: tuple[float, float] = (0.15, 0.30)
    """Ramp hump of car-park entrances above the outside ground, m (DOMAIN.md §5 [verify]);
    drawn in 0.05 m steps."""
    metro_sill: float = 0.45
    """Metro entrance platform above the outside ground, m (GB 50157 0.30-0.45 m,
    DOMAIN.md §5 [verify])."""
    entrance_sag: tuple[float, float] = (0.5, 12.0)
    """Depth and radius, m, of the dip in the pavement at the lowest entrance of the first
    metro station (weak spot ``low_entrance``): a street low point where the water of the
    carriageway gathers against the entrance platform. Assumption."""
    equipment_height: tuple[float, float] = (0.3, 1.0)
    """Electrical equipment of pump stations and facilities above the ground, m; drawn in
    0.05 m steps. Assumption (DOMAIN.md §6: Zhengzhou added 0.6 m barriers after 2021)."""
    landcover_classes: tuple[tuple[str, float, float], ...] = (
        ("road", 0.02, 0.90), ("building", 0.02, 0.90), ("green", 0.05, 0.15),
        ("water", 0.03, 1.0))
    """(class, Manning n, imperviousness). n: UK EA urban benchmark 0.02 roads / 0.05
    elsewhere (DOMAIN.md §2), 0.03 for the channel (assumption). Imperviousness from the
    GB 50014 runoff coefficients (DOMAIN.md §2): asphalt and roofs 0.85-0.95, green
    0.10-0.20; water passes all rain on."""

    @property
    def area_km2(self) -> float:
        """Plan area of the city, km²."""
        return self.width * self.height / 1e6


@dataclass(frozen=True, eq=False)
class SyntheticCity:
    """A generated city.

    Parameters
    ----------
    dem
        Bare-earth ground elevation (m, float32, EPSG:4547); carriageways are cut
        ``street_depth`` below the blocks, buildings are not in it.
    layers
        Canonical layers of :mod:`floodrisk.schema`, in SI units: ``nodes``, ``conduits``,
        ``pumps``, ``stations``, ``underground``, ``entrances``, ``facilities``,
        ``observed``, ``buildings``, ``landcover``.
    weak_spots
        Points of the weak spots planted on purpose: ``spot_id``, ``kind`` (one of
        :data:`WEAK_SPOT_KINDS`), ``feature_id``, ``description``, ``depth`` and ``area``
        (closed depth, m, and area, m², for depressions).
    settings
        What the city was made from.
    districts
        Drainage districts (排水分区) for a season: ``district_id``, ``name``,
        ``boundaries``, ``outfalls``; strips from the south to the north edge, each
        holding whole drainage systems (an outfall and every node draining to it), cut
        halfway between the systems' nodes so that no pipe crosses a district's edge.
    """

    dem: Grid
    layers: dict[str, gpd.GeoDataFrame]
    weak_spots: gpd.GeoDataFrame
    settings: CitySettings
    districts: gpd.GeoDataFrame | None = None

    def __repr__(self) -> str:
        s = self.settings
        counts = ", ".join(f"{len(v)} {k}" for k, v in self.layers.items())
        return (f"SyntheticCity(seed={s.seed}, {s.width:g}×{s.height:g} m, "
                f"{self.dem.shape[0]}×{self.dem.shape[1]} cells; {counts}; "
                f"{len(self.weak_spots)} weak spots)")


# ---------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------

def generate_city(settings: CitySettings | None = None, **overrides: object) -> SyntheticCity:
    """Generate a synthetic city.

    Parameters
    ----------
    settings
        What to make; the defaults when None.
    **overrides
        Settings to change, e.g. ``seed=3, width=4000.0``.

    Returns
    -------
    SyntheticCity
    """
    s = settings if settings is not None else CitySettings()
    if overrides:
        known = {f.name for f in fields(CitySettings)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(f"unknown city settings {unknown}.", field=unknown[0],
                             hint="See floodrisk.synthetic.CitySettings for the settings.")
        s = replace(s, **overrides)
    _check_settings(s)
    return _Builder(s).build()


def write_city(city: SyntheticCity, out_dir: str | PathLike[str]) -> dict[str, Path]:
    """Write a city as ``dem.tif`` and ``city.gpkg`` (all layers plus ``weak_spots``).

    Parameters
    ----------
    city
        The city to write.
    out_dir
        Folder to write into (created when missing); existing files are replaced.

    Returns
    -------
    dict
        ``{"dem": path of dem.tif, "city": path of city.gpkg}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dem = write_geotiff(city.dem, out / "dem.tif", description="ground elevation (bare earth)",
                        units="m")
    layers = dict(city.layers)
    layers["weak_spots"] = city.weak_spots
    if city.districts is not None:
        layers["districts"] = city.districts
    gpkg = write_layers(layers, out / "city.gpkg")
    log.info("synthetic city written to %s", out)
    return {"dem": dem, "city": gpkg}


# ---------------------------------------------------------------------------------------
# checks and small helpers
# ---------------------------------------------------------------------------------------

def _check_settings(s: CitySettings) -> None:
    def bad(name: str, why: str) -> InputError:
        return InputError(f"city setting {name} = {getattr(s, name)!r}: {why}.", field=name)

    if not 0 < s.cell_size <= 10:
        raise bad("cell_size", "must be in (0, 10] m so that streets are resolved")
    if not 0 < s.carriageway_width < s.street_width:
        raise bad("carriageway_width", "must be positive and narrower than street_width")
    lo, hi = s.street_spacing
    if not s.street_width + 60 <= lo <= hi:
        raise bad("street_spacing", "needs low ≤ high and blocks at least 60 m deep")
    edge = 0.4 * (lo + hi) / 2.0   # least strip between the outermost street and the edge
    needed = 0.6 * (lo + hi) / 2.0 + 2 * hi + edge
    if s.width < needed:
        raise bad("width", f"is too small for three north-south streets (≥ {needed:g} m)")
    needed = s.river_offset + s.river_width + s.park_width + s.street_width / 2 + hi + edge
    if s.height < needed:
        raise bad("height", f"is too small for the river, its park and two streets "
                            f"(≥ {needed:g} m)")
    if not 0 < s.runoff_coeff <= 1:
        raise bad("runoff_coeff", "must be in (0, 1]")
    if s.design_return_period <= 0 or s.inlet_time <= 0:
        raise bad("design_return_period" if s.design_return_period <= 0 else "inlet_time",
                  "must be positive")
    if s.trunk_every < 1:
        raise bad("trunk_every", "must be at least 1")
    if not (s.entrance_sag[0] >= 0 and s.entrance_sag[1] > 0):
        raise bad("entrance_sag", "needs a depth ≥ 0 m and a radius > 0 m")
    if s.max_manhole_spacing <= 0 or s.min_cover < 0 or s.roughness <= 0:
        raise bad("max_manhole_spacing", "spacing and roughness must be positive, cover ≥ 0")


def _cn(n: int) -> str:
    """Chinese numeral for street names such as 经三路 (1-99 in words; larger numbers in
    digits, as 经123路)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _step(rng: np.random.Generator, lo: float, hi: float, step: float) -> float:
    """A uniform draw in [lo, hi] rounded to ``step``."""
    return round(round(rng.uniform(lo, hi) / step) * step, 6)


def _count(per_km2: float, area_km2: float, least: int) -> int:
    return max(least, int(round(per_km2 * area_km2)))


def _fill(z: np.ndarray) -> np.ndarray:
    """Priority-flood fill of a small window (4-connected), outlets on its border."""
    rows, cols = z.shape
    filled = np.full(z.shape, np.inf)
    heap: list[tuple[float, int, int]] = []
    border = np.zeros(z.shape, dtype=bool)
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
    for r, c in zip(*np.nonzero(border)):
        filled[r, c] = z[r, c]
        heap.append((float(z[r, c]), int(r), int(c)))
    heapq.heapify(heap)
    while heap:
        h, r, c = heapq.heappop(heap)
        for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= rr < rows and 0 <= cc < cols and filled[rr, cc] == np.inf:
                filled[rr, cc] = max(h, float(z[rr, cc]))
                heapq.heappush(heap, (filled[rr, cc], rr, cc))
    return filled


@dataclass(frozen=True)
class _Bowl:
    """A smooth bowl ``depth·(1 - (r/R)²)²`` carved into the ground."""

    x: float
    y: float
    radius: float
    depth: float


@dataclass(frozen=True)
class _Block:
    x0: float
    y0: float
    x1: float
    y1: float
    col: int   # index of the interval between north-south streets (0: west edge strip)
    row: int   # index of the interval between east-west streets

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    def distance(self, x: float, y: float) -> float:
        dx = max(self.x0 - x, 0.0, x - self.x1)
        dy = max(self.y0 - y, 0.0, y - self.y1)
        return math.hypot(dx, dy)


_CAR_PARK_NAMES = ("滨河花园", "锦华苑", "翠竹园", "阳光新城", "金桂苑", "银杏小区", "和平里",
                   "长青园", "书香苑", "紫荆苑", "文化广场", "商务中心", "丽景苑", "新天地",
                   "明珠大厦", "东方广场")


# ---------------------------------------------------------------------------------------
# the builder: one pass, in a fixed order of random draws
# ---------------------------------------------------------------------------------------

class _Builder:
    """Builds one city; the order of the steps fixes the order of the random draws."""

    def __init__(self, s: CitySettings) -> None:
        self.s = s
        self.rng = np.random.default_rng(s.seed)
        cs = s.cell_size
        self.x0 = math.floor(s.origin[0] / cs) * cs
        self.y0 = math.floor(s.origin[1] / cs) * cs
        self.ncols = int(round(s.width / cs))
        self.nrows = int(round(s.height / cs))
        self.x1 = self.x0 + self.ncols * cs
        self.y1 = self.y0 + self.nrows * cs
        self.transform = Affine(cs, 0.0, self.x0, 0.0, -cs, self.y1)
        self.crs = CRS.from_user_input(s.crs)
        # river: north bank top on a cell edge
        self.y_bank = self.y0 + round((s.river_offset + s.river_width) / cs) * cs
        self.y_river = self.y_bank - s.river_width / 2.0
        self.bowls: list[_Bowl] = []
        self.weak: list[dict] = []

    # ---- orchestration ---------------------------------------------------------------
    def build(self) -> SyntheticCity:
        self._layout()
        self._place_bowls()
        self._terrain()
        self._buildings()
        self._network()
        self._undersize()
        self._network_frames()
        self._stations()
        self._underground()
        self._facilities()
        self._depression_spots()
        self._observed()
        self._landcover()
        self._roads()
        layers = {name: getattr(self, name) for name in LAYER_ORDER}
        weak = self._weak_frame()
        city = SyntheticCity(dem=self.dem, layers=layers, weak_spots=weak, settings=self.s,
                             districts=self._districts())
        log.info("%r", city)
        return city

    # ---- geometry helpers -------------------------------------------------------------
    def _snap(self, v: float, origin: float) -> float:
        """The centre of the cell holding a coordinate (streets run along cell centres)."""
        cs = self.s.cell_size
        return origin + (math.floor((v - origin) / cs) + 0.5) * cs

    def _centres(self) -> tuple[np.ndarray, np.ndarray]:
        cs = self.s.cell_size
        xs = self.x0 + (np.arange(self.ncols) + 0.5) * cs
        ys = self.y1 - (np.arange(self.nrows) + 0.5) * cs
        return xs, ys

    def _window(self, x0: float, y0: float, x1: float, y1: float
                ) -> tuple[slice, slice]:
        cs = self.s.cell_size
        c0 = max(0, int(math.floor((x0 - self.x0) / cs)))
        c1 = min(self.ncols, int(math.ceil((x1 - self.x0) / cs)))
        r0 = max(0, int(math.floor((self.y1 - y1) / cs)))
        r1 = min(self.nrows, int(math.ceil((self.y1 - y0) / cs)))
        return slice(r0, r1), slice(c0, c1)

    def _carve(self, z: np.ndarray, b: _Bowl) -> None:
        """Lower the ground array ``z`` (rows and columns of the DEM) by a bowl, in place."""
        xs, ys = self._centres()
        rs, cs_ = self._window(b.x - b.radius, b.y - b.radius, b.x + b.radius, b.y + b.radius)
        r = np.hypot(xs[cs_][None, :] - b.x, ys[rs][:, None] - b.y) / b.radius
        z[rs, cs_] -= np.where(r < 1.0, b.depth * (1.0 - r * r) ** 2, 0.0)

    def _ground(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        return self.dem.sample(x, y)

    def _min_under(self, poly: shapely.Polygon) -> float:
        """Lowest DEM cell whose centre lies in a polygon."""
        x0, y0, x1, y1 = poly.bounds
        rs, cs_ = self._window(x0, y0, x1, y1)
        xs, ys = self._centres()
        gx, gy = np.meshgrid(xs[cs_], ys[rs])
        inside = shapely.contains_xy(poly, gx, gy)
        vals = self.dem.values[rs, cs_][inside]
        return float(vals.min()) if vals.size else float(self._ground(*poly.centroid.coords[0]))

    # ---- 1. streets ----------------------------------------------------------------------
    def _layout(self) -> None:
        s, rng = self.s, self.rng
        lo, hi = s.street_spacing
        half = s.street_width / 2.0
        edge = 0.4 * (lo + hi) / 2.0
        xs = [self._snap(self.x0 + rng.uniform(0.4, 0.6) * (lo + hi) / 2.0, self.x0)]
        while True:
            nxt = self._snap(xs[-1] + rng.uniform(lo, hi), self.x0)
            if nxt > self.x1 - edge:
                break
            xs.append(nxt)
        ys = [self._snap(self.y_bank + s.park_width + half, self.y0)]
        while True:
            nxt = self._snap(ys[-1] + rng.uniform(lo, hi), self.y0)
            if nxt > self.y1 - edge:
                break
            ys.append(nxt)
        self.xs = np.array(xs)
        self.ys = np.array(ys)
        n = len(xs)
        k = s.trunk_every
        off = int(rng.integers(k))
        trunk = (np.arange(n) - off) % k == 0
        if trunk.sum() < 2:
            trunk = np.arange(n) % k == 0
        if trunk.sum() < 2:
            raise InputError(f"only {int(trunk.sum())} trunk street fits; a city needs two "
                             "drainage systems for its two pump stations.", field="trunk_every",
                             hint="Make the city wider or lower trunk_every.")
        self.trunk = trunk
        self.ns_names = [f"经{_cn(i + 1)}路" for i in range(n)]
        self.ew_names = ["滨河路"] + [f"纬{_cn(j)}路" for j in range(1, len(ys))]
        # blocks between corridors
        xe = [(self.x0, xs[0] - half)] + [(xs[i] + half, xs[i + 1] - half) for i in range(n - 1)] \
            + [(xs[-1] + half, self.x1)]
        ye = [(ys[j] + half, ys[j + 1] - half) for j in range(len(ys) - 1)] + [(ys[-1] + half,
                                                                                self.y1)]
        self.blocks = [_Block(a, b, c, d, ci, rj) for rj, (b, d) in enumerate(ye)
                       for ci, (a, c) in enumerate(xe)]
        log.debug("streets: %d north-south, %d east-west, %d trunks", n, len(ys), trunk.sum())

    # ---- 2. where the bowls go (before the terrain is made) ---------------------------
    def _place_bowls(self) -> None:
        s, rng = self.s, self.rng
        ys, xs = self.ys, self.xs
        # road underpasses on street sags: non-trunk north-south segments, away from the river
        n_under = _count(1.0 / s.km2_per_underpass, s.area_km2, 1)
        segs = [(i, j) for i in range(len(xs)) for j in range(len(ys) - 1)]
        noise = rng.permutation(len(segs))   # prefer local streets away from the river road
        ranked = sorted(range(len(segs)), key=lambda k: (bool(self.trunk[segs[k][0]]),
                                                        segs[k][1] == 0, noise[k]))
        self.underpasses: list[dict] = []
        for k in ranked:
            if len(self.underpasses) == n_under:
                break
            i, j = segs[k]
            cx, cy = xs[i], (ys[j] + ys[j + 1]) / 2.0
            if any(math.hypot(cx - u["x"], cy - u["y"]) < 600 for u in self.underpasses):
                continue
            seg = ys[j + 1] - ys[j]
            length = round(min(140.0, seg - s.street_width - 30.0), 1)
            radius = 0.45 * seg
            self.bowls.append(_Bowl(cx, cy, radius, s.street_sag_depth))
            self.underpasses.append(dict(i=i, j=j, x=cx, y=cy, length=length, radius=radius))
        # pump stations: some trunks end in a wet well; the first drawn sits in a low spot
        trunks = np.flatnonzero(self.trunk)
        n_st = min(len(trunks), max(2, int(round(len(trunks) / 3))))
        chosen = np.sort(rng.choice(trunks, n_st, replace=False))
        low = int(rng.choice(chosen))
        self.station_trunks = [int(t) for t in chosen]
        self.low_trunk = low
        self.station_y = self.y_bank + s.park_width / 2.0
        r_low = min(35.0, s.park_width / 2.0 - 5.0)
        self.bowls.append(_Bowl(float(xs[low]), self.station_y, r_low, s.low_station_depth))
        # natural depressions inside blocks, with no inlet
        n_dep = _count(s.depressions_per_km2, s.area_km2, 2)
        rmin, rmax = s.depression_radius
        margin = 6.0 + s.cell_size   # keep the first block cell beside a street level
        blocks = [b for b in self.blocks if min(b.w, b.h) >= 2 * (rmin + margin)]
        self.depressions: list[_Bowl] = []
        for k in rng.permutation(len(blocks)):
            if len(self.depressions) == n_dep:
                break
            b = blocks[k]
            r = min(rng.uniform(rmin, rmax), min(b.w, b.h) / 2.0 - margin)
            cx = rng.uniform(b.x0 + r + margin, b.x1 - r - margin)
            cy = rng.uniform(b.y0 + r + margin, b.y1 - r - margin)
            d = rng.uniform(*s.depression_depth)
            if any(math.hypot(cx - o.x, cy - o.y) < r + o.radius + 20 for o in self.bowls):
                continue
            bowl = _Bowl(cx, cy, r, d)
            self.bowls.append(bowl)
            self.depressions.append(bowl)
        if len(self.depressions) < n_dep:
            log.warning("only %d of %d depressions fitted", len(self.depressions), n_dep)

    # ---- 3. terrain ------------------------------------------------------------------------
    def _terrain(self) -> None:
        s, rng = self.s, self.rng
        xs, ys = self._centres()
        gy = s.ground_slope * rng.uniform(0.8, 1.2)
        x = xs[None, :] - self.x0
        y = ys[:, None] - self.y0
        bank = s.base_elev - s.river_slope * x                       # north bank top
        z = bank + gy * (ys[:, None] - self.y_bank)                   # plane falling south
        for _ in range(3):
            lam = rng.uniform(700.0, 1400.0)
            theta = rng.uniform(0.0, 2 * math.pi)
            phi = rng.uniform(0.0, 2 * math.pi)
            k = 2 * math.pi / lam
            z = z + s.relief / 3.0 * np.cos(k * (math.cos(theta) * x + math.sin(theta) * y) + phi)
        # river channel (trapezoid) and the south bank rising gently southward
        dist = np.abs(ys - self.y_river)[:, None]
        top, bed = s.river_width / 2.0, s.river_width / 4.0
        frac = np.clip((top - dist) / (top - bed), 0.0, 1.0)
        channel = bank - s.river_depth * frac
        south = bank + 0.003 * (self.y_river - top - ys[:, None])
        in_channel = np.broadcast_to(dist < top, z.shape)
        z = np.where(in_channel, channel, z)
        z = np.where((ys[:, None] <= self.y_river - top) & ~in_channel, south, z)
        for b in self.bowls:
            self._carve(z, b)
        # carriageways: east-west streets across the city, north-south from the riverside road
        cw = s.carriageway_width / 2.0
        row_cut = np.min(np.abs(ys[:, None] - self.ys[None, :]), axis=1) < cw
        col_cut = np.min(np.abs(xs[:, None] - self.xs[None, :]), axis=1) < cw
        rows_ns = ys >= self.ys[0] - cw
        cut = row_cut[:, None] | (col_cut[None, :] & rows_ns[:, None])
        z = z - s.street_depth * cut
        self.dem = Grid(z.astype(np.float32), self.transform, self.crs)

    # ---- 4. buildings ----------------------------------------------------------------------
    def _buildings(self) -> None:
        rng = self.rng
        boxes = []
        for b in self.blocks:
            inner_w, inner_h = b.w - 8.0, b.h - 8.0
            if inner_w < 20 or inner_h < 20:
                continue
            lot = rng.uniform(35.0, 60.0)
            nx_, ny_ = max(1, int(inner_w // lot)), max(1, int(inner_h // lot))
            lw, lh = inner_w / nx_, inner_h / ny_
            u = rng.random((ny_, nx_, 6))
            gx, gy = np.meshgrid(np.arange(nx_), np.arange(ny_))
            fw = lw * (0.45 + 0.35 * u[..., 1])
            fh = lh * (0.45 + 0.35 * u[..., 2])
            cx = b.x0 + 4.0 + (gx + 0.5) * lw + (u[..., 3] - 0.5) * 0.8 * (lw - fw)
            cy = b.y0 + 4.0 + (gy + 0.5) * lh + (u[..., 4] - 0.5) * 0.8 * (lh - fh)
            floors = 2 + np.floor(u[..., 5] * 31)
            keep = u[..., 0] < 0.7
            boxes.append(np.column_stack([cx[keep] - fw[keep] / 2, cy[keep] - fh[keep] / 2,
                                          cx[keep] + fw[keep] / 2, cy[keep] + fh[keep] / 2,
                                          3.0 * floors[keep]]))
        arr = np.concatenate(boxes) if boxes else np.zeros((0, 5))
        arr = np.round(arr, 2)
        keep = np.ones(len(arr), dtype=bool)
        for d in self.depressions:   # no buildings over depressions without inlets
            dx = np.maximum.reduce([arr[:, 0] - d.x, np.zeros(len(arr)), d.x - arr[:, 2]])
            dy = np.maximum.reduce([arr[:, 1] - d.y, np.zeros(len(arr)), d.y - arr[:, 3]])
            keep &= np.hypot(dx, dy) > d.radius + 3.0
        arr = arr[keep]
        geom = shapely.box(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
        self.buildings = gpd.GeoDataFrame(
            {"building_id": [f"B{i + 1:05d}" for i in range(len(arr))],
             "height": arr[:, 4].astype(np.float64)},
            geometry=geom, crs=self.crs)

    # ---- 5. the storm network ------------------------------------------------------------
    def _network(self) -> None:
        s = self.s
        xs, ys = self.xs, self.ys
        n, m = len(xs), len(ys)
        half = s.street_width / 2.0
        pts: list[tuple[float, float]] = []
        kinds: list[str] = []

        def node(x: float, y: float, kind: str = "junction") -> int:
            pts.append((float(x), float(y)))
            kinds.append(kind)
            return len(pts) - 1

        inter = {(i, j): node(xs[i], ys[j]) for j in range(m) for i in range(n)}
        runs: list[tuple[int, int, str]] = []   # (upstream node, downstream node, street)
        trunks = np.flatnonzero(self.trunk)

        def trunk_of(i: int) -> int:
            east = trunks[trunks > i]
            west = trunks[trunks < i]
            if len(east) and (not len(west) or east[0] - i <= i - west[-1]):
                return int(east[0])
            return int(west[-1])

        stub = half + 30.0
        for i in range(n):   # north-south streets
            name = self.ns_names[i]
            if self.y1 - ys[-1] >= stub:
                runs.append((node(xs[i], self.y1 - 10.0), inter[(i, m - 1)], name))
            for j in range(m - 1, 0, -1):
                up = inter[(i, j)] if self.trunk[i] else node(xs[i], ys[j] - half)
                runs.append((up, inter[(i, j - 1)], name))
        for j in range(m):   # east-west streets
            name = self.ew_names[j]
            if xs[0] - self.x0 >= stub:
                runs.append((node(self.x0 + 10.0, ys[j]), inter[(0, j)], name))
            if self.x1 - xs[-1] >= stub:
                runs.append((node(self.x1 - 10.0, ys[j]), inter[(n - 1, j)], name))
            for a in range(n - 1):
                b = a + 1
                if not self.trunk[a] and trunk_of(a) > a:
                    runs.append((inter[(a, j)], inter[(b, j)], name))
                elif not self.trunk[b] and trunk_of(b) < b:
                    runs.append((inter[(b, j)], inter[(a, j)], name))
                else:   # a divide: the run starts just east of street a and flows east
                    runs.append((node(xs[a] + half, ys[j]), inter[(b, j)], name))
        # trunk ends: to an outfall on the bank, or to a pump station's wet well
        self.terminal: dict[int, int] = {}
        y_out = self.y_bank + s.cell_size / 2.0
        for t in trunks:
            if t in self.station_trunks:
                end = node(xs[t], self.station_y, "storage")
            else:
                end = node(xs[t], y_out, "outfall")
            self.terminal[int(t)] = end
            runs.append((inter[(t, 0)], end, self.ns_names[t]))

        # split runs into conduits no longer than the manhole spacing
        c_from, c_to, c_run = [], [], []
        for r, (a, b, _) in enumerate(runs):
            (xa, ya), (xb, yb) = pts[a], pts[b]
            k = max(1, math.ceil(math.hypot(xb - xa, yb - ya) / s.max_manhole_spacing - 1e-9))
            chain = [a] + [node(xa + (xb - xa) * q / k, ya + (yb - ya) * q / k)
                           for q in range(1, k)] + [b]
            for u, v in zip(chain[:-1], chain[1:]):
                c_from.append(u)
                c_to.append(v)
                c_run.append(r)
        self.pts = np.array(pts)
        self.kinds = np.array(kinds, dtype=object)
        self.c_from = np.array(c_from)
        self.c_to = np.array(c_to)
        self.c_run = np.array(c_run)
        self.runs = runs
        self.c_len = np.hypot(*(self.pts[self.c_to] - self.pts[self.c_from]).T)
        self.rim = self._ground(self.pts[:, 0], self.pts[:, 1]).astype(np.float64)

        # topology: one outgoing conduit per node, conduits ordered upstream first
        nc = len(c_from)
        out_of = np.full(len(pts), -1)
        out_of[self.c_from] = np.arange(nc)
        if len(set(c_from)) != nc:
            raise RuntimeError("internal error: a node has two outgoing conduits")
        self.incoming: list[list[int]] = [[] for _ in range(nc)]
        for c in range(nc):
            d = out_of[self.c_to[c]]
            if d >= 0:
                self.incoming[d].append(c)
        g = nx.DiGraph()
        g.add_nodes_from(range(len(pts)))
        g.add_edges_from(zip(c_from, c_to))
        rank = {v: k for k, v in enumerate(nx.topological_sort(g))}
        self.order = sorted(range(nc), key=lambda c: rank[c_from[c]])
        self.down = np.array([out_of[v] for v in self.c_to])
        # system (terminal node) of each conduit
        system = np.full(nc, -1)
        for c in reversed(self.order):
            system[c] = self.c_to[c] if self.down[c] < 0 else system[self.down[c]]
        self.c_system = system

        self._sections()
        self._local_areas()
        self._design()

    def _sections(self) -> None:
        s = self.s
        shapes = ["circular"] * len(s.pipe_diameters) + ["rect_closed"] * len(s.box_sections)
        diam = list(s.pipe_diameters) + [np.nan] * len(s.box_sections)
        width = [np.nan] * len(s.pipe_diameters) + [w for w, _ in s.box_sections]
        height = [np.nan] * len(s.pipe_diameters) + [h for _, h in s.box_sections]
        area, radius = section_full(np.array(shapes), np.array(diam), np.array(height),
                                    np.array(width))
        conv = area * radius ** (2.0 / 3.0)
        order = np.argsort(conv, kind="stable")
        self.sec_shape = np.array(shapes, dtype=object)[order]
        self.sec_diam = np.array(diam)[order]
        self.sec_width = np.array(width)[order]
        self.sec_height = np.array(height)[order]
        self.sec_rise = np.where(self.sec_shape == "circular", self.sec_diam, self.sec_height)
        self.sec_area = area[order]
        r23 = radius[order] ** (2.0 / 3.0)
        self.sec_conv = conv[order]
        n = s.roughness
        self.sec_smin = np.maximum(s.min_slope, (s.min_velocity * n / r23) ** 2)
        self.sec_smax = (s.max_velocity * n / r23) ** 2

    def _local_areas(self) -> None:
        """Plan area draining to each conduit: land north of the bank, nearest conduit."""
        cs = self.s.cell_size
        c = cs * max(1, round(20.0 / cs))

        def axis(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
            left = np.arange(a, b, c)
            right = np.minimum(left + c, b)
            return (left + right) / 2.0, right - left

        cx, wx = axis(self.x0, self.x1)
        cy, wy = axis(self.y_bank, self.y1)
        gx, gy = np.meshgrid(cx, cy)
        weights = (wy[:, None] * wx[None, :]).ravel()
        step = 5.0
        counts = np.maximum(2, np.ceil(self.c_len / step).astype(int) + 1)
        idx = np.repeat(np.arange(len(counts)), counts)
        start = np.repeat(np.cumsum(counts) - counts, counts)
        frac = (np.arange(counts.sum()) - start) / np.repeat(counts - 1, counts)
        a, b = self.pts[self.c_from][idx], self.pts[self.c_to][idx]
        samples = a + (b - a) * frac[:, None]
        _, near = cKDTree(samples).query(np.column_stack([gx.ravel(), gy.ravel()]))
        self.c_local = np.bincount(idx[near], weights=weights, minlength=len(counts))
        # the same split as boxes, for the subcatchments layer
        bx, by = np.meshgrid(cx, cy)
        hx, hy = np.meshgrid(wx / 2.0, wy / 2.0)
        self.c_boxes = (idx[near], shapely.box((bx - hx).ravel(), (by - hy).ravel(),
                                               (bx + hx).ravel(), (by + hy).ravel()))

    def _flow(self, t: float | np.ndarray, area: float | np.ndarray,
              period: float | None = None) -> np.ndarray:
        """Rational-method flow ψ·q(P, t)·F, m³/s, with F in m²."""
        s = self.s
        p = s.design_return_period if period is None else period
        q = s.formula.intensity(p, t)   # L/(s·hm²)
        return s.runoff_coeff * q * np.asarray(area) / 1e4 / 1e3

    def _design(self) -> None:
        """Size each conduit (smallest section with capacity ≥ Q) and set its inverts."""
        s = self.s
        nc = len(self.c_from)
        rank = np.zeros(nc, dtype=int)
        slope = np.zeros(nc)
        up = np.zeros(nc)
        dn = np.zeros(nc)
        area_acc = np.zeros(nc)
        time = np.zeros(nc)
        vel = np.zeros(nc)
        n = s.roughness
        for c in self.order:
            inc = self.incoming[c]
            area_acc[c] = self.c_local[c] + sum(area_acc[i] for i in inc)
            time[c] = (s.inlet_time if not inc else
                       max(time[i] + self.c_len[i] / vel[i] / 60.0 for i in inc))
            q = float(self._flow(time[c], area_acc[c]))
            r_min = max((rank[i] for i in inc), default=0)
            crown_lim = min((dn[i] + self.sec_rise[rank[i]] for i in inc), default=np.inf)
            inv_lim = min((dn[i] for i in inc), default=np.inf)
            rim_u, rim_d, length = self.rim[self.c_from[c]], self.rim[self.c_to[c]], self.c_len[c]
            for r in range(r_min, len(self.sec_conv)):
                rise = self.sec_rise[r]
                u0 = min(rim_u - s.min_cover - rise, crown_lim - rise, inv_lim)
                need = (u0 - (rim_d - s.min_cover - rise)) / length
                sl = min(max(need, self.sec_smin[r]), self.sec_smax[r])
                u = u0 if need <= self.sec_smax[r] else rim_d - s.min_cover - rise + sl * length
                # levels in whole mm, rounded down: cover and slope only grow
                u = math.floor(u * 1000.0) / 1000.0
                d = math.floor((u - sl * length) * 1000.0) / 1000.0
                sl = (u - d) / length
                if self.sec_conv[r] * math.sqrt(sl) / n >= q:
                    break
            else:
                log.warning("conduit %d: design flow %.2f m³/s exceeds the largest section", c, q)
            rank[c], slope[c], up[c], dn[c] = r, sl, u, d
            vel[c] = self.sec_conv[r] * math.sqrt(sl) / n / self.sec_area[r]
        self.c_rank = rank
        self.c_design_rank = rank.copy()
        self.c_slope = slope
        self.c_up = up
        self.c_dn = dn

    def _hydraulics(self, rank: np.ndarray) -> tuple[np.ndarray, ...]:
        """Capacity, accumulated area, time of concentration and design flow for sizes."""
        s = self.s
        sec = self._section_columns(rank)
        cap = full_flow_capacity(sec["shape"], sec["diameter"], sec["height"], sec["width"],
                                 np.full(len(rank), s.roughness), self.c_slope)
        vel = cap / self.sec_area[rank]
        area = np.zeros(len(rank))
        time = np.zeros(len(rank))
        for c in self.order:
            inc = self.incoming[c]
            area[c] = self.c_local[c] + sum(area[i] for i in inc)
            time[c] = (s.inlet_time if not inc else
                       max(time[i] + self.c_len[i] / vel[i] / 60.0 for i in inc))
        return cap, area, time, self._flow(time, area)

    def _section_columns(self, rank: np.ndarray) -> dict[str, np.ndarray]:
        return {"shape": self.sec_shape[rank], "diameter": self.sec_diam[rank],
                "height": self.sec_height[rank], "width": self.sec_width[rank]}

    # ---- 6. undersized runs -----------------------------------------------------------------
    def _undersize(self) -> None:
        s, rng = self.s, self.rng
        want = _count(s.undersized_per_km2, s.area_km2, 2)
        by_run: dict[int, list[int]] = {}
        for c in range(len(self.c_run)):
            by_run.setdefault(int(self.c_run[c]), []).append(c)
        terminal_runs = {int(self.c_run[c]) for c in range(len(self.c_run)) if self.down[c] < 0}
        cands = [r for r, cs_ in by_run.items() if r not in terminal_runs
                 and all(self.sec_shape[self.c_rank[c]] == "circular"
                         and self.sec_diam[self.c_rank[c]] >= 0.5 for c in cs_)]
        cands = [cands[k] for k in rng.permutation(len(cands))]
        rank = self.c_rank.copy()
        chosen: list[int] = []
        used_systems: set[int] = set()
        used_streets: set[str] = set()
        for strict in (True, False):
            for r in cands:
                if len(chosen) == want:
                    break
                cs_ = by_run[r]
                system = int(self.c_system[cs_[0]])
                street = self.runs[r][2]
                if r in chosen or (strict and (system in used_systems or street in used_streets)):
                    continue
                for steps in (1, 2):
                    trial = rank.copy()
                    trial[cs_] = np.maximum(rank[cs_] - steps, 0)
                    cap, area, time, _ = self._hydraulics(trial)
                    q1 = self._flow(time[cs_], area[cs_], period=1.0)
                    if np.all(cap[cs_] < q1):
                        rank = trial
                        chosen.append(r)
                        used_systems.add(system)
                        used_streets.add(street)
                        break
        if len(chosen) < want:
            log.warning("only %d of %d undersized runs could be made", len(chosen), want)
        self.c_rank = rank
        self.c_cap, self.c_area, self.c_time, self.c_flow = self._hydraulics(rank)
        weak = np.zeros(len(rank), dtype=bool)
        for r in chosen:
            weak[by_run[r]] = True
        short = ~weak & (self.c_cap < self.c_flow * (1 - 1e-9))
        if short.any():   # cannot happen: slower flow upstream only lowers downstream peaks
            log.warning("%d conduits fall short of their design flow", int(short.sum()))
        f = s.formula
        for r in chosen:
            for c in by_run[r]:
                k = self.c_rank[c]
                base = s.runoff_coeff * self.c_area[c] / 1e4 * f.A / (self.c_time[c] + f.b) ** f.n
                period = 10 ** ((self.c_cap[c] * 1e3 / base - 1.0) / f.C)
                mid = (self.pts[self.c_from[c]] + self.pts[self.c_to[c]]) / 2.0
                self.weak.append(dict(
                    kind="undersized_pipe", feature_id=self._link_id(c), x=mid[0], y=mid[1],
                    description=(f"{self.runs[r][2]}: {self._size_label(k)} laid where "
                                 f"{self._size_label(self.c_design_rank[c])} is needed; capacity "
                                 f"{self.c_cap[c]:.2f} m³/s against {self.c_flow[c]:.2f} m³/s "
                                 f"(P = {s.design_return_period:g} a), capacity return period "
                                 f"{period:.2f} a")))

    def _size_label(self, r: int) -> str:
        if self.sec_shape[r] == "circular":
            return f"DN{self.sec_diam[r] * 1000:.0f}"
        return f"box {self.sec_width[r]:g}×{self.sec_height[r]:g} m"

    def _link_id(self, c: int) -> str:
        return f"C{c + 1:04d}"

    def _node_id(self, v: int) -> str:
        kind = self.kinds[v]
        if kind == "outfall":
            return f"OF{self.outfall_no[v]:02d}"
        if kind == "storage":
            return f"WW{self.storage_no[v]:02d}"
        return f"J{v + 1:04d}"

    def _network_frames(self) -> None:
        s = self.s
        n_nodes = len(self.pts)
        self.outfall_no = {v: k + 1 for k, v in enumerate(np.flatnonzero(self.kinds == "outfall"))}
        self.storage_no = {v: k + 1 for k, v in enumerate(np.flatnonzero(self.kinds == "storage"))}
        # pumped systems discharge to an outfall beside their wet well
        self.pumped_outfall: dict[int, int] = {}
        extra_pts, extra_kinds = [], []
        for t in self.station_trunks:
            ww = self.terminal[t]
            extra_pts.append((self.pts[ww, 0], self.y_bank + s.cell_size / 2.0))
            extra_kinds.append("outfall")
            self.pumped_outfall[ww] = n_nodes + len(extra_pts) - 1
        if extra_pts:
            self.pts = np.vstack([self.pts, np.array(extra_pts)])
            self.kinds = np.concatenate([self.kinds, np.array(extra_kinds, dtype=object)])
            self.rim = np.concatenate([self.rim, self._ground(*np.array(extra_pts).T)])
            self.outfall_no = {v: k + 1 for k, v in
                               enumerate(np.flatnonzero(self.kinds == "outfall"))}
        ids = np.array([self._node_id(v) for v in range(len(self.pts))], dtype=object)
        self.node_ids = ids

        # node inverts: the lowest conduit end; wet wells a sump below their inlet
        invert = np.full(len(self.pts), np.inf)
        np.minimum.at(invert, self.c_from, self.c_up)
        np.minimum.at(invert, self.c_to, self.c_dn)
        storage_area = np.full(len(self.pts), np.nan)
        for ww, of in self.pumped_outfall.items():
            invert[ww] -= s.wet_well_sump
            invert[of] = self.rim[of] - 1.5   # pressure main outlet just below the bank
            storage_area[ww] = _step(self.rng, 120.0, 300.0, 10.0)
        bed = s.base_elev - s.river_slope * (self.pts[:, 0] - self.x0) - s.river_depth
        low = (self.kinds == "outfall") & (invert < bed + 0.3)
        if low.any():
            log.warning("%d outfalls lie less than 0.3 m above the river bed", int(low.sum()))
        self.nodes = gpd.GeoDataFrame(
            {"node_id": ids, "kind": self.kinds.astype(object),
             "invert_elev": np.round(invert, 3), "rim_elev": np.round(self.rim, 3),
             "max_depth": np.round(np.round(self.rim, 3) - np.round(invert, 3), 3),
             "storage_area": storage_area},
            geometry=shapely.points(self.pts), crs=self.crs)
        # conduits
        rank = self.c_rank
        sec = self._section_columns(rank)
        up_r, dn_r = np.round(self.c_up, 3), np.round(self.c_dn, 3)
        inv_r = np.round(invert, 3)
        system = np.array([ids[v] for v in self.c_system], dtype=object)
        self.conduits = gpd.GeoDataFrame(
            {"link_id": [self._link_id(c) for c in range(len(rank))],
             "from_node": ids[self.c_from], "to_node": ids[self.c_to],
             "shape": sec["shape"].astype(object), "diameter": sec["diameter"],
             "height": sec["height"], "width": sec["width"],
             "roughness": np.full(len(rank), s.roughness), "length": self.c_len,
             "in_offset": np.round(up_r - inv_r[self.c_from], 3),
             "out_offset": np.round(dn_r - inv_r[self.c_to], 3),
             "design_flow": np.round(self.c_flow, 4), "catchment_area": self.c_area,
             "design_time": np.round(self.c_time, 3), "capacity": np.round(self.c_cap, 4),
             "street": [self.runs[r][2] for r in self.c_run], "system": system},
            geometry=shapely.linestrings(np.stack([self.pts[self.c_from], self.pts[self.c_to]],
                                                  axis=1)),
            crs=self.crs)

        # subcatchments: the design split of the land between conduits, each draining to
        # its conduit's upstream node (so a rational-method check sees the design areas)
        owner, boxes = self.c_boxes
        parts = gpd.GeoDataFrame({"owner": owner}, geometry=boxes, crs=self.crs)
        merged = parts.dissolve(by="owner").sort_index()
        c_ids = self.conduits["link_id"].to_numpy()
        self.subcatchments = gpd.GeoDataFrame(
            {"subcatchment_id": ["S" + c_ids[c] for c in merged.index],
             "outlet": ids[self.c_from[merged.index.to_numpy()]],
             "runoff_coeff": np.full(len(merged), s.runoff_coeff)},
            geometry=merged.geometry.to_numpy(), crs=self.crs)

    # ---- 7. pump stations ---------------------------------------------------------------
    def _stations(self) -> None:
        s, rng = self.s, self.rng
        st_rows, pump_rows = [], []
        for k, t in enumerate(self.station_trunks):
            sid = f"PS{k + 1:02d}"
            ww = self.terminal[t]
            x, y = self.pts[ww]
            ground = float(self._ground(x, y))
            h = _step(rng, *s.equipment_height, 0.05)
            inflow = float(self.c_flow[np.flatnonzero(self.c_to == ww)[0]])
            n_p = int(rng.integers(2, 4))
            each = math.ceil(inflow / n_p * 100) / 100.0
            for p in range(n_p):
                pump_rows.append({"pump_id": f"{sid}-P{p + 1}", "station_id": sid,
                                  "from_node": self.node_ids[ww],
                                  "to_node": self.node_ids[self.pumped_outfall[ww]],
                                  "capacity": each, "on_depth": round(1.0 + 0.4 * p, 2),
                                  "off_depth": 0.6})
            name = f"{self.ns_names[t]}排涝泵站"
            st_rows.append({"station_id": sid, "name": name,
                            "equipment_elev": round(ground + h, 3), "equipment_height": h,
                            "ground_elev": round(ground, 3), "capacity": round(each * n_p, 3),
                            "design_inflow": round(inflow, 4), "wet_well": self.node_ids[ww],
                            "x": x, "y": y})
            if t == self.low_trunk:
                xs_, ys_ = self._centres()
                rs, cs_ = self._window(x - 100, y - 100, x + 100, y + 100)
                gx, gy = np.meshgrid(xs_[cs_], ys_[rs])
                near = np.hypot(gx - x, gy - y) <= 100.0
                median = float(np.median(self.dem.values[rs, cs_][near]))
                self.weak.append(dict(
                    kind="low_station", feature_id=sid, x=x, y=y,
                    description=(f"{name} sits in a depression: ground {ground:.2f} m, "
                                 f"{median - ground:.2f} m below the median ground within "
                                 f"100 m; equipment {h:.2f} m above ground")))
        self.stations = gpd.GeoDataFrame(
            pd.DataFrame(st_rows).drop(columns=["x", "y"]),
            geometry=shapely.points([(r["x"], r["y"]) for r in st_rows]), crs=self.crs)
        pumps = pd.DataFrame(pump_rows)
        self.pumps = gpd.GeoDataFrame(pumps, geometry=gpd.GeoSeries([None] * len(pumps)),
                                      crs=None)

    # ---- 8. underground spaces -------------------------------------------------------------
    def _underground(self) -> None:
        s, rng = self.s, self.rng
        spaces, entrances = [], []

        def add_space(kind: str, name: str, poly: shapely.Polygon, depth: float,
                      critical: float, volume: float, doors: list[tuple[float, float, float,
                                                                        float]]) -> str:
            sid = f"UG{len(spaces) + 1:02d}"
            floor = self._min_under(poly) - depth
            spaces.append({"space_id": sid, "kind": kind, "name": name,
                           "floor_elev": round(floor, 3), "floor_area": poly.area,
                           "critical_elev": round(floor + critical, 3),
                           "volume": round(volume, 1), "geometry": poly})
            for k, (x, y, sill, width) in enumerate(doors):
                entrances.append({"entrance_id": f"{sid}-E{k + 1}", "space_id": sid,
                                  "sill_height": sill, "width": width,
                                  "geometry": shapely.Point(x, y)})
            return sid

        half = s.street_width / 2.0
        cw = s.carriageway_width
        # road underpasses on the street sags
        for u in self.underpasses:
            x, y, length = u["x"], u["y"], u["length"]
            poly = shapely.box(x - cw / 2, y - length / 2, x + cw / 2, y + length / 2)
            depth = round(rng.uniform(*s.underpass_depth), 2)
            name = f"{self.ns_names[u['i']]}下穿通道"
            sid = add_space("underpass", name, poly, depth, 1.0, cw * length * depth / 2.0,
                            [(x, y + length / 2, 0.0, cw), (x, y - length / 2, 0.0, cw)])
            xs_, ys_ = self._centres()
            col = int(np.argmin(np.abs(xs_ - x)))
            rows = np.flatnonzero(np.abs(ys_ - y) <= length / 2)
            sag_y = float(ys_[rows[int(np.argmin(self.dem.values[rows, col]))]])
            self.weak.append(dict(
                kind="underpass", feature_id=sid, x=x, y=sag_y,
                description=(f"{name}: floor {depth:.2f} m below the road at its sag, on a street "
                             f"low point; entrances without sills")))
            u["sag_y"] = sag_y
        # metro stations under east-west streets, centred on an intersection
        n_metro = _count(1.0 / s.km2_per_metro_station, s.area_km2, 1)
        m, n = len(self.ys), len(self.xs)
        inner = [(i, j) for j in range(1, m) for i in range(1, n - 1)]
        cands = inner or [(i, j) for j in range(m) for i in range(n)]
        placed: list[tuple[float, float]] = []
        cands = [cands[k] for k in rng.permutation(len(cands))]

        def clear_of_underpasses(ij: tuple[int, int]) -> float:
            x, y = float(self.xs[ij[0]]), float(self.ys[ij[1]])
            return min(math.hypot(x - u["x"], y - u["y"]) for u in self.underpasses)

        if all(clear_of_underpasses(ij) < 150 for ij in cands):   # a small city: take the
            cands = sorted(cands, key=clear_of_underpasses)[::-1][:1]   # farthest crossing
        for i, j in cands:
            if len(placed) == n_metro:
                break
            x, y = float(self.xs[i]), float(self.ys[j])
            if (clear_of_underpasses((i, j)) < 150 and len(cands) > 1) or \
                    any(math.hypot(x - a, y - b) < 800 for a, b in placed):
                continue
            length = 180.0
            poly = shapely.box(x - length / 2, y - half, x + length / 2, y + half)
            dx, dy = half + 20.0, half - 1.5
            doors = [(x - dx, y + dy, s.metro_sill, 5.0), (x + dx, y + dy, s.metro_sill, 5.0),
                     (x + dx, y - dy, s.metro_sill, 5.0), (x - dx, y - dy, s.metro_sill, 5.0)]
            name = f"{self.ew_names[j]}{self.ns_names[i]}站"
            sid = add_space("metro_station", name, poly, s.metro_depth, 1.0, poly.area * 12.0,
                            doors)
            if not placed:
                self._entrance_sag(sid, name, doors)
            placed.append((x, y))
        # basement car parks along block edges, ramps onto the street
        n_cp = _count(s.car_parks_per_km2, s.area_km2, 2)
        blocks = [b for b in self.blocks if b.w >= 70 and b.h >= 55
                  and all(b.distance(d.x, d.y) > 0 for d in self.depressions)]
        made = 0
        for k in rng.permutation(len(blocks)):
            if made == n_cp:
                break
            b = blocks[k]
            w = rng.uniform(50.0, min(100.0, b.w - 12.0))
            h = rng.uniform(35.0, min(70.0, b.h - 12.0))
            xa = b.x0 + rng.uniform(6.0, b.w - w - 6.0)
            south = bool(rng.random() < 0.5)
            ya = b.y0 + 3.0 if south else b.y1 - 3.0 - h
            poly = shapely.box(round(xa, 2), round(ya, 2), round(xa + w, 2), round(ya + h, 2))
            ex = round(xa + w * rng.uniform(0.2, 0.8), 2)
            ey = poly.bounds[1] if south else poly.bounds[3]
            levels = int(rng.integers(1, 3))
            sill = _step(rng, *s.car_park_sill, 0.05)
            width = float(rng.choice([3.5, 7.0]))
            name = _CAR_PARK_NAMES[made % len(_CAR_PARK_NAMES)] + (
                "" if made < len(_CAR_PARK_NAMES) else f"{made // len(_CAR_PARK_NAMES) + 1}期") \
                + "地下车库"
            add_space("car_park", name, poly, 3.6 * levels + 0.4,
                      round(rng.uniform(0.3, 1.0), 2), poly.area * 3.6 * levels,
                      [(ex, ey, sill, width)])
            made += 1
        self.underground = gpd.GeoDataFrame(spaces, geometry="geometry", crs=self.crs)
        self.entrances = gpd.GeoDataFrame(entrances, geometry="geometry", crs=self.crs)

    def _entrance_sag(self, sid: str, name: str,
                      doors: list[tuple[float, float, float, float]]) -> None:
        """Dip the pavement at the lowest of a station's entrances that has no manhole
        within the dip (so that no rim level changes): street water gathers there against
        the entrance platform. Draws nothing from the random generator."""
        depth, radius = self.s.entrance_sag
        xy = self.nodes.geometry
        free = [k for k, (x, y, _, _) in enumerate(doors)
                if float(xy.distance(shapely.Point(x, y)).min()) > radius + self.s.cell_size]
        if not free:
            log.warning("%s: every entrance has a manhole within %g m; no low entrance", sid,
                        radius)
            return
        k = min(free, key=lambda k: float(self._ground(doors[k][0], doors[k][1])))
        x, y, sill, _ = doors[k]
        z = self.dem.values.astype(np.float64)
        self._carve(z, _Bowl(x, y, radius, depth))
        self.dem = self.dem.with_values(z.astype(np.float32))
        self.weak.append(dict(
            kind="low_entrance", feature_id=f"{sid}-E{k + 1}", x=x, y=y, depth=depth,
            description=(f"{name} entrance {sid}-E{k + 1}: the pavement dips {depth:.2f} m "
                         f"over {radius:g} m around it, a street low point; its {sill:.2f} m "
                         "platform is the only barrier")))

    # ---- 9. facilities ---------------------------------------------------------------------
    def _facilities(self) -> None:
        s, rng = self.s, self.rng
        n_each = _count(1.0 / s.km2_per_facility, s.area_km2, 1)
        cent = shapely.centroid(self.buildings.geometry.to_numpy())
        pick = rng.permutation(len(cent))[: 2 * n_each]
        rows = []
        for k, b in enumerate(pick):
            kind = "substation" if k % 2 == 0 else "hospital"
            x, y = shapely.get_x(cent[b]), shapely.get_y(cent[b])
            h = _step(rng, *s.equipment_height, 0.05)
            ground = float(self._ground(x, y))
            num = k // 2 + 1
            name = (f"{_cn(num)}号110kV变电站" if kind == "substation"
                    else f"市第{_cn(num)}人民医院")
            rows.append({"facility_id": f"F{k + 1:02d}", "kind": kind, "name": name,
                         "equipment_elev": round(ground + h, 3), "equipment_height": h,
                         "geometry": shapely.Point(round(x, 2), round(y, 2))})
        self.facilities = gpd.GeoDataFrame(rows, geometry="geometry", crs=self.crs)

    # ---- 10. depression weak spots ------------------------------------------------------
    def _depression_spots(self) -> None:
        cs = self.s.cell_size
        xs, ys = self._centres()
        for d in self.depressions:
            pad = d.radius + 30.0
            rs, cs_ = self._window(d.x - pad, d.y - pad, d.x + pad, d.y + pad)
            z = self.dem.values[rs, cs_].astype(np.float64)
            depth = _fill(z) - z
            labels, _ = ndimage.label(depth > 1e-6)
            rr, cc = self._window(d.x - 1, d.y - 1, d.x + 1, d.y + 1)
            lab = labels[rr.start - rs.start, cc.start - cs_.start]
            if lab == 0:
                log.warning("depression at (%.0f, %.0f) holds no water", d.x, d.y)
                continue
            region = labels == lab
            k = np.unravel_index(np.argmax(np.where(region, depth, -1.0)), depth.shape)
            self.weak.append(dict(
                kind="depression_no_inlet", feature_id="", x=float(xs[cs_][k[1]]),
                y=float(ys[rs][k[0]]), depth=round(float(depth[k]), 3),
                area=float(region.sum() * cs * cs),
                description=(f"closed depression {float(depth[k]):.2f} m deep over "
                             f"{region.sum() * cs * cs:.0f} m² inside a block, with no inlet "
                             "or manhole")))

    # ---- 11. observed waterlogging points -------------------------------------------------
    def _observed(self) -> None:
        rng = self.rng
        rows = []
        want = max(4, int(round(self.s.area_km2 / 2.0)))
        queues = [[w for w in self.weak if w["kind"] == kind] for kind in
                  ("underpass", "low_station", "depression_no_inlet", "undersized_pipe")]
        picks: list[dict] = []
        while len(picks) < want and any(queues):   # one of each kind in turn
            for q in queues:
                if q and len(picks) < want:
                    picks.append(q.pop(0))
        dates = {"underpass": "2021-07-20", "low_station": "2021-07-20",
                 "depression_no_inlet": "2020-08-03", "undersized_pipe": "2023-07-29"}
        depth_range = {"underpass": (0.9, 1.5), "low_station": (0.5, 0.8),
                       "depression_no_inlet": (0.3, 0.5), "undersized_pipe": (0.25, 0.4)}
        names = {"underpass": "下穿通道积水", "low_station": "泵站周边积水",
                 "depression_no_inlet": "小区内低洼处积水", "undersized_pipe": "道路积水点"}
        for k, w in enumerate(picks):
            rows.append({"point_id": f"OB{k + 1:02d}", "name": names[w["kind"]],
                         "depth": _step(rng, *depth_range[w["kind"]], 0.05),
                         "date": pd.Timestamp(dates[w["kind"]]),
                         "geometry": shapely.Point(w["x"], w["y"])})
        self.observed = gpd.GeoDataFrame(rows, geometry="geometry", crs=self.crs)

    # ---- 13. road centrelines ------------------------------------------------------------
    def _roads(self) -> None:
        """The street grid's centrelines, named as the network names its pipes: the
        east-west streets (滨河路 by the river, then 纬一路 ...) across the city, the
        north-south ones (经一路 ...) from the riverside road to the north edge."""
        s = self.s
        rows = [{"road_id": f"R{k + 1:03d}", "name": self.ew_names[k],
                 "width": s.street_width,
                 "geometry": shapely.LineString([(self.x0, y), (self.x1, y)])}
                for k, y in enumerate(self.ys)]
        rows += [{"road_id": f"R{len(self.ys) + i + 1:03d}", "name": self.ns_names[i],
                  "width": s.street_width,
                  "geometry": shapely.LineString([(x, self.ys[0]), (x, self.y1)])}
                 for i, x in enumerate(self.xs)]
        self.roads = gpd.GeoDataFrame(rows, geometry="geometry", crs=self.crs)

    # ---- 12. land cover ---------------------------------------------------------------------
    def _landcover(self) -> None:
        s = self.s
        half = s.street_width / 2.0
        table = {c: (n, imp) for c, n, imp in s.landcover_classes}
        corridors = [shapely.box(self.x0, y - half, self.x1, y + half) for y in self.ys] + \
            [shapely.box(x - half, self.ys[0] - half, x + half, self.y1) for x in self.xs]
        road = shapely.union_all(corridors)
        houses = self.buildings.geometry.to_numpy()
        bb = shapely.bounds(houses)
        mid_x = (bb[:, 0] + bb[:, 2]) / 2.0
        mid_y = (bb[:, 1] + bb[:, 3]) / 2.0
        green = []
        for b in self.blocks:   # open ground of each block: the block with its buildings cut out
            inside = (mid_x > b.x0) & (mid_x < b.x1) & (mid_y > b.y0) & (mid_y < b.y1)
            holes = [list(g.exterior.coords) for g in houses[inside]]
            green.append(shapely.Polygon(shapely.box(b.x0, b.y0, b.x1, b.y1).exterior.coords,
                                         holes))
        green.append(shapely.box(self.x0, self.y_bank, self.x1, self.ys[0] - half))   # park
        green.append(shapely.box(self.x0, self.y0, self.x1, self.y_bank - s.river_width))
        water = shapely.box(self.x0, self.y_bank - s.river_width, self.x1, self.y_bank)
        # one (multi)polygon per class: the pieces of a class are disjoint
        geoms = [road, shapely.MultiPolygon(list(houses)), shapely.MultiPolygon(green), water]
        classes = ["road", "building", "green", "water"]
        self.landcover = gpd.GeoDataFrame(
            {"class": classes, "roughness": [table[c][0] for c in classes],
             "imperviousness": [table[c][1] for c in classes]},
            geometry=geoms, crs=self.crs)

    # ---- weak spots frame ----------------------------------------------------------------
    def _districts(self) -> gpd.GeoDataFrame:
        """Two or more strips of whole drainage systems (one per 1.5 km², at least 2, at
        most one per system), split halfway between neighbouring systems' nodes. Every
        edge is open: the river runs through them all. Draws nothing random."""
        g = nx.Graph()
        g.add_nodes_from(self.nodes["node_id"])
        g.add_edges_from(zip(self.conduits["from_node"], self.conduits["to_node"]))
        g.add_edges_from(zip(self.pumps["from_node"], self.pumps["to_node"]))
        x = dict(zip(self.nodes["node_id"], self.nodes.geometry.x))
        systems = sorted(([min(x[i] for i in c), max(x[i] for i in c),
                           sorted(i for i in c if i.startswith("OF"))]
                          for c in nx.connected_components(g)), key=lambda t: t[0])
        if any(a[1] >= b[0] for a, b in zip(systems, systems[1:])):
            log.warning("drainage systems overlap east-west: no districts")
            return gpd.GeoDataFrame({"district_id": [], "name": [], "boundaries": [],
                                     "outfalls": []}, geometry=[], crs=self.crs)
        n = max(1, min(len(systems), max(2, int(round(self.s.area_km2 / 1.5)))))
        groups = np.array_split(np.arange(len(systems)), n)
        cuts = [self.x0] + [(systems[grp[-1]][1] + systems[grp[-1] + 1][0]) / 2.0
                            for grp in groups[:-1]] + [self.x1]
        names = {1: ("全市",), 2: ("西区", "东区")}.get(n) or tuple(f"{_cn(k + 1)}区"
                                                             for k in range(n))
        rows = [{"district_id": f"D{k + 1}", "name": names[k], "boundaries": "open",
                 "outfalls": ",".join(o for i in grp for o in systems[i][2]),
                 "geometry": shapely.box(cuts[k], self.y0, cuts[k + 1], self.y1)}
                for k, grp in enumerate(groups)]
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=self.crs)

    def _weak_frame(self) -> gpd.GeoDataFrame:
        rank = {k: i for i, k in enumerate(WEAK_SPOT_KINDS)}
        rows = sorted(self.weak, key=lambda w: rank[w["kind"]])
        return gpd.GeoDataFrame(
            {"spot_id": [f"WS{k + 1:02d}" for k in range(len(rows))],
             "kind": [w["kind"] for w in rows],
             "feature_id": [w["feature_id"] for w in rows],
             "description": [w["description"] for w in rows],
             "depth": [w.get("depth", np.nan) for w in rows],
             "area": [w.get("area", np.nan) for w in rows]},
            geometry=shapely.points([(w["x"], w["y"]) for w in rows]), crs=self.crs)
