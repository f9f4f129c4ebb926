"""The workflow run by Snakemake, as a user runs it, in a copy of the repository."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import OUTPUTS, checkout, job_counts, snakemake, tiny

from popsbi.observed import vcf_header

pytestmark = pytest.mark.workflow


def test_dry_run_of_the_default_config(root, tmp_path):
    result = snakemake(checkout(root, tmp_path), "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert counts["simulate_batch"] == 3 * 4  # 3 scenarios x 2000 simulations / 500 per batch
    assert counts["draw_priors"] == 3 and counts["aggregate"] == 1
    # two networks x (learning-curve points 10%, 30%, and 100% from 3 seeds); mlp is searched
    assert counts["cnn_train"] == 2 * (2 + 3) and counts["cnn_search"] == 1 and counts["cnn_search_best"] == 1
    # Training asks for a GPU (the SLURM profile maps it to a GPU partition); nothing else does.
    for job in result.stdout.split("\n\n"):
        rule = re.search(r"^\s*(?:local)?rule (\w+):", job, flags=re.M)
        resources = re.search(r"^\s*resources: (.*)$", job, flags=re.M)
        if rule and resources:
            trains = rule.group(1) in ("cnn_train", "cnn_search", "sweep_train")
            assert ("gpu=1" in resources.group(1)) == trains, job


def test_tiny_example_produces_the_datasets(example_runs):
    results = example_runs[0] / "results"
    sumstats = pd.read_parquet(results / "datasets" / "sumstats.parquet")
    assert len(sumstats) == 3 * 6
    assert sumstats.groupby("scenario").size().to_dict() == {"founder": 6, "isolation": 6, "isolation_migration": 6}
    assert {"fst_hudson_A_B", "dxy_A_B", "pi_A", "pi_B", "T_split", "seed"} <= set(sumstats.columns)
    images = np.load(results / "datasets" / "images.npy", mmap_mode="r")
    assert images.shape == (18, 40, 128)
    assert all(images[i].any() for i in range(len(images)))
    index = pd.read_parquet(results / "datasets" / "image_index.parquet")
    assert index.equals(sumstats[["scenario", "sim_id"]])
    for scenario in ("isolation", "isolation_migration", "founder"):
        assert (results / "scenarios" / f"{scenario}.png").stat().st_size > 10_000
        assert (example_runs[0] / "logs" / "simulate_batch" / scenario / "batch_1.log").exists()
    assert (results / "plots" / "sumstats.png").stat().st_size > 10_000
    runtime = pd.read_csv(results / "summary" / "runtime.tsv", sep="\t").set_index("rule")
    assert runtime.loc["simulate_batch", "jobs"] == 6 and runtime.loc["cnn_train", "jobs"] == 3 * (1 + 2)
    assert runtime.loc["simulate_batch", "cpu_seconds"] > 0 and runtime.loc["cnn_train", "peak_memory_mb"] > 100


def test_same_config_and_seed_give_identical_datasets_and_tables(example_runs):
    first, second = (run / "results" for run in example_runs)
    for name in OUTPUTS:
        assert (first / "datasets" / name).read_bytes() == (second / "datasets" / name).read_bytes(), name
    timings = Path("summary") / "runtime.tsv"  # seconds and memory measured: the one table that must differ
    tables = sorted(
        path.relative_to(first) for suffix in ("tsv", "csv", "parquet", "yaml") for path in first.rglob(f"*.{suffix}")
    )
    assert len(tables) > 30 and timings in tables
    for name in set(tables) - {timings}:  # ABC, networks (trained on the CPU), run summary
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_editing_one_scenario_reruns_only_its_jobs(example_runs):
    directory = example_runs[1]
    config = yaml.safe_load((directory / "tiny.yaml").read_text())
    config["scenarios"]["founder"]["priors"]["N_found"]["high"] = 400
    (directory / "tiny.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = snakemake(directory, "--configfile", "tiny.yaml", "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    rerun = {"draw_priors": 1, "draw_scenario": 1, "simulate_batch": 2, "aggregate": 1, "plot_sumstats": 1}
    abc_stage = {
        "heldout": 1,
        "observed_features": 1,
        "abc_model_choice": 1,
        "abc_parameters": 3,
        "abc_cross_validation": 1,
    }
    cnn_stage = {
        "cnn_search": 1,
        "cnn_search_best": 1,
        "cnn_train": 3 * (1 + 2),
        "cnn_evaluate": 3,
        "cnn_learning_curve": 1,
        "compare_methods": 1,
    }
    assert counts == {**rerun, **abc_stage, **cnn_stage, "run_summary": 1, "runtime_summary": 1, "all": 1}
    assert "results/priors/founder.parquet" in result.stdout
    assert "results/priors/isolation.parquet" not in result.stdout


def test_editing_a_network_setting_reruns_the_networks_alone(example_runs):
    """Settings reach the jobs as dataclasses, which Snakemake does not record as params: their text
    (settings_text) is what makes it rerun the jobs a config edit concerns."""
    directory = example_runs[0]
    config = yaml.safe_load((directory / "tiny.yaml").read_text())
    config["cnn"]["fine_tuning_epochs"] = 1
    (directory / "fine_tuning.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = snakemake(directory, "--configfile", "fine_tuning.yaml", "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    networks = {"cnn_search", "cnn_search_best", "cnn_train", "cnn_evaluate", "cnn_learning_curve", "compare_methods"}
    assert set(counts) == networks | {"run_summary", "runtime_summary", "all"}, counts
    assert counts["cnn_train"] == 3 * (2 + 1)


def _reversed_keys(node, ordered=("scenarios", "samples", "priors", "parameters")):
    """The config with the keys of every mapping in reverse order, as a YAML tool may rewrite it, except
    the mappings whose order means something (scenarios, populations, priors: the order of labels,
    image rows and prior draws)."""
    if not isinstance(node, dict):
        return node
    return {
        key: _reversed_keys(value) if key not in ordered else {k: _reversed_keys(v) for k, v in value.items()}
        for key, value in reversed(node.items())
    }


def test_the_same_config_with_its_keys_in_another_order_reruns_no_analysis(example_runs):
    directory = example_runs[0]
    config = yaml.safe_load((directory / "tiny.yaml").read_text())
    (directory / "reordered.yaml").write_text(yaml.safe_dump(_reversed_keys(config), sort_keys=False))
    result = snakemake(directory, "--configfile", "reordered.yaml", "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" in result.stdout + result.stderr, result.stdout[-3000:]


def test_bad_config_stops_before_any_job_with_one_message(root, tmp_path):
    directory = checkout(root, tmp_path)
    result = snakemake(directory, "--configfile", tiny(directory, batch_size=0))
    assert result.returncode != 0
    assert "Invalid configuration: config key batch_size: 0 is less than the minimum of 1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (directory / "results").exists()


def test_abc_stage_of_the_example_runs_on_a_pseudo_observed_simulation(example_runs):
    results = example_runs[0] / "results"
    observed = pd.read_csv(results / "observed" / "sumstats.tsv", sep="\t")
    assert observed["source"].iloc[0].startswith("pseudo-observed: simulation")
    heldout = pd.read_csv(results / "abc" / "heldout.tsv", sep="\t")
    assert heldout.groupby("scenario").size().to_dict() == {"founder": 2, "isolation": 2, "isolation_migration": 2}
    choice = pd.read_csv(results / "abc" / "model_choice.tsv", sep="\t")
    assert list(choice["scenario"]) == ["isolation", "isolation_migration", "founder"]
    assert choice["rejection"].sum() == pytest.approx(1) and choice["mnlogistic"].sum() == pytest.approx(1)
    bounds = {"N_A": (1000, 20000), "N_B": (1000, 20000), "N_found": (10, 500), "T_split": (100, 5000)}
    founder = pd.read_csv(results / "abc" / "parameters" / "founder.tsv", sep="\t")
    for _, row in founder.iterrows():
        low, high = bounds[row["parameter"]]
        assert low <= row["q2.5"] <= row["median"] <= row["q97.5"] <= high
    accuracy = pd.read_csv(results / "abc" / "cv" / "accuracy.tsv", sep="\t")
    assert set(accuracy["method"]) == {"rejection", "random_forest"}
    assert accuracy["accuracy"].between(0, 1).all()
    predictions = pd.read_csv(results / "abc" / "cv" / "predictions.tsv", sep="\t")
    assert set(zip(predictions["true"], predictions["sim_id"])) == set(zip(heldout["scenario"], heldout["sim_id"]))
    for plot in ("distances", "pca", "goodness_of_fit", "cv_confusion", "cv_tolerance", "posterior_founder"):
        assert (results / "abc" / "plots" / f"{plot}.png").stat().st_size > 10_000


def test_tiny_default_config_runs_on_real_data(root, tmp_path, demo_data):
    directory = checkout(root, tmp_path)
    config_path = directory / tiny(directory, "config/config.yaml")
    config = yaml.safe_load(config_path.read_text())
    config["sweeps"]["scan_chunk"] = 1_000_000  # chr20:1-4 Mb in three chunk jobs
    config["cnn"].update(seeds=1, learning_curve=[1.0])  # seeds and learning curves: see example_runs
    config["sweeps"]["seeds"] = 2  # each sweep network an ensemble of two seeds
    # A second scan target: 50 named samples, from 3.5 Mb to the contig's last record.
    samples = vcf_header(demo_data / "reference.vcf.gz")[0][-50:]
    config["sweeps"]["scan"]["tail"] = {
        "vcf": "resources/shapeit4-example/reference.vcf.gz",
        "contig": "20",
        "start": 3_500_000,
        "samples": samples,
    }
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    result = snakemake(directory, "--configfile", config_path.name)
    assert result.returncode == 0, result.stderr[-3000:]
    sumstats = pd.read_parquet(directory / "results" / "datasets" / "sumstats.parquet")
    assert len(sumstats) == 18
    assert (sumstats["segregating_sites_EUR"] > 0).all()
    images = np.load(directory / "results" / "datasets" / "images.npy", mmap_mode="r")
    assert images.shape == (18, 100, 160)  # one tile of 16 SNPs for each of the ten regions
    observed = pd.read_csv(directory / "results" / "observed" / "sumstats.tsv", sep="\t")
    source = "resources/shapeit4-example/reference.vcf.gz 10 regions (20:1000001-1100000 to 20:3700001-3800000"
    assert observed["source"].iloc[0].startswith(source + ", 1,000,000 bp)")
    # Some thousands of SNPs polymorphic among 50 individuals in the ten 100 kb regions.
    assert 1000 < observed["segregating_sites_EUR"].iloc[0] < 7600
    loci = pd.read_csv(directory / "results" / "observed" / "loci.tsv", sep="\t")
    assert len(loci) == 10 and loci["snps"].sum() == observed["segregating_sites_EUR"].iloc[0]
    assert observed["sd_pi_EUR"].iloc[0] == pytest.approx(loci["pi_EUR"].std(ddof=0))
    choice = pd.read_csv(directory / "results" / "abc" / "model_choice.tsv", sep="\t")
    assert choice["rejection"].sum() == pytest.approx(1)
    # The sweep scan of the whole excerpt, chr20:1-4 Mb, in 100 kb windows every 50 kb.
    scans = directory / "results" / "sweeps" / "scan"
    scan = pd.read_csv(scans / "chr20_excerpt" / "scan.tsv", sep="\t", dtype={"contig": str})
    assert len(scan) == 59 and (scan["contig"] == "20").all()
    assert scan["start"].iloc[0] == 1_000_000 and scan["end"].iloc[-1] == 4_000_000
    classes = ["neutral", "hard", "hard_linked", "partial", "partial_linked", "soft", "soft_linked"]
    assert np.allclose(scan[classes].sum(axis=1), 1, atol=1e-5)
    assert np.allclose(scan["sweep"], scan["hard"] + scan["partial"] + scan["soft"])
    assert (scan["n_snps"] > 100).all() and (scan["window_pi"] > 0).all()
    auc = pd.read_csv(directory / "results" / "sweeps" / "auc.tsv", sep="\t")
    assert auc["auc"].between(0, 1).all()
    assert {"CNN P(sweep)", "MLP on diploS/HIC features P(sweep)"} <= set(auc["method"])
    for net in ("cnn", "mlp"):  # both sweep networks trained from two seeds, on the same held-out windows
        seeds = [
            pd.read_csv(directory / "results" / "sweeps" / net / f"seed{k}" / "heldout_predictions.tsv", sep="\t")
            for k in (0, 1)
        ]
        assert len(seeds[0]) == 7 * 3 and (seeds[0]["sim_id"] == seeds[1]["sim_id"]).all()  # 3 held out a class
        assert not np.allclose(seeds[0][classes], seeds[1][classes])  # from different seeds
    assert (scans / "chr20_excerpt" / "scan.png").stat().st_size > 20_000
    # Windows simulated under the scenario that ABC random forest chooses (whichever it is with these
    # few simulations), its parameters drawn from the scenario's ABC posterior (the parameters of the
    # simulations that rejection accepted).
    sweeps = directory / "results" / "sweeps"
    assert config["sweeps"]["demography"]["scenario"] == "favoured"
    background = pd.read_csv(directory / "results" / "abc" / "random_forest.tsv", sep="\t")["chosen"].iloc[0]
    backgrounds = pd.read_csv(sweeps / "demography.tsv", sep="\t")
    accepted = pd.read_csv(directory / "results" / "abc" / "posterior_draws" / f"{background}.tsv", sep="\t")
    assert (backgrounds["scenario"] == background).all()
    pd.testing.assert_frame_equal(backgrounds.drop(columns="scenario"), accepted)
    windows = pd.read_parquet(sweeps / "datasets" / "sumstats.parquet")
    assert (windows["background_scenario"] == background).all() and windows["background_row"].lt(len(accepted)).all()
    robustness = pd.read_csv(sweeps / "robustness.tsv", sep="\t")
    assert len(robustness) == 3 * 2 and (robustness["windows"] == 4).all()  # 3 scenarios x 2 networks
    assert set(robustness.loc[robustness["trained_under"], "scenario"]) == {background}
    assert (windows["scenario"] == "neutral").sum() == 24 and (windows["scenario"] == "hard").sum() == 12
    # Each network calls at the threshold its 100 null windows set: 0.5, raised until at most 5% of them pass.
    thresholds = pd.read_csv(sweeps / "thresholds.tsv", sep="\t").set_index("network")
    assert list(thresholds.index) == ["cnn", "mlp"] and (thresholds["null_windows"] == 100).all()
    assert (thresholds["threshold"] >= 0.5).all() and (thresholds["called_at_threshold"] <= 0.05).all()
    assert (robustness["threshold"] == robustness["network"].map(thresholds["threshold"])).all()
    planted = pd.read_csv(sweeps / "planted" / "windows.tsv", sep="\t")
    assert set(planted["chromosome"]) == {"sweep_1", "sweep_2", "neutral_1", "neutral_2"}
    assert (planted["called"] == (planted["sweep"] >= thresholds.at["cnn", "threshold"])).all()
    assert len(planted) == 4 * 7  # 100 kb windows every 50 kb over 400 kb
    assert (sweeps / "planted" / "planted.png").stat().st_size > 10_000
    # Three chunk jobs of 1 Mb (20, 20 and 19 windows), put together in order.
    chunks = [scans / "chr20_excerpt" / "chunks" / f"{k}.tsv" for k in range(3)]
    assert [len(pd.read_csv(chunk, sep="\t")) for chunk in chunks] == [20, 20, 19]
    assert (
        "chunk 2/3: 20:2000001-3050000"
        in (directory / "logs" / "sweep_scan" / "chr20_excerpt" / "chunk_1.log").read_text()
    )
    # The second target, in its own job and folder: windows from 3.5 Mb up to the last SNP (3,999,849).
    tail = pd.read_csv(scans / "tail" / "scan.tsv", sep="\t", dtype={"contig": str})
    assert not (scans / "tail" / "chunks" / "1.tsv").exists()  # no end in the config: one job
    assert tail["start"].tolist() == list(range(3_500_000, 3_900_000, 50_000)) and tail["end"].max() <= 3_999_849
    # BED8 (none, perhaps, with these few training windows): each call's peak (thick part) inside it
    calls = [line.split("\t") for line in (scans / "chr20_excerpt" / "calls.bed").read_text().splitlines()]
    assert all(len(call) == 8 and int(call[1]) <= int(call[6]) < int(call[7]) <= int(call[2]) for call in calls)
    assert (scans / "tail" / "calls.bed").exists() and (scans / "tail" / "scan.png").stat().st_size > 20_000
    summary = pd.read_csv(directory / "results" / "summary" / "run.tsv", sep="\t").set_index("item")["value"]
    assert summary["simulations in the datasets"] == "18" and summary["master seed"] == "20261124"
    assert summary["scan targets"] == (
        "chr20_excerpt: resources/shapeit4-example/reference.vcf.gz 20:1000001-4000000; "
        "tail: resources/shapeit4-example/reference.vcf.gz 20:3500001-end"
    )


def test_cnn_stage_of_the_example_trains_evaluates_and_compares(example_runs):
    results = example_runs[0] / "results"
    heldout = pd.read_csv(results / "abc" / "heldout.tsv", sep="\t")
    scenarios = ["isolation", "isolation_migration", "founder"]
    for architecture in ("mlp", "hybrid", "cnn"):
        seeds = [
            pd.read_csv(results / "cnn" / architecture / "100pct" / f"seed{k}" / "heldout_predictions.tsv", sep="\t")
            for k in (0, 1)
        ]
        for replicate, predictions in enumerate(seeds):
            trained = results / "cnn" / architecture / "100pct" / f"seed{replicate}"
            assert (trained / "model.ckpt").stat().st_size > 10_000
            history = pd.read_csv(trained / "metrics.csv")
            assert {"train_loss", "val_loss", "train_accuracy", "val_accuracy"} <= set(history.columns)
            assert set(zip(predictions["true"], predictions["sim_id"])) == set(
                zip(heldout["scenario"], heldout["sim_id"])
            )
            assert np.allclose(predictions[scenarios].sum(axis=1), 1, atol=1e-5)
            log = example_runs[0] / "logs" / "cnn_train" / f"{architecture}_100pct_seed{replicate}.log"
            assert log.read_text().count("epoch ") >= 1
        assert not seeds[0][scenarios].equals(seeds[1][scenarios])  # two seeds, two networks
        ensemble = pd.read_csv(results / "cnn" / architecture / "heldout_predictions.tsv", sep="\t")
        assert np.allclose(ensemble[scenarios], (seeds[0][scenarios] + seeds[1][scenarios]) / 2, atol=1e-6)
        observed = pd.read_csv(results / "cnn" / architecture / "observed.tsv", sep="\t")
        assert list(observed["scenario"]) == scenarios
        assert observed["probability"].sum() == pytest.approx(1, abs=1e-5) and (observed["seed_sd"] >= 0).all()
        estimates = pd.read_csv(results / "cnn" / architecture / "observed_parameters.tsv", sep="\t")
        founder = estimates[estimates["scenario"] == "founder"].set_index("parameter")
        assert (
            10
            <= founder.loc["N_found", "q2.5"]
            <= founder.loc["N_found", "median"]
            <= founder.loc["N_found", "q97.5"]
            <= 500
        )
        for plot in ("training_curves", "confusion", "calibration"):
            assert (results / "cnn" / architecture / f"{plot}.png").stat().st_size > 10_000
    curve = pd.read_csv(results / "cnn" / "learning_curve.tsv", sep="\t")
    assert sorted(zip(curve["architecture"], curve["percent"])) == [
        ("cnn", 50),
        ("cnn", 100),
        ("hybrid", 50),
        ("hybrid", 100),
        ("mlp", 50),
        ("mlp", 100),
    ]
    comparison = pd.read_csv(results / "comparison" / "accuracy.tsv", sep="\t")
    networks = {"network mlp", "network hybrid", "network cnn"}
    assert set(comparison["method"]) == {"ABC rejection (0.5)", "ABC random forest"} | networks
    assert comparison["accuracy"].between(0, 1).all() and (comparison["log_loss"] > 0).all()
    assert (results / "comparison" / "calibration.png").stat().st_size > 10_000
    spread = pd.read_csv(results / "comparison" / "seeds.tsv", sep="\t").set_index("method")
    assert set(spread.index) == networks and (spread["seeds"] == 2).all()
    assert (spread["accuracy_sd"] >= 0).all()


def test_search_of_the_example_tunes_the_network_it_trains(example_runs):
    results, logs = example_runs[0] / "results" / "cnn" / "mlp" / "search", example_runs[0] / "logs"
    trials = pd.read_csv(results / "trials.tsv", sep="\t")
    assert len(trials) == 2 and set(trials["state"]) <= {"COMPLETE", "PRUNED"}
    best = pd.read_csv(results / "best.tsv", sep="\t", dtype=str).set_index("parameter")["value"]
    assert float(best["validation_loss"]) == pytest.approx(trials["value"].min())
    assert (results / "history.png").stat().st_size > 10_000 and (results / "study.journal").exists()
    tuned = f"learning_rate={float(best['learning_rate'])!r}"
    assert tuned in (logs / "cnn_train" / "mlp_100pct_seed0.log").read_text()
    # hybrid reuses mlp's search (cnn.search.reuse's default), cnn trains with the cnn section's settings
    assert tuned in (logs / "cnn_train" / "hybrid_100pct_seed1.log").read_text()
    # and starts from the mlp trained from the same seed on the same share, at a tenth of its rate
    fine_tuning = f"at learning rate {float(best['learning_rate']) * 0.1:g}"
    for percent, seed in ((100, 1), (50, 0)):
        started = f"hybrid starts from the trained network results/cnn/mlp/{percent}pct/seed{seed}/model.ckpt"
        assert f"{started}, {fine_tuning}" in (logs / "cnn_train" / f"hybrid_{percent}pct_seed{seed}.log").read_text()
    assert "search's best trial" not in (logs / "cnn_train" / "cnn_100pct_seed0.log").read_text()
    assert not (results.parent.parent / "hybrid" / "search").exists()  # only mlp is searched


def test_every_rule_writes_a_log(example_runs, root):
    rules = set(
        re.findall(
            r"^rule (\w+):",
            "".join(path.read_text() for path in (root / "workflow" / "rules").glob("*.smk")),
            flags=re.M,
        )
    )
    assert {"simulate_batch", "cnn_train", "run_summary"} <= rules
    logs = example_runs[0] / "logs"
    for rule in {r for r in rules if not r.startswith("sweep_")} - {"shapeit4_example"}:  # no VCF, no sweeps
        assert list(logs.glob(f"{rule}/**/*.log")) or (logs / f"{rule}.log").exists(), rule
