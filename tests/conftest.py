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


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory):
    """The demo VCF and map: the repository's if `make run` fetched them, else fetched by the rule."""
    from helpers import checkout, snakemake

    resources = ROOT / "resources" / "shapeit4-example"
    if not (resources / "reference.vcf.gz").exists():
        directory = checkout(ROOT, tmp_path_factory.mktemp("demo"))
        fetched = snakemake(directory, "resources/shapeit4-example/reference.vcf.gz")
        assert fetched.returncode == 0, fetched.stderr[-3000:]
        resources = directory / "resources" / "shapeit4-example"
    return resources
