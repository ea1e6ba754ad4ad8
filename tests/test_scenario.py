"""The scenario value and its config section."""

import numpy as np
import pytest

from floodrisk.config import ScenarioConfig, load_config
from floodrisk.errors import ConfigError, InputError
from floodrisk.rainfall import Hyetograph
from floodrisk.scenario import Scenario, StageSeries

STORM = Hyetograph([0.0, 600.0, 1200.0], [36.0, 72.0, 0.0], name="test storm")


def test_defaults_and_simulated_time():
    s = Scenario("base", STORM)
    assert s.simulated_seconds == 1200.0 + 7200.0  # the storm plus 2 h to drain
    assert Scenario("x", STORM, duration=3600).simulated_seconds == 3600.0
    assert dict(s.failed_stations) == {} and s.inlet_blockage == 0.0


def test_scenario_is_read_only():
    s = Scenario("x", STORM, failed_stations={"PS01": 600.0})
    with pytest.raises(TypeError):
        s.failed_stations["PS02"] = 0.0


@pytest.mark.parametrize("kwargs, field", [
    ({"duration": -5}, "duration"),
    ({"failed_stations": {"PS01": -1.0}}, "failed_stations"),
    ({"inlet_blockage": 1.5}, "inlet_blockage"),
    ({"inlet_blockage": {"J1": -0.1}}, "inlet_blockage"),
])
def test_bad_scenarios(kwargs, field):
    with pytest.raises(InputError) as e:
        Scenario("x", STORM, **kwargs)
    assert e.value.field == field


def test_stage_series_checks():
    st = StageSeries([0, 3600], [84.0, 85.5])
    assert st.levels.tolist() == [84.0, 85.5]
    with pytest.raises(InputError):
        StageSeries([0, 0], [1, 2])
    with pytest.raises(InputError):
        StageSeries([0, 1], [1, np.nan])


def test_config_section_builds_the_scenario(tmp_path):
    cfg = ScenarioConfig.model_validate({"name": "PS02 fails", "failed_stations": {"PS02": 1800},
                                         "inlet_blockage": {"J0001": 0.5},
                                         "outfall_stage": {"O1": 84.2}})
    s = cfg.build(STORM)
    assert s.name == "PS02 fails" and s.storm is STORM
    assert dict(s.failed_stations) == {"PS02": 1800.0}
    assert dict(s.inlet_blockage) == {"J0001": 0.5} and dict(s.outfall_stage) == {"O1": 84.2}
    assert ScenarioConfig().build(STORM).name == "test storm"


def test_bad_config_section_names_the_field(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[dem]\npath = "d.tif"\n[network]\npath = "n.gpkg"\n'
                 '[scenario]\ninlet_blockage = 1.2\n')
    with pytest.raises(ConfigError) as e:
        load_config(f)
    assert e.value.field == "scenario.inlet_blockage" and "c.toml" in str(e.value)
