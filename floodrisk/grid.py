"""Grid: a 2-D array of cell values with its affine transform and CRS.

The one raster value every stage passes around. Cells outside the domain are NaN.
Rows run north to south (the usual north-up GeoTIFF layout): ``transform.e < 0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from affine import Affine
from pyproj import CRS

__all__ = ["Grid"]


@dataclass(frozen=True, eq=False)
class Grid:
    """Cell values on a regular north-up grid.

    Parameters
    ----------
    values
        2-D array, rows north to south; NaN marks cells outside the domain. Stored
        read-only: derive a new Grid rather than editing one in place.
    transform
        Affine transform from (col, row) to (x, y) of the cell's upper-left corner.
    crs
        Coordinate reference system; anything :meth:`pyproj.CRS.from_user_input`
        accepts.
    """

    values: np.ndarray
    transform: Affine
    crs: CRS | None = field(default=None)

    def __post_init__(self) -> None:
        values = np.asarray(self.values)
        if values.ndim != 2:
            raise ValueError(f"Grid values must be 2-D, got shape {values.shape}")
        if not np.issubdtype(values.dtype, np.floating):
            values = values.astype(np.float64)
        if values.flags.writeable:  # never share a writable buffer with the caller
            values = values.copy()
            values.setflags(write=False)
        object.__setattr__(self, "values", values)
        if not isinstance(self.transform, Affine):
            object.__setattr__(self, "transform", Affine(*tuple(self.transform)[:6]))
        if self.crs is not None and not isinstance(self.crs, CRS):
            object.__setattr__(self, "crs", CRS.from_user_input(self.crs))
        t = self.transform
        if t.b != 0 or t.d != 0:
            raise ValueError("rotated grids are not supported: the transform must be north-up")
        if t.e >= 0:
            raise ValueError("rows must run north to south (transform.e < 0)")

    # ---- geometry -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def dx(self) -> float:
        """Cell width in CRS units (m for a projected CRS)."""
        return float(self.transform.a)

    @property
    def dy(self) -> float:
        """Cell height in CRS units, positive."""
        return float(-self.transform.e)

    @property
    def cell_area(self) -> float:
        """Area of one cell (m²)."""
        return self.dx * self.dy

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the outer cell edges."""
        rows, cols = self.shape
        x0, y1 = self.transform.c, self.transform.f
        return (x0, y1 - rows * self.dy, x0 + cols * self.dx, y1)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of cell centres as 1-D arrays ``(x of each col, y of each row)``."""
        rows, cols = self.shape
        xs = self.transform.c + (np.arange(cols) + 0.5) * self.dx
        ys = self.transform.f - (np.arange(rows) + 0.5) * self.dy
        return xs, ys

    def index(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells holding points; -1 where a point is off the grid.

        Parameters
        ----------
        x, y
            Point coordinates in the grid's CRS.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        col = np.floor((x - self.transform.c) / self.dx).astype(np.int64)
        row = np.floor((self.transform.f - y) / self.dy).astype(np.int64)
        rows, cols = self.shape
        off = (row < 0) | (row >= rows) | (col < 0) | (col >= cols)
        return np.where(off, -1, row), np.where(off, -1, col)

    def sample(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Value of the cell holding each point (NaN off the grid or in a NaN cell).

        Parameters
        ----------
        x, y
            Point coordinates in the grid's CRS.
        """
        row, col = self.index(x, y)
        out = np.full(np.shape(row), np.nan)
        ok = row >= 0
        out[ok] = self.values[row[ok], col[ok]]
        return out

    def clip(self, polygon) -> Grid:
        """The grid cropped to a polygon's bounds, cells whose centres lie outside it NaN.

        Parameters
        ----------
        polygon
            A shapely (multi)polygon in the grid's CRS; it must overlap the grid.
        """
        from rasterio.features import geometry_mask

        xmin, ymin, xmax, ymax = polygon.bounds
        gx0, gy0, gx1, gy1 = self.bounds
        if xmax <= gx0 or xmin >= gx1 or ymax <= gy0 or ymin >= gy1:
            raise ValueError(f"the polygon (bounds {polygon.bounds}) does not overlap the grid "
                             f"(bounds {self.bounds})")
        t = self.transform
        c0 = max(0, int(np.floor((xmin - t.c) / self.dx)))
        c1 = min(self.shape[1], int(np.ceil((xmax - t.c) / self.dx)))
        r0 = max(0, int(np.floor((t.f - ymax) / self.dy)))
        r1 = min(self.shape[0], int(np.ceil((t.f - ymin) / self.dy)))
        values = np.array(self.values[r0:r1, c0:c1], dtype=np.result_type(self.values, np.float32))
        transform = Affine(t.a, 0.0, t.c + c0 * t.a, 0.0, t.e, t.f + r0 * t.e)
        inside = geometry_mask([polygon], out_shape=values.shape, transform=transform,
                               invert=True)
        values[~inside] = np.nan
        return Grid(values, transform, self.crs)

    def with_values(self, values: np.ndarray) -> Grid:
        """A grid of the same geometry holding other values.

        Parameters
        ----------
        values
            Array of the same shape.
        """
        values = np.asarray(values)
        if values.shape != self.shape:
            raise ValueError(f"shape {values.shape} differs from the grid's {self.shape}")
        return Grid(values, self.transform, self.crs)

    def nearest_cell(self, x: float, y: float, mask: np.ndarray) -> tuple[int, int]:
        """(row, col) of the ``mask`` cell whose centre is nearest to (x, y).

        Parameters
        ----------
        x, y
            The point, in the grid's CRS.
        mask
            Boolean array of the grid's shape: the cells to choose from (at least one).
        """
        rr, cc = np.nonzero(mask)
        if rr.size == 0:
            raise ValueError("the mask holds no cell to choose from")
        xs = self.transform.c + (cc + 0.5) * self.dx
        ys = self.transform.f - (rr + 0.5) * self.dy
        k = int(np.argmin((xs - x) ** 2 + (ys - y) ** 2))
        return int(rr[k]), int(cc[k])

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of cells inside the domain (not NaN)."""
        return ~np.isnan(self.values)

    def __repr__(self) -> str:
        crs = self.crs.to_string() if self.crs is not None else None
        return f"Grid(shape={self.shape}, cell={self.dx:g}x{self.dy:g}, crs={crs})"
