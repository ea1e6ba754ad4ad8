"""floodrisk: urban waterlogging (内涝) risk assessment from a city's own data.

Public API::

    import floodrisk
    dem = floodrisk.load_dem("dem.tif")                       # Grid, m
    net = floodrisk.load_network("city.gpkg", dem=dem)        # DrainageNetwork
    assets = floodrisk.load_assets("city.gpkg", dem=dem)      # Assets
    study = floodrisk.load_study("configs/demo.toml")         # Study: all of the above

    storm = floodrisk.chicago(floodrisk.city_formula("zhengzhou"), 50, 180)   # Hyetograph
    findings = floodrisk.check_network(net)                   # table of data problems
    pipes = floodrisk.assess_capacity(net, floodrisk.city_formula("zhengzhou"), dem=dem)
    result = floodrisk.screen(dem, runoff_m=0.05)             # depressions, ponded depth

    model = floodrisk.read_inp("model.inp", crs="EPSG:4547")  # SwmmModel; .network in SI
    floodrisk.write_inp(model, "copy.inp")                    # SWMM reads it back
    scenario = floodrisk.Scenario(name="P50", storm=storm, failed_stations={"PS01": 3600})
    drainage = floodrisk.run_swmm(study, scenario)            # DrainageResult (EPA SWMM)
    surface = floodrisk.simulate_surface(dem, 0.03, 3 * 3600, rain=storm)   # SurfaceResult (2D)
    coupled = floodrisk.simulate_coupled(study, scenario)     # CoupledResult (1D-2D)
    found = floodrisk.assess_run(study, coupled)              # Assessment: points, spaces, ...
    record = floodrisk.read_run("runs/run-...")               # a finished run folder
    floodrisk.rebuild_reports("runs/run-...", floodrisk.ReportSettings(lang="zh"))
"""

from importlib.metadata import PackageNotFoundError, version

from .capacity import CapacitySettings, assess_capacity
from .assess.assessment import Assessment, AssessmentSettings
from .assess.assessment import assess as assess_run
from .config import StudyConfig, load_config
from .engines.coupled import CoupledResult, CoupledSettings, simulate_coupled
from .engines.screening import ScreeningSettings, screen
from .engines.surface import Inflow, SurfaceSettings, simulate_surface
from .engines.swmm import DrainageResult, SwmmSettings, build_model, run_inp, run_scenarios, run_swmm
from .errors import FloodRiskError
from .grid import Grid
from .io.assets import read_assets as load_assets
from .io.network import read_network as load_network
from .io.rainfall import city_formula, load_storm, read_hyetograph_csv
from .io.raster import read_dem as load_dem
from .io.run_record import RunRecord, read_run
from .io.study import read_study as load_study
from .io.swmm_inp import read_swmm_model as read_inp
from .io.swmm_inp import read_swmm_network
from .io.swmm_inp import write_swmm_model as write_inp
from .network import DrainageNetwork, check_network, to_graph
from .rainfall import Hyetograph, StormFormula, StormTable, block, chicago, zhengzhou_720
from .report.settings import ReportSettings
from .scenario import Scenario, StageSeries
from .study import Assets, Study
from .swmm_model import SwmmModel
from .terrain import fill_depressions, find_depressions


def __getattr__(name: str):
    """The report writers, imported on first use (they load matplotlib, Jinja2 and the map
    drawing code, which a plain ``import floodrisk`` does not need)."""
    if name in ("write_reports", "rebuild_reports"):
        from .report import build
        return getattr(build, name)
    raise AttributeError(f"module 'floodrisk' has no attribute {name!r}")


try:
    __version__ = version("floodrisk")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "load_dem",
    "load_network",
    "load_assets",
    "load_study",
    "load_config",
    "StudyConfig",
    "Grid",
    "DrainageNetwork",
    "Assets",
    "Study",
    "FloodRiskError",
    "read_swmm_network",
    "Hyetograph",
    "StormFormula",
    "StormTable",
    "city_formula",
    "load_storm",
    "read_hyetograph_csv",
    "chicago",
    "block",
    "zhengzhou_720",
    "to_graph",
    "check_network",
    "assess_capacity",
    "CapacitySettings",
    "fill_depressions",
    "find_depressions",
    "screen",
    "ScreeningSettings",
    "read_inp",
    "write_inp",
    "SwmmModel",
    "Scenario",
    "StageSeries",
    "SwmmSettings",
    "build_model",
    "run_swmm",
    "run_inp",
    "run_scenarios",
    "DrainageResult",
    "simulate_surface",
    "SurfaceSettings",
    "Inflow",
    "simulate_coupled",
    "CoupledSettings",
    "CoupledResult",
    "assess_run",
    "Assessment",
    "AssessmentSettings",
    "read_run",
    "RunRecord",
    "write_reports",
    "rebuild_reports",
    "ReportSettings",
]
