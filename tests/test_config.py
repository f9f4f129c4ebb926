import copy

import pytest
import yaml

from popsbi import ConfigError, features
from popsbi.config import load_schema, load_settings, validate


@pytest.fixture
def default_config(root, monkeypatch):
    monkeypatch.chdir(root)  # model paths in configs are relative to the repository root
    return yaml.safe_load((root / "config" / "config.yaml").read_text())


@pytest.fixture
def example_config(root, monkeypatch):
    monkeypatch.chdir(root)
    return yaml.safe_load((root / "config" / "examples" / "two_populations.yaml").read_text())


def test_shipped_configs_are_valid(default_config, example_config, schema_path):
    default = load_settings(default_config, schema_path)
    assert list(default.scenarios) == ["constant", "bottleneck", "bottleneck_expansion"]
    assert default.sequence_length == 1_000_000 and default.loci.lengths == (100_000,) * 10
    example = load_settings(example_config, schema_path)
    assert list(example.scenarios) == ["isolation", "isolation_migration", "founder"]
    assert example.samples == {"A": 10, "B": 10}


def test_defaults_are_filled_in(example_config, schema_path):
    del example_config["batch_size"]
    settings = load_settings(example_config, schema_path)
    assert settings.batch_size == 250
    assert settings.summaries.statistics.ld_max_snps == 100
    assert settings.summaries.sort_rows == "similarity"
    assert settings.raw["keep_tree_sequences"] is False


def test_schema_lists_exactly_the_statistics_the_code_computes(schema_path):
    schema = load_schema(schema_path)
    items = schema["properties"]["features"]["properties"]["statistics"]["items"]
    assert tuple(items["enum"]) == features.STATISTICS


def edit(config, path, value):
    config = copy.deepcopy(config)
    *parents, last = path
    node = config
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return config


DELETE = object()


@pytest.mark.parametrize(
    "path, value, message",
    [
        (
            ["scenarios", "isolation", "model"],
            "config/scenarios/absent.yaml",
            "scenarios.isolation.model: no such file 'config/scenarios/absent.yaml'",
        ),
        (["scenarios", "isolation", "priors", "T_split"], DELETE, "scenarios.isolation.priors: no prior for T_split"),
        (
            ["scenarios", "isolation", "priors", "N_A"],
            {"dist": "uniform", "low": 10, "high": 1},
            r"scenarios.isolation.priors.N_A: low \(10\) must be smaller than high \(1\)",
        ),
        (
            ["scenarios", "isolation", "priors", "N_A"],
            {"dist": "normal", "low": 1, "high": 2},
            r"config key scenarios.isolation.priors.N_A: .* \(expected: a number",
        ),
        (["scenarios", "isolation", "priors", "typo"], 3.0, "scenarios.isolation.priors: typo not used in"),
        (["features", "statistics"], ["pi", "tajima"], r"config key features.statistics\[1\]: 'tajima' is not one of"),
        (["features", "statistics"], ["pi", "fay_wu_h"], "fay_wu_h need.* polarised data"),
        (
            ["scenarios", "founder", "constraints"],
            ["N_found > N_B * 2", "N_found < N_B"],
            "scenarios.founder.constraints: .* cannot be met",
        ),
        (["samples", "C"], 5, "samples: deme.* C cannot be sampled in scenario 'isolation'"),
        (["samples", "A"], 0, r"config key samples.A: 0 is less than the minimum of 1"),
        (["batch_sise"], 10, r"config key \(top level\): .*'batch_sise' was unexpected.*allowed keys: .*batch_size"),
        (
            ["genome", "recombination_map"],
            {"path": "x.gmap", "start": 10, "end": 5},
            r"genome.recombination_map: start \(10\) must be smaller than end \(5\)",
        ),
        (["seed"], "one", "config key seed: 'one' is not of type 'integer'"),
        (["cnn", "architectures"], ["cnn", "resnet"], r"config key cnn.architectures\[1\]: 'resnet' is not one of"),
        (["cnn", "dropout"], 1.5, "config key cnn.dropout: 1.5 is greater than the maximum of 0.95"),
        (
            ["cnn", "learning_curve"],
            [0, 1],
            r"config key cnn.learning_curve\[0\]: 0 is less than or equal to the minimum",
        ),
        (
            ["cnn", "search", "architectures"],
            ["transformer"],
            r"config key cnn.search.architectures\[0\]: 'transformer' is not one of",
        ),
        (["cnn", "search", "architectures"], ["exchangeable"], "cnn.search.architectures: exchangeable is not trained"),
        (["cnn", "search", "trials"], 0, "cnn.search.trials: 0 trials, but the search is requested for mlp"),
        (
            ["cnn", "search", "space", "dropout"],
            {"low": 0.6, "high": 0.2},
            r"cnn.search.space.dropout: low \(0.6\) is above high \(0.2\)",
        ),
        (
            ["cnn", "search", "space", "learning_rate"],
            {"low": 0.1, "high": 0.001},
            r"cnn.search.space.learning_rate: low \(0.1\) is above high \(0.001\)",
        ),
        (
            ["cnn", "search", "space", "depth"],
            {"low": 1.5, "high": 3},
            "cnn.search.space.depth: low and high must be whole",
        ),
        (["cnn", "search", "space", "lr_decay"], ["cosine"], r"config key cnn.search.space.lr_decay\[0\]: 'cosine'"),
        (["cnn", "search", "reuse"], {"hybrid": "cnn"}, "cnn.search.reuse.hybrid: cnn is not searched"),
        (["cnn", "search", "reuse"], {"mlp": "hybrid"}, "cnn.search.reuse.mlp: mlp is searched itself"),
        (
            ["cnn", "search", "reuse"],
            {"hybrid": "resnet"},
            "config key cnn.search.reuse.hybrid: 'resnet' is not one of",
        ),
    ],
)
def test_bad_config_is_one_message_naming_the_key(example_config, schema_path, path, value, message):
    with pytest.raises(ConfigError, match=message) as error:
        load_settings(edit(example_config, path, value), schema_path)
    assert "\n" not in str(error.value)


def test_model_invalid_for_a_draw_is_a_config_error(example_config, schema_path):
    bad = edit(
        example_config, ["scenarios", "isolation_migration", "priors", "m"], {"dist": "uniform", "low": 2, "high": 3}
    )
    with pytest.raises(ConfigError, match="scenarios.isolation_migration.model: scenario 'isolation_migration'"):
        load_settings(bad, schema_path)


def test_validate_does_not_modify_its_input(example_config, schema_path):
    before = copy.deepcopy(example_config)
    validate(example_config, load_schema(schema_path))
    assert example_config == before


@pytest.mark.parametrize(
    "observed, message",
    [
        ({}, "observed: give either vcf .* or pseudo_observed_scenario"),
        ({"pseudo_observed_scenario": "nope"}, "observed.pseudo_observed_scenario: 'nope' is not a scenario"),
        ({"vcf": "x.vcf.gz", "contig": "20", "start": 0}, "observed: with contig, also give end"),
        ({"vcf": "x.vcf.gz"}, "observed: with vcf, also give its regions"),
        (
            {
                "vcf": "x.vcf.gz",
                "regions": [{"contig": "20", "start": 0, "end": 500}, {"contig": 20, "start": 400, "end": 900}],
            },
            r"observed: regions 20:1-500 and 20:401-900 overlap",
        ),
        (
            {"vcf": "x.vcf.gz", "regions": [{"contig": "20", "start": 10, "end": 10}]},
            r"observed.regions\[0\]: start \(10\) must be smaller than end \(10\)",
        ),
        (
            {"vcf": "x.vcf.gz", "contig": "20", "start": 0, "end": 10, "bed": "loci.bed"},
            "observed: give the regions one way .*, not bed and contig, start, end",
        ),
        (
            {"vcf": "x.vcf.gz", "contig": "20", "start": 0, "end": 1_000_000},
            "observed.popmap: the config samples 2 populations; a popmap must say",
        ),
    ],
)
def test_bad_observed_data_config(example_config, schema_path, observed, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(edit(example_config, ["observed"], observed), schema_path)


@pytest.mark.parametrize(
    "abc_config, message",
    [
        (
            {"heldout_per_scenario": 2000},
            r"abc.heldout_per_scenario \(2000\) must be smaller than simulations_per_scenario",
        ),
        ({"tolerance": 0.0005}, r"abc.tolerance: tolerance 0.0005 accepts 3 of 5850 reference simulations, fewer than"),
        ({"parameter_tolerance": 0.0025}, r"abc.parameter_tolerance: tolerance 0.0025 accepts 5 of 1950"),
    ],
)
def test_tolerances_that_accept_too_few_simulations_stop_at_start_up(example_config, schema_path, abc_config, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(edit(example_config, ["abc"], abc_config), schema_path)


def test_a_network_reuses_the_settings_of_a_searched_one(example_config, schema_path):
    search = load_settings(example_config, schema_path).search
    assert [search.tuned_by(name) for name in ("mlp", "hybrid", "cnn")] == ["mlp", "mlp", None]
    alone = load_settings(edit(example_config, ["cnn", "architectures"], ["mlp"]), schema_path).search
    assert alone.reuse == () and alone.tuned_by("hybrid") is None


def test_a_hybrid_starts_from_the_mlp_only_when_both_train_with_the_same_settings(example_config, schema_path):
    assert load_settings(example_config, schema_path).starts_from("hybrid") == "mlp"
    assert load_settings(example_config, schema_path).starts_from("mlp") is None
    without_mlp = edit(example_config, ["cnn", "architectures"], ["hybrid", "cnn"])
    without_mlp = edit(without_mlp, ["cnn", "search", "architectures"], [])
    assert load_settings(without_mlp, schema_path).starts_from("hybrid") is None
    searched_apart = edit(example_config, ["cnn", "search", "architectures"], ["mlp", "hybrid"])
    searched_apart = edit(searched_apart, ["cnn", "search", "reuse"], {})
    assert load_settings(searched_apart, schema_path).starts_from("hybrid") is None
    neither_searched = edit(example_config, ["cnn", "search", "architectures"], [])
    assert load_settings(neither_searched, schema_path).starts_from("hybrid") == "mlp"


def test_cluster_example_is_the_demo_with_more_simulations(root, default_config, schema_path):
    cluster = yaml.safe_load((root / "config" / "examples" / "cluster.yaml").read_text())
    assert {key for key in cluster if cluster[key] != default_config[key]} == {
        "simulations_per_scenario",
        "batch_size",
        "abc",
        "cnn",
        "sweeps",
    }
    settings = load_settings(cluster, schema_path)
    assert settings.simulations_per_scenario == 100_000
    assert settings.search.workers == 4 and settings.search.trials == 100
    assert settings.sweeps.simulations.simulations_per_class == 10_000


def test_job_requests_follow_the_size_of_the_data(default_config, schema_path):
    n = default_config["simulations_per_scenario"]
    small = load_settings({**default_config, "simulations_per_scenario": 10 * n}, schema_path).requests()
    large = load_settings({**default_config, "simulations_per_scenario": 1000 * n}, schema_path).requests()
    # Aggregation streams batches: memory is flat, time is that of copying 100 times the data.
    assert large["aggregate"].mem_mb == small["aggregate"].mem_mb
    assert large["aggregate"].cpu_seconds == pytest.approx(100 * small["aggregate"].cpu_seconds)
    # The statistics table held by ABC grows with the simulations; network training reads
    # images lazily, so its memory grows only with the table, its time with every image.
    assert large["abc_parameters"].mem_mb - 500 == pytest.approx(100 * (small["abc_parameters"].mem_mb - 500), rel=0.02)
    assert large["cnn_train"].cpu_seconds == pytest.approx(100 * small["cnn_train"].cpu_seconds)
    assert large["abc_model_choice"].runtime(threads=1) >= 2 * large["abc_model_choice"].runtime(threads=2) - 1
    retried = large["abc_model_choice"].resources()
    assert retried["mem_mb"](None, attempt=2) == 2 * large["abc_model_choice"].mem_mb
    assert retried["runtime"](None, threads=2, attempt=3) == 3 * large["abc_model_choice"].runtime(threads=2)


def test_bottleneck_sweep_example_is_the_demo_with_another_sweep_demography(root, default_config, schema_path):
    example = yaml.safe_load((root / "config" / "examples" / "sweeps_bottleneck.yaml").read_text())
    assert {key for key in example if example[key] != default_config[key]} == {"sweeps"}
    # msprime simulates its sweeps: 400 windows a class, where the demo's forward ones afford 200;
    # and each sweep network is trained from three seeds
    assert {key for key in example["sweeps"] if example["sweeps"][key] != default_config["sweeps"].get(key)} == {
        "demography",
        "priors",
        "simulations_per_class",
        "batch_size",
        "seeds",
    }
    demography = load_settings(example, schema_path).sweeps.demography
    assert demography.scenario == "bottleneck" and demography.parameters["T_end"] == 5000


def test_the_demo_simulates_sweep_windows_under_the_history_abc_chooses(default_config, schema_path):
    stage = load_settings(default_config, schema_path).sweeps
    assert stage.demography.scenario is None and stage.demography.parameters is None  # favoured, its posterior
    assert stage.simulations.simulator == "auto" and stage.demography.sweeps_since is None  # any size history


def multi_region(config, regions):
    return edit(config, ["observed"], {"vcf": config["observed"]["vcf"], "regions": regions})


def test_regions_are_the_simulated_loci_each_under_its_own_stretch_of_the_map(default_config, schema_path, demo_data):
    default_config["genome"]["recombination_map"]["path"] = str(demo_data / "chr20.b37.gmap.gz")
    regions = [
        {"contig": "20", "start": 1_000_000, "end": 1_250_000},
        {"contig": "20", "start": 3_000_000, "end": 3_100_000},
    ]
    settings = load_settings(multi_region(default_config, regions), schema_path)
    assert settings.loci.lengths == (250_000, 100_000) and settings.sequence_length == 350_000
    assert [(start, end) for _, start, end in settings.recombination_maps] == [
        (1_000_000, 1_250_000),
        (3_000_000, 3_100_000),
    ]
    rate_maps = settings.simulation("constant").recombination()
    assert [m.sequence_length for m in rate_maps] == [250_000, 100_000]
    assert "sd_pi_EUR" in settings.networks.statistics and "pi_EUR" in settings.networks.statistics


@pytest.mark.parametrize(
    "bed, message",
    [
        (
            "chrom\tstart\tend\n20\t1000000\t1100000\n",
            r"observed.bed: BED file '.*' line 1: start 'start' and end 'end'",
        ),
        ("20\t1000000\n", r"observed.bed: BED file '.*' line 1: 2 column\(s\)"),
        (
            "20\t1000000\t1100000\n20\t1050000\t1200000\n",
            r"observed: regions 20:1000001-1100000 and 20:1050001-1200000 overlap",
        ),
        ("20\t70000000\t70100000\n", r"observed: \[70000000, 70100000\) ends past the last position of genetic map"),
        ("21\t1000000\t1100000\n", r"observed: region 21:1000001-1100000: contig '21' is not the chromosome of genome"),
    ],
)
def test_bad_bed_files_stop_with_one_line(default_config, schema_path, tmp_path, demo_data, bed, message):
    (tmp_path / "loci.bed").write_text(bed)
    default_config["genome"]["recombination_map"]["path"] = str(demo_data / "chr20.b37.gmap.gz")
    config = multi_region(default_config, None)
    config["observed"]["bed"] = str(tmp_path / "loci.bed")
    with pytest.raises(ConfigError, match=message):
        load_settings(config, schema_path)


def test_a_region_on_a_contig_the_vcf_does_not_declare_is_named(default_config, schema_path, demo_data):
    regions = [{"contig": "20", "start": 10**6, "end": 2 * 10**6}, {"contig": "X", "start": 0, "end": 10}]
    config = multi_region(default_config, regions)
    config["observed"]["vcf"] = str(demo_data / "reference.vcf.gz")
    config["genome"]["recombination_map"] = None
    with pytest.raises(
        ConfigError, match=r"observed: region X:1-10: contig 'X' is not a contig of '.*reference.vcf.gz'"
    ):
        load_settings(config, schema_path)
