from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
#: An ABC section for configs of a handful of simulations per scenario.
FEW_SIMULATIONS_ABC = {
    "heldout_per_scenario": 1,
    "tolerance": 0.5,
    "parameter_tolerance": 1.0,
    "tolerance_sweep": [0.5],
    "min_accepted": 2,
}


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def schema_path():
    return SCHEMA


@pytest.fixture(scope="session")
def example_runs(tmp_path_factory):
    """The tiny two-population config run twice, in two fresh checkouts (shared by test modules)."""
    from helpers import checkout, snakemake, tiny

    runs = []
    for name in ("first", "second"):
        directory = checkout(ROOT, tmp_path_factory.mktemp(name))
        result = snakemake(directory, "--configfile", tiny(directory))
        assert result.returncode == 0, result.stderr[-3000:]
        runs.append(directory)
    return runs
