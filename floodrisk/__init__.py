"""floodrisk: urban waterlogging (内涝) risk assessment from a city's own data.

Public API::

    import floodrisk
    dem = floodrisk.load_dem("dem.tif")                       # Grid, m
    net = floodrisk.load_network("city.gpkg", dem=dem)        # DrainageNetwork
    assets = floodrisk.load_assets("city.gpkg", dem=dem)      # Assets
    study = floodrisk.load_study("configs/demo.toml")         # Study: all of the above
"""

from importlib.metadata import PackageNotFoundError, version

from .config import StudyConfig, load_config
from .errors import FloodRiskError
from .grid import Grid
from .io.assets import read_assets as load_assets
from .io.network import read_network as load_network
from .io.raster import read_dem as load_dem
from .io.study import read_study as load_study
from .network import DrainageNetwork
from .study import Assets, Study

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
]
