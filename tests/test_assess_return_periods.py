"""The lowest return period at which cells, areas and entrances first flood, on three
synthetic runs worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from floodrisk.assess.return_periods import (
    first_flooding_period,
    first_flooding_period_of,
    first_flooding_period_of_areas,
)
from floodrisk.errors import InputError


def three_runs() -> dict[int, np.ndarray]:
    """A 1 × 5 strip. Cell 0 never floods; cell 1 floods from 50 a (0.2 m); cell 2 from
    10 a (0.16 m at 10, 0.3 at 50); cell 3 from 2 a; cell 4 floods at 10 a only (0.2 m; at
    50 a a wall of 0.15 m exactly is not above the threshold) - still first at 10 a."""
    return {2: np.array([[0.0, 0.0, 0.1, 0.2, 0.0]]),
            10: np.array([[0.0, 0.1, 0.16, 0.3, 0.2]]),
            50: np.array([[0.1, 0.2, 0.3, 0.5, 0.15]])}


def test_cells_areas_and_entrances():
    cells = first_flooding_period(three_runs())
    assert math.isnan(cells[0, 0])
    assert list(cells[0, 1:]) == [50.0, 10.0, 2.0, 10.0]
    # areas from the 50-year run's labels: {1, 2} and {3}; cell 4 unlabelled
    labels = np.array([[0, 1, 1, 2, 0]])
    assert list(first_flooding_period_of_areas(labels, cells)) == [10.0, 2.0]
    tables = {2: pd.DataFrame({"entrance_id": ["E1", "E2"], "inflow_volume": [0.0, 3.0]}),
              10: pd.DataFrame({"entrance_id": ["E1", "E2"], "inflow_volume": [0.0, 9.0]}),
              50: pd.DataFrame({"entrance_id": ["E1", "E2", "E3"],
                                "inflow_volume": [12.0, 40.0, 0.0]})}
    got = first_flooding_period_of(tables, "entrance_id", "inflow_volume")
    assert got["E1"] == 50.0 and got["E2"] == 2.0 and math.isnan(got["E3"])
    flags = {p: t.assign(flooded=t["inflow_volume"] > 5) for p, t in tables.items()}
    got = first_flooding_period_of(flags, "entrance_id", "flooded")
    assert got["E1"] == 50.0 and got["E2"] == 10.0


def test_threshold_and_errors():
    cells = first_flooding_period(three_runs(), threshold=0.25)
    assert list(np.nan_to_num(cells[0], nan=-1)) == [-1, -1, 50.0, 10.0, -1]
    with pytest.raises(InputError):
        first_flooding_period({})
    with pytest.raises(InputError) as e:
        first_flooding_period({2: np.zeros((2, 2)), 5: np.zeros((3, 3))})
    assert e.value.field == "max_depths"
