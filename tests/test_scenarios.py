import pytest

from popsbi import ScenarioError
from popsbi.scenarios import ScenarioModel, extant_demes

MODEL = """
time_units: generations
demes:
  - name: ancestral
    epochs:
      - {start_size: N_anc, end_time: T_split + T_gap}
  - name: A
    ancestors: [ancestral]
    epochs:
      - {start_size: N_A}
  - name: B
    ancestors: [ancestral]
    epochs:
      - {start_size: N_A / 2, end_time: 0}
migrations:
  - {demes: [A, B], rate: m}
"""


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text(MODEL)
    return ScenarioModel("im", path)


def test_placeholders_are_found_only_in_numeric_fields(model):
    assert model.parameters == {"N_anc", "T_split", "T_gap", "N_A", "m"}


def test_parameters_and_expressions_are_substituted(model):
    graph = model.graph({"N_anc": 1e4, "T_split": 100, "T_gap": 50, "N_A": 2000, "m": 1e-4})
    assert graph["ancestral"].epochs[0].start_size == 1e4
    assert graph["A"].start_time == 150
    assert graph["B"].epochs[0].start_size == 1000
    assert graph.migrations[0].rate == 1e-4
    assert extant_demes(graph) == ["A", "B"]


def test_invalid_parameter_set_names_scenario_and_values(model):
    with pytest.raises(ScenarioError, match=r"scenario 'im'.*m=2.*"):
        model.graph({"N_anc": 1e4, "T_split": 100, "T_gap": 50, "N_A": 2000, "m": 2.0})


def test_missing_model_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        ScenarioModel("x", tmp_path / "absent.yaml")


def test_model_without_demes_is_a_scenario_error(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("time_units: generations\n")
    with pytest.raises(ScenarioError, match="not a Demes model"):
        ScenarioModel("x", path)
