"""Pre-flood-season assessments: scenario batches on Dask, by drainage district, merged
into the city and compared with the previous season.

    from floodrisk.season import run_season
    outcome = run_season("configs/season.toml", "runs/season-2027", workers=2)
    outcome.ok, outcome.summary["counts"]        # season.json
"""

from .config import SeasonConfig, SeasonScenario, load_season
from .runner import SeasonLockedError, SeasonOutcome, run_season
from .tasks import SeasonTask, plan_tasks

__all__ = ["SeasonConfig", "SeasonScenario", "SeasonTask", "SeasonOutcome",
           "SeasonLockedError", "load_season", "plan_tasks", "run_season"]
