"""The sweep stage: what msprime cannot model is refused, sweeps look like sweeps, and a scan finds
a planted sweep."""

import copy
import dataclasses
import logging
import math
import types

import allel
import msprime
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from popsbi import ConfigError, simulate, sweeps
from popsbi.config import load_settings
from popsbi.errors import ScenarioError
from popsbi.features import abs_nsl
from popsbi.genotypes import Genotypes
from popsbi.nn.training import heldout_predictions
from popsbi.stages import networks
from popsbi.stages import sweeps as sweep_stage

SWEEPS = {
    "demography": {"scenario": "constant", "parameters": {"N": 2000}},
    "population": "EUR",
    "individuals": 10,
    "window": 50_000,
    "step": 25_000,
    "mutation_rate": 5e-8,
    "recombination_rate": 1e-8,
    "classes": ["neutral", "hard"],
    "simulations_per_class": 80,
    # as many neutral windows as hard sweeps: this classifier, of hard sweeps alone, then calls the
    # planted partial sweeps at 0.5
    "neutral_simulations": 80,
    "batch_size": 80,
    "heldout_per_class": 20,
    "priors": {
        "s": {"dist": "loguniform", "low": 0.02, "high": 0.1},
        "time_since_fixation": {"dist": "uniform", "low": 0, "high": 100},
    },
    "image_snps": 32,
    "min_snps": 10,
    "scan": {"planted": {"vcf": "chromosome.vcf", "contig": "1", "start": 0, "end": 600_000}},
}
CNN = {"filters": [8, 16], "max_epochs": 12, "patience": 4, "batch_size": 16, "learning_rate": 3e-3, "dropout": 0.2}


def settings_with(root, sweeps_config, cnn_config=None):
    """The two-population example's settings with the default config's one-population scenarios (a
    simulation plays the observed data) and ``sweeps_config``."""
    config = yaml.safe_load((root / "config" / "examples" / "two_populations.yaml").read_text())
    default = yaml.safe_load((root / "config" / "config.yaml").read_text())
    config.update(samples=default["samples"], scenarios=default["scenarios"])
    config["observed"] = {"pseudo_observed_scenario": "constant"}
    config["sweeps"] = sweeps_config
    config["cnn"] = cnn_config or {}
    return load_settings(config, root / "workflow" / "schemas" / "config.schema.yaml")


def fixed_backgrounds(stage):
    """The one background demography of a stage with fixed parameters."""
    return stage.simulations.backgrounds(sweep_stage.background_table(stage.demography, stage.simulations))


def edited(path, value):
    config = copy.deepcopy(SWEEPS)
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


@pytest.mark.parametrize(
    "path, value, message",
    [
        (["classes"], ["neutral", "soft"], "sweeps.priors: no prior for start_frequency"),
        (["classes"], ["neutral", "partial"], "sweeps.priors: no prior for end_frequency"),
        (
            ["demography", "scenario"],
            "bottleneck",
            "sweeps.demography.parameters: give a value for N_anc, N_bot, T_end, T_start",
        ),
        (["demography", "scenario"], "island", "sweeps.demography.scenario: 'island' is not a scenario"),
        (["demography", "scenario"], "favoured", "sweeps.demography.parameters: fixed values need a named scenario"),
        (["population"], "YRI", "sweeps.population: 'YRI' is not a sampled deme"),
        (["classes"], ["neutral", "hard_linked"], "sweeps.priors: no prior for linked_distance"),
        (["step"], 60_000, r"sweeps.step: 60000 bp is longer than the window \(50000 bp\)"),
        (["heldout_per_class"], 80, r"sweeps.heldout_per_class \(80\) must be smaller than simulations_per_class"),
        (
            ["neutral_simulations"],
            20,
            r"sweeps.heldout_per_class \(20\) must be smaller than neutral_simulations \(20\)",
        ),
        (["null_windows"], 100, "sweeps.null_windows: 100 windows at a false_positive_rate of 0.03 allow 3 over the"),
        (["architectures"], ["mlp"], "sweeps.architecture: cnn scans, but is not trained"),
        (
            ["scan", "planted", "end"],
            40_000,
            r"sweeps.scan.planted: the region \[0, 40000\) is shorter than one window",
        ),
        (
            ["scan", "planted"],
            {**SWEEPS["scan"]["planted"], "samples": ["a"], "popmap": "popmap.tsv"},
            "sweeps.scan.planted: give samples or popmap, not both",
        ),
        (["scan", "planted", "vcf"], 3, "config key sweeps.scan.planted.vcf: 3 is not of type 'string'"),
        (["scan"], {"a/b": SWEEPS["scan"]["planted"]}, "config key sweeps.scan: 'a/b' does not match"),
    ],
)
def test_sweep_configs_msprime_cannot_simulate_are_refused(root, monkeypatch, path, value, message):
    monkeypatch.chdir(root)
    with pytest.raises(ConfigError, match=message):
        settings_with(root, edited(path, value))


def test_a_size_change_during_sweeps_is_refused_with_msprime_alone(root, monkeypatch):
    monkeypatch.chdir(root)
    bottleneck = {"N_anc": 10_000, "N_bot": 500, "T_start": 800, "T_end": 300}
    config = edited(["demography"], {"scenario": "bottleneck", "parameters": bottleneck})
    config["simulator"] = "msprime"
    message = "sweeps.demography.parameters: the size of EUR changes less than .* generations ago"
    with pytest.raises(ConfigError, match=message):
        settings_with(root, config)
    config["demography"]["parameters"].update(T_start=90_000, T_end=80_000)  # constant over any sweep
    demography = settings_with(root, config).sweeps.demography
    assert demography.scenario == "bottleneck" and demography.parameters["T_end"] == 80_000


def test_msprime_alone_is_refused_for_sweeps_from_standing_variation(root, monkeypatch):
    monkeypatch.chdir(root)
    config = edited(["classes"], ["neutral", "soft"])
    config.update(
        simulator="msprime",
        priors={**SWEEPS["priors"], "start_frequency": {"dist": "uniform", "low": 0.02, "high": 0.05}},
    )
    with pytest.raises(
        ConfigError, match=r"sweeps.simulator: msprime cannot simulate sweeps from standing variation .* soft"
    ):
        settings_with(root, config)


def test_sweeps_during_a_size_change_are_simulated_forward_by_default(root, monkeypatch):
    # A bottleneck (10,000 to 500) from 800 to 300 generations ago, during every sweep: auto sends
    # the hard sweeps to fwdpy11, which follows the sizes; neutral windows stay msprime's.
    monkeypatch.chdir(root)
    bottleneck = {"N_anc": 4000, "N_bot": 500, "T_start": 800, "T_end": 300}
    stage = settings_with(root, edited(["demography"], {"scenario": "bottleneck", "parameters": bottleneck})).sweeps
    simulations, backgrounds = stage.simulations, fixed_backgrounds(stage)
    rows = {cls: simulations.class_table(cls).iloc[:12] for cls in ("neutral", "hard")}
    graph = backgrounds.graph(0)
    hard = rows["hard"].iloc[0]
    assert simulations.forward("hard", graph, simulate.Sweep(0, hard["s"], None, hard["time_since_fixation"]))
    tables = {cls: simulations.simulate_windows(cls, rows[cls], backgrounds)[0] for cls in rows}
    centre = f"pi_w{simulations.windows.subwindows // 2:02d}"
    assert tables["hard"][centre].mean() < 0.3 * tables["neutral"][centre].mean()


def test_partial_sweeps_run_forward_record_the_frequency_their_allele_reached(root, monkeypatch):
    # Growth from 200 to 4,000 over the last 400 generations, during every partial sweep: forward
    # runs aim at the drawn end frequency and keep any within the prior's 0.5-0.95; the table says
    # where each one landed (test_simulate checks the diversity it leaves against that frequency).
    monkeypatch.chdir(root)
    growth = {"N_anc": 4000, "N_bot": 200, "N_now": 4000, "T_bot": 400}
    config = edited(["demography"], {"scenario": "bottleneck_expansion", "parameters": growth})
    config["classes"] = ["neutral", "partial"]
    config["priors"] = {**SWEEPS["priors"], "s": {"dist": "uniform", "low": 0.05, "high": 0.1}}
    config["priors"]["end_frequency"] = {"dist": "uniform", "low": 0.5, "high": 0.95}
    stage = settings_with(root, config).sweeps
    simulations, backgrounds = stage.simulations, fixed_backgrounds(stage)
    drawn = simulations.class_table("partial").iloc[:12]
    table = simulations.simulate_windows("partial", drawn, backgrounds)[0]
    assert table["end_frequency"].between(0.5, 0.95).all()
    assert (table["end_frequency"] != drawn["end_frequency"].to_numpy()).all()
    assert table["sim_id"].tolist() == drawn["sim_id"].tolist()


def test_posterior_draws_whose_size_changes_during_sweeps_are_refused_by_the_job_with_msprime_alone(root, monkeypatch):
    monkeypatch.chdir(root)
    config = edited(["demography"], {"scenario": "favoured", "parameters": "posterior"})
    config["simulator"] = "msprime"
    stage = settings_with(root, config).sweeps
    forest = pd.DataFrame({"chosen": ["bottleneck"]})
    draws = pd.DataFrame(
        {"N_anc": 10_000.0, "N_bot": [500.0, 800], "T_start": [90_000.0, 800], "T_end": [80_000.0, 300]}
    )
    message = r"sweeps.demography: bottleneck \(chosen by ABC random forest.*\): row 2 of 2: the size of EUR changes"
    with pytest.raises(ScenarioError, match=message):
        sweep_stage.background_table(stage.demography, stage.simulations, forest, {"bottleneck": draws})
    table = sweep_stage.background_table(stage.demography, stage.simulations, forest, {"bottleneck": draws[:1]})
    assert table["scenario"].tolist() == ["bottleneck"]
    windows = stage.simulations.backgrounds(table)
    assert windows.demography(0)[1] == 10_000  # the present size, from which a hard sweep starts at 1/2N


def test_hard_sweeps_remove_diversity_at_the_window_centre(root, monkeypatch):
    monkeypatch.chdir(root)
    stage = settings_with(root, SWEEPS).sweeps
    simulations, backgrounds = stage.simulations, fixed_backgrounds(stage)
    tables = {
        cls: simulations.simulate_windows(cls, simulations.class_table(cls).iloc[:30], backgrounds)[0]
        for cls in ("neutral", "hard")
    }
    centre = f"pi_w{simulations.windows.subwindows // 2:02d}"
    # Expected neutral pi = 4 N mu = 4e-4 per bp; a sweep fixed < 100 generations ago leaves little.
    assert tables["neutral"]["window_pi"].mean() == pytest.approx(4 * 2000 * 5e-8, rel=0.2)
    assert tables["hard"][centre].mean() < 0.25 * tables["neutral"][centre].mean()
    assert tables["hard"]["window_tajimas_d"].mean() < tables["neutral"]["window_tajimas_d"].mean() - 0.5
    assert tables["hard"]["s"].between(0.02, 0.1).all()


@pytest.mark.parametrize("end_frequency", [0.7, 0.9])
def test_a_partial_sweep_keeps_the_diversity_of_pairs_outside_the_selected_class(end_frequency):
    # At the selected site of a strong, recent sweep, two lineages that both carry the selected
    # allele (probability f^2) coalesce during the sweep; any other pair keeps the neutral
    # expected time: mean pairwise diversity is about (1 - f^2) of 4N per unit of mutation.
    n = 2000
    model = simulate.partial_sweep(500, n, 0.1, end_frequency)
    diversity = [
        msprime.sim_ancestry(10, population_size=n, sequence_length=1000, model=model, random_seed=seed).diversity(
            mode="branch"
        )
        for seed in range(1, 201)
    ]
    assert np.mean(diversity) / (4 * n) == pytest.approx(1 - end_frequency**2, abs=0.08)


def test_soft_sweeps_are_simulated_forward_and_need_a_start_frequency_within_0_and_1(root, monkeypatch):
    monkeypatch.chdir(root)
    config = edited(["classes"], ["neutral", "soft", "soft_linked"])
    config["priors"] = {
        **SWEEPS["priors"],
        "start_frequency": {"dist": "uniform", "low": 0.5, "high": 1.5},
        "linked_distance": {"dist": "uniform", "low": 30_000, "high": 60_000},
    }
    with pytest.raises(ConfigError, match=r"sweeps.priors.start_frequency: a frequency within \(0, 1\)"):
        settings_with(root, config)
    config["priors"]["start_frequency"] = {"dist": "uniform", "low": 0.02, "high": 0.05}
    stage = settings_with(root, config).sweeps
    simulations, backgrounds = stage.simulations, fixed_backgrounds(stage)
    tables = {
        cls: simulations.simulate_windows(cls, simulations.class_table(cls).iloc[:15], backgrounds)[0]
        for cls in ("neutral", "soft", "soft_linked")
    }
    centre = f"pi_w{simulations.windows.subwindows // 2:02d}"
    # A sweep from 2-5% of the copies, fixed < 100 generations ago, empties the window's centre
    # less than a hard sweep does but still; one 30-60 kb away leaves it as neutral as about.
    assert tables["soft"][centre].mean() < 0.5 * tables["neutral"][centre].mean()
    assert tables["soft_linked"][centre].mean() > tables["soft"][centre].mean()
    assert tables["soft"]["start_frequency"].between(0.02, 0.05).all()


def test_a_linked_window_holds_what_it_would_hold_cut_from_around_its_sweep(root, monkeypatch):
    # A linked window is simulated with only the sequence between it and its sweep; cut from a
    # sequence around the sweep instead (the window at the same distance), it holds as many SNPs.
    monkeypatch.chdir(root)
    config = edited(["classes"], ["neutral", "hard_linked"])
    config["priors"] = {**SWEEPS["priors"], "linked_distance": {"dist": "uniform", "low": 30_000, "high": 30_001}}
    stage = settings_with(root, config).sweeps
    simulations, backgrounds = stage.simulations, fixed_backgrounds(stage)
    rows, length, distance = simulations.class_table("hard_linked", 80), simulations.windows.length, 30_000
    cut = [len(simulations.window("hard_linked", row, backgrounds)[0].positions) for _, row in rows.iterrows()]
    around = [
        len(
            simulations.simulate(row, backgrounds, length + 2 * distance, "hard", length // 2 + 2 * distance)[0]
            .window(distance, distance + length)
            .positions
        )
        for _, row in rows.iterrows()
    ]
    neutral = [
        len(simulations.window("neutral", row, backgrounds)[0].positions)
        for _, row in simulations.class_table("neutral", 40).iterrows()
    ]
    standard_error = np.hypot(*(np.std(x) / np.sqrt(len(x)) for x in (cut, around)))
    assert abs(np.mean(cut) - np.mean(around)) < 3 * standard_error
    assert np.mean(around) < 0.6 * np.mean(neutral)  # the sweep 5 kb outside the window matters


def test_a_linked_sweep_inside_the_window_lies_beyond_its_central_step(root, monkeypatch):
    monkeypatch.chdir(root)
    config = edited(["classes"], ["neutral", "hard_linked"])
    config.update(window=200_000, step=100_000, recombination_rate=1e-7)
    config["priors"] = {
        **SWEEPS["priors"],
        "s": {"dist": "uniform", "low": 0.05, "high": 0.1},
        "linked_distance": {"dist": "uniform", "low": 40_000, "high": 80_000},
    }
    message = r"sweeps.priors.linked_distance: the low bound \(40000\) must be at least half the step \(50000\)"
    with pytest.raises(ConfigError, match=message):
        settings_with(root, config)
    # 80 kb from the centre of a 200 kb window, beyond its central 100 kb: 20 kb from one end.
    config["priors"]["linked_distance"] = {"dist": "uniform", "low": 80_000, "high": 80_000.5}
    stage = settings_with(root, config).sweeps
    simulations, backgrounds = stage.simulations, fixed_backgrounds(stage)
    length = simulations.windows.length

    def ends(cls):
        """SNPs in the first and the last 40 kb of 30 windows of ``cls``."""
        out = []
        for _, row in simulations.class_table(cls, 30).iterrows():
            positions = simulations.window(cls, row, backgrounds)[0].positions
            out.append([(positions <= 40_000).sum(), (positions > length - 40_000).sum()])
        return np.array(out)

    linked, neutral = ends("hard_linked"), ends("neutral")
    # The sweep's footprint (about s / (r ln 2Ns), 50-70 kb) empties the end it is in, not the other.
    asymmetry = {
        name: (np.abs(x[:, 0] - x[:, 1]) / np.maximum(1, x.sum(axis=1))).mean()
        for name, x in (("linked", linked), ("neutral", neutral))
    }
    assert asymmetry["linked"] > asymmetry["neutral"] + 0.15, asymmetry
    assert linked.min(axis=1).mean() < 0.6 * neutral.mean()
    assert set(linked.argmin(axis=1)) == {0, 1}  # on either side


def test_missing_data_injection_drops_sites_as_the_scan_does(root, monkeypatch):
    monkeypatch.chdir(root)
    stage = settings_with(root, SWEEPS).sweeps
    complete, backgrounds = stage.simulations, fixed_backgrounds(stage)
    missing = settings_with(root, edited(["missing_rate"], 0.02)).sweeps.simulations
    row = complete.class_table("neutral").iloc[0]
    full, thinned = (s.window("neutral", row, backgrounds)[0] for s in (complete, missing))
    assert set(thinned.positions) < set(full.positions)
    # Each site survives with probability (1 - 0.02) ** 10 individuals, about 0.82.
    assert len(thinned.positions) / len(full.positions) == pytest.approx(0.98**10, abs=0.1)


def test_called_windows_place_sweeps_in_their_central_steps_and_adjacent_ones_merge_at_their_peak():
    scan = pd.DataFrame(
        {
            "start": [0, 50, 100, 150, 200, 250, 300, 350],
            "end": [100, 150, 200, 250, 300, 350, 400, 450],
            "sweep": [0.95, 0.92, 0.97, 0.5, np.nan, 0.93, 0.99, 0.99],
        }
    ).sample(frac=1, random_state=2)  # the calls order windows themselves
    bed = sweeps.called_regions(scan, "2", 0.9, 50)
    # windows of 100 bp every 50 bp: their central 50 bp, [25, 75), [75, 125), ..., tile the region;
    # a skipped window (no probability) parts calls as an uncalled one does; the first of tied peaks
    assert bed.values.tolist() == [
        ["2", 25, 175, "sweep", 970, ".", 125, 175],
        ["2", 275, 425, "sweep", 990, ".", 325, 375],
    ]


@pytest.fixture(scope="module")
def trained_classifier(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)  # config paths are relative to the repository root
        settings = settings_with(ROOT, SWEEPS, CNN)
    out = tmp_path_factory.mktemp("sweeps")
    tables, images, distances = [], [], []
    simulations, backgrounds = settings.sweeps.simulations, fixed_backgrounds(settings.sweeps)
    for cls in simulations.classes:
        table, image, spacing = simulations.simulate_windows(cls, simulations.class_table(cls), backgrounds)
        tables.append(table)
        images.append(image)
        distances.append(spacing)
    table = pd.concat(tables, ignore_index=True)
    paths = {
        "images": out / "images.npy",
        "distances": out / "distances.npy",
        "index": out / "index.parquet",
        "sumstats": out / "sumstats.parquet",
    }
    np.save(paths["images"], np.concatenate(images))
    np.save(paths["distances"], np.concatenate(distances))
    table[["scenario", "sim_id"]].to_parquet(paths["index"])
    table.to_parquet(paths["sumstats"])
    heldout = table.groupby("scenario").head(20)[["scenario", "sim_id"]]
    models, predictions = {}, {}
    for net in ("cnn", "mlp"):
        model, data = networks.train(settings.sweeps.classifier, net, paths, heldout, str(out / f"{net}.ckpt"), 2)
        models[net] = [model]  # an ensemble of one seed, as sweeps.seeds: 1 trains
        predictions[net] = heldout_predictions(model, data)[0]
    return settings, models, predictions, table


def test_sweep_classifiers_beat_chance_on_heldout_windows(trained_classifier):
    _, _, predictions, table = trained_classifier
    networks_by_label = {sweeps.NETWORK_LABELS[net]: table for net, table in predictions.items()}
    curves, areas = sweeps.roc_table(networks_by_label, table)
    auc = areas.set_index("method")["auc"]
    assert auc["CNN P(sweep)"] > 0.85
    assert auc["MLP on diploS/HIC features P(sweep)"] > 0.85
    assert auc["-pi (window)"] > 0.85  # a sweep fixed < 100 generations ago removes diversity
    assert set(curves["method"]) == set(auc.index)
    # Every window has every statistic but mean |nSL|, which a window swept of its common SNPs lacks.
    windows = areas.set_index("method")["windows"]
    assert (windows.drop("-mean |nSL| (window)") == 40).all() and windows["-mean |nSL| (window)"] >= 30
    for predicted in predictions.values():
        rates = sweeps.call_rates(predicted, 0.5).set_index("class")["called_share"]
        assert rates["neutral"] < 0.3 < rates["hard"]


def test_diploshic_features_are_each_statistic_across_the_subwindows_normalised():
    pi = np.array([1.0, 2.0, np.nan, 5.0])
    assert np.allclose(sweeps.normalised_across_subwindows("pi", pi), [0.125, 0.25, np.nan, 0.625], equal_nan=True)
    assert np.array_equal(sweeps.normalised_across_subwindows("h12", np.zeros(3)), np.zeros(3))
    d = np.array([-1.0, 0.5, 2.0])
    assert np.allclose(sweeps.normalised_across_subwindows("tajimas_d", d), d - 0.5)


def test_window_features_hold_the_normalised_subwindow_statistics():
    windows = sweeps.Windows("EUR", 10_000, 5, 16, "none")
    rng = np.random.default_rng(1)
    positions = np.sort(rng.choice(np.arange(1, 10_001), 80, replace=False))
    g = Genotypes((rng.random((80, 12)) < 0.3).astype(np.int8), positions, {"EUR": np.arange(12)}, 10_000, False)
    values, _, _ = windows.features(g)
    raw = np.array([values[f"pi_w{k:02d}"] for k in range(5)])
    assert np.allclose([values[f"pi_norm_w{k:02d}"] for k in range(5)], raw / raw.sum())
    assert set(windows.network_statistics()) == {name for name in values if "_norm_w" in name}
    # nSL scored over the window's SNPs whose minor allele is at 5% or more (here 1 of 12 copies:
    # every polymorphic one), averaged per subwindow.
    nsl = abs_nsl(g.haplotypes)
    count = g.haplotypes.sum(axis=1)
    polymorphic = (count > 0) & (count < 12)
    assert np.isnan(nsl[~polymorphic]).all()
    assert np.allclose(nsl[polymorphic], np.abs(allel.nsl(g.haplotypes[polymorphic])), equal_nan=True)
    rare = abs_nsl(np.vstack([g.haplotypes, np.eye(1, 12, dtype=np.int8)]), min_minor_frequency=0.1)
    assert np.isnan(rare[np.minimum(np.append(count, 1), 12 - np.append(count, 1)) < 2]).all()
    first = g.positions <= 2_000
    assert values["nsl_w00"] == pytest.approx(np.nanmean(nsl[first]))
    assert values["window_nsl"] == pytest.approx(np.nanmean(nsl))
    assert "nsl_norm_w04" in windows.network_statistics()


def test_partial_sweeps_lower_the_mean_nsl_of_their_windows():
    # Around a sweep still under way, SNPs sit on the swept haplotype or on the others, and fewer
    # have intermediate frequencies with long haplotypes on one allele only: mean |nSL| drops
    # (measured: 0.98 neutral, 0.66 at 2Ns = 100, 20 windows of 100 kb each).
    means = {}
    for kind in ("neutral", "partial"):
        model = None if kind == "neutral" else simulate.partial_sweep(50_000, 10_000, 0.005, 0.7)
        values = []
        for seed in range(1, 21):
            ts = msprime.sim_ancestry(
                50,
                population_size=10_000,
                sequence_length=100_000,
                recombination_rate=1e-8,
                model=model,
                random_seed=seed,
            )
            ts = msprime.sim_mutations(ts, rate=1.25e-8, model=msprime.BinaryMutationModel(), random_seed=seed)
            values.append(np.nanmean(abs_nsl(ts.genotype_matrix())))
        means[kind] = np.mean(values)
    assert means["partial"] < 0.8 * means["neutral"]


@pytest.mark.parametrize("net", ["cnn", "mlp"])
def test_scan_of_a_planted_sweep_ranks_its_windows_highest(trained_classifier, tmp_path, caplog, net):
    settings, models, _, _ = trained_classifier
    ensemble = models[net]
    sweep = msprime.SweepGenicSelection(
        position=300_000, start_frequency=1 / 4000, end_frequency=1 - 1 / 4000, s=0.05, dt=1e-6
    )
    ts = msprime.sim_ancestry(
        10,
        population_size=2000,
        sequence_length=600_000,
        recombination_rate=1e-8,
        model=[msprime.StandardCoalescent(duration=20), sweep, msprime.StandardCoalescent()],
        random_seed=5,
    )
    ts = msprime.sim_mutations(ts, rate=5e-8, model=msprime.BinaryMutationModel(), random_seed=5)
    vcf = tmp_path / "chromosome.vcf"
    with open(vcf, "w") as handle:
        ts.write_vcf(handle, contig_id="1", position_transform=lambda x: np.asarray(x) + 1)
    target = dataclasses.replace(settings.sweeps.targets["planted"], vcf=str(vcf))  # chromosome 1, [0, 600,000)
    caplog.set_level(logging.INFO)
    scan = sweep_stage.scan_target(ensemble, target)
    assert len(scan) == (600_000 - 50_000) // 25_000 + 1
    # Read and classified in chunks of 100 kb (4 windows each), each a job of its own, the same table.
    in_chunks = dataclasses.replace(target, chunk=100_000)
    assert in_chunks.jobs == 6 and dataclasses.replace(in_chunks, end=None).jobs == 1
    parts = [sweep_stage.scan_job(ensemble, in_chunks, job) for job in range(in_chunks.jobs)]
    assert "chunk 6/6: 1:500001-600000" in caplog.text
    assert [len(part) for part in parts] == [4, 4, 4, 4, 4, 3]
    pd.testing.assert_frame_equal(sweep_stage.merged_scan(parts, in_chunks), scan, check_exact=False, atol=1e-6)
    assert scan["hard"].between(0, 1).all() and np.allclose(scan["sweep"], scan["hard"])
    if net == "mlp":
        # The normalised feature vector keeps the shape of diversity along a window, not its level:
        # in this region, which the sweep empties of diversity for 200 kb, it ranks less sharply.
        centre = scan.loc[(scan["start"] < 300_000) & (scan["end"] > 300_000), "hard"].max()
        assert centre > scan.loc[scan["start"] >= 400_000, "hard"].median(), scan[["start", "hard"]].to_string()
        return
    # The three highest, ties included: a strong sweep takes the probability of many windows
    # around it to 1 at float32's resolution, and their order among themselves means nothing.
    top = scan[scan["hard"] >= scan["hard"].nlargest(3).min()]
    assert ((top["start"] < 300_000) & (top["end"] > 300_000)).any(), scan[["start", "hard", "window_pi"]].to_string()
    assert scan.loc[(scan["start"] >= 400_000), "hard"].max() < top["hard"].min()


def test_a_target_reads_its_samples_to_the_end_of_its_contig(root, monkeypatch, tmp_path):
    monkeypatch.chdir(root)
    ts = msprime.sim_ancestry(15, population_size=2000, sequence_length=300_000, recombination_rate=1e-8, random_seed=3)
    ts = msprime.sim_mutations(ts, rate=5e-8, model=msprime.BinaryMutationModel(), random_seed=3)
    vcf = tmp_path / "chromosome.vcf"
    with open(vcf, "w") as handle:
        ts.write_vcf(handle, contig_id="1", position_transform=lambda x: np.asarray(x) + 1)
    names = [f"tsk_{i}" for i in range(15)]
    chosen = names[2:14:1]  # 12 of the 15 individuals; the classifier reads 10
    target = {"vcf": str(vcf), "contig": "1", "start": 50_000, "samples": chosen, "population": "CEU"}
    settings = settings_with(root, {**SWEEPS, "scan": {"tail": target}}).sweeps.targets["tail"]
    genotypes = sweep_stage.read_target(settings)
    assert list(genotypes.populations) == ["EUR"] and len(genotypes.populations["EUR"]) == 20  # the deme's name
    last = int(ts.sites_position[-1]) + 1
    assert genotypes.sequence_length == last - 50_000 and genotypes.positions.max() == last - 50_000
    # Only the listed individuals' haplotypes: every SNP kept is one of theirs, read from the VCF.
    inside = ts.sites_position >= 50_000
    kept = ts.genotype_matrix()[inside][:, [2 * i + h for i in range(2, 14) for h in (0, 1)]]
    assert len(genotypes.positions) == inside.sum()
    columns = {tuple(column) for column in kept.T}
    assert {tuple(column) for column in genotypes.haplotypes.T} <= columns


def test_scan_skips_windows_without_enough_snps(root, monkeypatch):

    monkeypatch.chdir(root)
    scan = settings_with(root, SWEEPS).sweeps.targets["planted"]
    rng = np.random.default_rng(0)
    positions = np.sort(rng.choice(np.arange(1, 50_001), 60, replace=False))  # SNPs in the first 50 kb only
    haplotypes = (rng.random((60, 20)) < 0.3).astype(np.int8)
    g = Genotypes(haplotypes, positions, {"EUR": np.arange(20)}, 150_000, polarised=False)
    table, images, _ = sweeps.scan_windows(g, scan.windows, scan.step, scan.min_snps, 1_000)
    assert table["start"].tolist() == [1_000, 26_000, 51_000, 76_000, 101_000]
    assert table["skipped"].tolist() == ["", "", "fewer than 10 SNPs", "fewer than 10 SNPs", "fewer than 10 SNPs"]
    assert len(images) == 2
    empty = Genotypes(haplotypes[:0], positions[:0], {"EUR": np.arange(20)}, 150_000, polarised=False)
    table, images, _ = sweeps.scan_windows(empty, scan.windows, scan.step, scan.min_snps, 0)
    assert (table["skipped"] == "fewer than 10 SNPs").all() and len(table) == 5 and len(images) == 0


def test_a_target_without_snps_is_refused_and_chunks_without_any_are_skipped(trained_classifier, tmp_path):
    from popsbi.errors import DataError

    settings, models, _, _ = trained_classifier
    ensemble = models["cnn"]
    ts = msprime.sim_ancestry(10, population_size=2000, sequence_length=100_000, recombination_rate=1e-8, random_seed=2)
    ts = msprime.sim_mutations(ts, rate=5e-8, model=msprime.BinaryMutationModel(), random_seed=2)
    vcf = tmp_path / "chromosome.vcf"
    with open(vcf, "w") as handle:
        ts.write_vcf(handle, contig_id="1", position_transform=lambda x: np.asarray(x) + 1)
    target = dataclasses.replace(settings.sweeps.targets["planted"], vcf=str(vcf), start=0, end=300_000, chunk=100_000)
    table = sweep_stage.scan_target(ensemble, target)  # SNPs in the first 100 kb only
    assert len(table) == (300_000 - 50_000) // 25_000 + 1
    assert (table.loc[table["start"] >= 100_000, "skipped"] == "fewer than 10 SNPs").all()
    assert table.loc[table["end"] <= 100_000, "hard"].notna().all()
    with pytest.raises(DataError, match=r"no window of scan target planted \(1:150001-300000\) has at least 10 SNPs"):
        sweep_stage.scan_target(ensemble, dataclasses.replace(target, start=150_000))


def test_planted_chromosomes_locate_their_sweeps_and_spare_neutral_ones(trained_classifier):
    settings, models, _, _ = trained_classifier
    stage = settings.sweeps
    planted = dataclasses.replace(stage.planted, chromosomes=4, length=300_000, s=0.05, end_frequency=0.9)
    windows = sweep_stage.planted(models["cnn"], stage.simulations, fixed_backgrounds(stage), planted, 0.5)
    # 50 kb windows every 25 kb over 300 kb, the sweep at 150,000: the central 25 kb of [125 kb,
    # 175 kb) holds it; that of [100 kb, 150 kb), [112.5 kb, 137.5 kb), ends 12,501 bp before it and
    # that of [150 kb, 200 kb) starts 12,500 bp after it (offset 1: within one step); that of
    # [0, 50 kb) ends 112,501 bp before it (offset 5).
    first = windows[windows["chromosome"] == "sweep_1"]
    assert first["start"].tolist() == list(range(0, 251_000, 25_000))
    assert first["offset"].tolist() == [5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5]
    assert set(windows["chromosome"]) == {f"{kind}_{k}" for kind in ("sweep", "neutral") for k in range(1, 5)}
    # Offsets on a neutral chromosome count from its centre, as on a sweep chromosome.
    assert windows.loc[windows["chromosome"] == "neutral_1", "offset"].tolist() == first["offset"].tolist()
    summary = sweep_stage.planted_summary(windows, planted).set_index("measure")
    held = summary.loc["planted sweeps called in the window that holds them", "value"]
    neutral_windows = (windows["skipped"] == "")[windows["chromosome"].str.startswith("neutral")].sum()
    assert (summary["n"] == [4, 4 * held, 4, 4, 4, 4, neutral_windows]).all()
    background = summary.loc["neutral chromosomes with a call placed more than 2 windows from their centre", "value"]
    called_far = windows[windows["called"] & (windows["offset"] > 2) & (windows["skipped"] == "")]
    neutral_far = called_far.loc[called_far["chromosome"].str.startswith("neutral"), "chromosome"].nunique()
    assert background <= neutral_far / 4  # a call placed far has its peak, at least, called far
    # A sweep of 2Ns = 200 at 0.9 empties a stretch about s / (r ln 2Ns) = 1 Mb wide: this classifier,
    # trained on hard sweeps of 50 kb windows, calls every planted one where it is, and calls few
    # neutral windows; the whole 300 kb is swept, so calls away from the sweep are not wrong here.
    scanned = windows[windows["skipped"] == ""]
    assert summary.loc["planted sweeps called in the window that holds them", "value"] == 1, scanned.to_string()
    assert summary.loc["neutral windows called (false-positive rate)", "value"] <= 0.2
    swept = scanned[scanned["planted_sweep"]]
    assert swept["sweep"].mean() > scanned.loc[~scanned["planted_sweep"], "sweep"].mean() + 0.5


def test_planted_summary_follows_the_stretch_of_calls_that_holds_each_sweep_and_where_calls_peak():
    offsets = [4, 3, 2, 1, 0, 1, 2, 3, 4, 5]
    probabilities = {
        # called from offset 3 to the sweep without a gap: reaches 3 windows; peaks 1 window away
        "sweep_1": [0, 0.6, 0.7, 0.9, 0.8, 0, 0, 0, 0, 0],
        # called at the sweep and one window beyond, where it peaks; a separate call at offset 4
        "sweep_2": [0, 0, 0, 0, 0.8, 0.9, 0, 0, 0.95, 0],
        # missed at the sweep, called (and placed) 2 windows away
        "sweep_3": [0, 0, 0.6, 0, 0, 0, 0, 0, 0, 0],
        # called at the sweep, but the call peaks 3 windows away
        "sweep_4": [0, 0.9, 0.6, 0.6, 0.6, 0, 0, 0, 0, 0],
        "neutral_1": [0.7, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    }
    windows = pd.DataFrame(
        [
            {
                "chromosome": name,
                "planted_sweep": name.startswith("sweep"),
                "start": 50_000 * i,
                "end": 50_000 * i + 100_000,
                "offset": offset,
                "skipped": "",
                "sweep": p,
                "called": p >= 0.5,
            }
            for name, values in probabilities.items()
            for i, (offset, p) in enumerate(zip(offsets, values))
        ]
    ).sample(frac=1, random_state=1)  # the summary orders windows itself
    settings = types.SimpleNamespace(near=2, step=50_000)
    summary = sweep_stage.planted_summary(windows, settings).set_index("measure")["value"]
    assert summary["planted sweeps called in the window that holds them"] == 0.75
    assert summary["stretches of called windows holding a sweep that reach more than 2 windows away"] == (
        pytest.approx(2 / 3)
    )
    assert summary["planted sweeps placed by a call at most 2 windows away"] == 0.75
    assert summary["sweep chromosomes with a call placed more than 2 windows away"] == 0.5
    assert summary["neutral chromosomes with a call placed more than 2 windows from their centre"] == 1.0
    assert summary["sweep chromosomes whose calls all place the sweep at most 2 windows away"] == 0.5
    assert summary["neutral windows called (false-positive rate)"] == 0.1


def test_the_calibrated_threshold_calls_the_false_positive_rate_of_null_windows_and_no_more():
    null = np.random.default_rng(1).random(10_000)  # probabilities of a sweep of neutral windows
    threshold = sweeps.calibrated_threshold(null, 0.5, 0.03)
    assert threshold == pytest.approx(0.97, abs=0.005)  # a uniform's 97th percentile (sd 0.0017)
    assert (null >= threshold).sum() == 300 and (null >= threshold - 1e-4).sum() > 300
    assert sweeps.calibrated_threshold(null, 0.99, 0.03) == 0.99  # fewer than 3% reach the floor
    assert sweeps.calibrated_threshold(null, 0.5, 1.0) == 0.5
    tied = np.r_[np.ones(10), np.zeros(90)]  # a saturated network: 10% of neutral windows at 1
    assert sweeps.calibrated_threshold(tied, 0.5, 0.1) == 0.5
    assert sweeps.calibrated_threshold(tied, 0.5, 0.05) > 1  # none of a tie can be called alone
    # A network's float32 probabilities, compared in float32 with the threshold: still the 300 highest.
    single = null.astype(np.float32)
    assert (single >= sweeps.calibrated_threshold(single, 0.5, 0.03)).sum() == 300


def test_thresholds_set_on_null_windows_hold_on_other_neutral_windows(trained_classifier):
    settings, models, _, _ = trained_classifier
    simulations, backgrounds = settings.sweeps.simulations, fixed_backgrounds(settings.sweeps)
    null, fresh = (simulations.neutral_windows(400, label, backgrounds) for label in ("null", "fresh"))
    table = sweep_stage.thresholds(models, null, 1e-6, 0.05).set_index("network")
    assert list(table.index) == ["cnn", "mlp"] and (table["null_windows"] == 400).all()
    for net, ensemble in models.items():
        row = table.loc[net]
        # The floor alone calls more than 5% of neutral windows: the threshold is the calibration's.
        assert row["called_at_floor"] > 0.05 and row["threshold"] > 1e-6
        assert row["called_at_threshold"] <= 0.05
        # Neutral windows of another draw are called about as often: at most 5% + 3 sd of 400 windows' share.
        probability = sweeps.sweep_probability(sweep_stage.classify(ensemble, *fresh))
        assert (probability >= row["threshold"]).mean() <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 400)
    # An ensemble answers the mean of its networks' probabilities.
    both = sweep_stage.classify(models["cnn"] + models["mlp"], *fresh)
    means = (sweep_stage.classify(models["cnn"], *fresh) + sweep_stage.classify(models["mlp"], *fresh)) / 2
    assert np.allclose(both.to_numpy(), means.to_numpy(), atol=1e-6) and list(both.columns) == list(means.columns)


def test_robustness_counts_calls_on_neutral_windows_of_each_demography(trained_classifier):
    settings, models, _, _ = trained_classifier
    simulations = settings.sweeps.simulations
    demographies = {
        "constant": pd.DataFrame({"scenario": ["constant"], "N": [2000.0]}),
        # A bottleneck to 100 that ended 100 generations ago: few lineages survive it, as under a sweep.
        "bottleneck": pd.DataFrame(
            {"scenario": ["bottleneck"], "N_anc": [2000.0], "N_bot": [100.0], "T_start": [300.0], "T_end": [100.0]}
        ),
    }
    windows = {}
    for scenario, table in demographies.items():
        windows[scenario] = simulations.neutral_windows(20, f"robustness/{scenario}", simulations.backgrounds(table))
    thresholds = {"cnn": 0.5, "mlp": 0.6}
    table = sweep_stage.robustness(models, windows, "constant", thresholds).set_index(["scenario", "network"])
    assert table.loc[("bottleneck", "mlp"), "threshold"] == 0.6
    assert len(table) == 4 and (table["windows"] == 20).all()
    assert table.loc[("constant", "cnn"), "trained_under"] and not table.loc[("bottleneck", "cnn"), "trained_under"]
    assert table.loc[("constant", "cnn"), "called_share"] <= 0.2
    assert table.loc[("bottleneck", "cnn"), "mean_probability"] > table.loc[("constant", "cnn"), "mean_probability"]
