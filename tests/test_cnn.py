"""The networks: permutation invariance, learning a real difference, checkpoints, determinism, splits."""

import dataclasses

import msprime
import numpy as np
import optuna
import pandas as pd
import pytest
import scipy
import torch
from sklearn.metrics import brier_score_loss, log_loss

from popsbi.config import NetworkSettings
from popsbi.datasets import load_image_dataset
from popsbi.errors import PopsbiError
from popsbi.evaluation import compare_methods, ensemble, held_out_methods, seed_spread
from popsbi.features import FeatureSettings, summary_statistics
from popsbi.images import genotype_image
from popsbi.nn import search, training
from popsbi.nn.data import ParameterSpace, split_rows
from popsbi.nn.hyperparameters import (
    ARCHITECTURES,
    READS_IMAGES,
    READS_STATISTICS,
    Hyperparameters,
    Search,
    SearchSpace,
)
from popsbi.nn.module import ScenarioClassifier, learning_rate_decay
from popsbi.priors import Prior
from popsbi.simulate import genotypes_from_tree_sequence
from popsbi.stages import networks

SCENARIOS = ["small", "large"]
PER_SCENARIO = 60
HELDOUT = 15


def simulated_dataset(directory):
    """Images of two very different histories (Ne 500 and 20,000; 20 haplotypes, 50 kb), written as
    the workflow's aggregated dataset, with a held-out table and the parameter N."""
    images, distances, rows = [], [], []
    for scenario, size in zip(SCENARIOS, (500, 20_000)):
        for sim_id in range(PER_SCENARIO):
            seed = 1 + sim_id + 1000 * len(rows)
            ts = msprime.sim_ancestry(
                10, population_size=size, sequence_length=50_000, recombination_rate=1e-8, random_seed=seed
            )
            ts = msprime.sim_mutations(ts, rate=1e-8, random_seed=seed)
            genotypes = genotypes_from_tree_sequence(ts, ["pop_0"], False)
            image, spacing = genotype_image(genotypes, 32)
            images.append(image)
            distances.append(spacing)
            statistics = summary_statistics(genotypes, FeatureSettings(statistics=("segregating_sites", "tajimas_d")))
            rows.append({"scenario": scenario, "sim_id": sim_id, "N": float(size), **statistics})
    paths = {
        "images": directory / "images.npy",
        "distances": directory / "distances.npy",
        "index": directory / "index.parquet",
    }
    np.save(paths["images"], np.stack(images))
    np.save(paths["distances"], np.stack(distances))
    table = pd.DataFrame(rows)
    table[["scenario", "sim_id"]].to_parquet(paths["index"])
    heldout = table.groupby("scenario").head(HELDOUT)[["scenario", "sim_id"]]
    return paths, table, heldout


SEED = 7
HYPERPARAMETERS = Hyperparameters(
    filters=(8, 16),
    width=128,
    depth=2,
    batch_norm=True,
    dropout=0.2,
    learning_rate=3e-3,
    weight_decay=0.0,
    lr_decay="none",
    batch_size=16,
    max_epochs=8,
    patience=8,
    fine_tuning_epochs=8,
    validation_fraction=0.2,
    parameter_loss_weight=1.0,
    accelerator="cpu",
    tensorboard=False,
)
STATISTICS = ("segregating_sites_pop_0", "tajimas_d_pop_0")
PRIORS = {(scenario, "N"): Prior("loguniform", 100.0, 50_000.0) for scenario in SCENARIOS}


def train(paths, heldout, table, architecture, checkpoint, threads, hyperparameters=HYPERPARAMETERS, start=None):
    """Both scenarios, 20 haplotypes, with a parameter head on N (from the trained network ``start``)."""
    return training.train(
        paths,
        heldout,
        SCENARIOS,
        [20],
        architecture,
        hyperparameters,
        SEED,
        str(checkpoint),
        threads,
        sumstats=table,
        parameter_priors=PRIORS,
        statistic_names=STATISTICS,
        start=start,
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return simulated_dataset(tmp_path_factory.mktemp("images"))


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    """Both networks trained on the two scenarios (module scope: training takes seconds)."""
    paths, table, heldout = dataset
    out = tmp_path_factory.mktemp("trained")
    models = {}
    for architecture in ARCHITECTURES:
        checkpoint = out / architecture / "model.ckpt"
        checkpoint.parent.mkdir()
        models[architecture] = train(paths, heldout, table, architecture, checkpoint, threads=2)
    return models


def test_exchangeable_network_ignores_the_order_of_haplotypes_within_populations():
    torch.manual_seed(0)
    sizes = [6, 4]
    images = torch.randint(0, 2, (3, 10, 24), dtype=torch.uint8)
    distances = torch.rand(3, 24)
    permutation = torch.cat([torch.randperm(6), 6 + torch.randperm(4)])
    outputs = {}
    none = torch.zeros(3, 0)
    for architecture in ("cnn", "exchangeable"):
        model = ScenarioClassifier(architecture, ["a", "b", "c"], sizes, filters=(4, 8)).eval()
        with torch.no_grad():
            outputs[architecture] = (
                model(images, distances, none)[0],
                model(images[:, permutation], distances, none)[0],
            )
    assert torch.allclose(*outputs["exchangeable"], atol=1e-5)
    # The plain CNN sees row order: the permutation is not a no-op.
    assert not torch.allclose(*outputs["cnn"], atol=1e-3)


def test_image_of_several_loci_is_read_tile_by_tile_whatever_their_order():
    """With locus_tiles, the image layers see one locus's tile at a time (the same weights for each)
    and average over tiles: reordering the loci changes nothing, and a tile's content still does."""
    torch.manual_seed(0)
    images = torch.randint(0, 2, (3, 10, 32), dtype=torch.uint8)
    distances = torch.rand(3, 32)
    none = torch.zeros(3, 0)
    swapped = (
        torch.cat([images[..., 16:], images[..., :16]], dim=2),
        torch.cat([distances[:, 16:], distances[:, :16]], 1),
    )
    model = ScenarioClassifier("cnn", ["a", "b"], [10], filters=(4, 8), locus_tiles=2).eval()
    with torch.no_grad():
        original = model(images, distances, none)[0]
        assert torch.allclose(original, model(*swapped, none)[0], atol=1e-5)
        changed = images.clone()
        changed[:, :, :16] = 1 - changed[:, :, :16]
        assert not torch.allclose(original, model(changed, distances, none)[0], atol=1e-4)


def test_exchangeable_network_keeps_populations_apart():
    torch.manual_seed(0)
    model = ScenarioClassifier("exchangeable", ["a", "b"], [5, 5], filters=(4,)).eval()
    images = torch.zeros(1, 10, 16, dtype=torch.uint8)
    images[0, :5, ::2] = 1  # variation only in the first population
    swapped = torch.cat([images[:, 5:], images[:, :5]], dim=1)
    distances, none = torch.full((1, 16), 0.01), torch.zeros(1, 0)
    with torch.no_grad():
        assert not torch.allclose(model(images, distances, none)[0], model(swapped, distances, none)[0], atol=1e-4)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_networks_tell_two_very_different_histories_apart(trained, architecture):
    model, data = trained[architecture]
    predictions, _ = training.heldout_predictions(model, data)
    assert len(predictions) == 2 * HELDOUT
    accuracy = (predictions["true"] == predictions["predicted"]).mean()
    assert accuracy >= 0.85, accuracy  # chance is 0.5
    probabilities = predictions[SCENARIOS].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_only_networks_that_read_images_load_them(trained):
    for architecture, (_, data) in trained.items():
        image, distances, statistics, _, _ = data.datasets["train"][0]
        reads_images = architecture in READS_IMAGES
        assert image.shape == ((20, 32) if reads_images else (0, 0)), architecture
        assert distances.shape == ((32,) if reads_images else (0,)), architecture
        assert len(statistics) == (2 if architecture in READS_STATISTICS else 0), architecture


def test_parameter_head_estimates_population_size(trained, dataset):
    _, table, _ = dataset
    model, data = trained["cnn"]
    _, parameters = training.heldout_predictions(model, data)
    assert len(parameters) == 2 * HELDOUT * len(SCENARIOS)  # every held-out image, given each scenario
    assert set(parameters["parameter"]) == {"N"}
    for scenario in SCENARIOS:
        rows = (parameters["true"] == scenario) & (parameters["scenario"] == scenario)
        median = np.median(parameters.loc[rows, "median"])
        # Ne 500 against 20,000: the estimates are on the right side of the geometric midpoint.
        assert (median < 3162) == (scenario == "small"), (scenario, median)
    assert (parameters["q2.5"] <= parameters["median"]).all() and (parameters["median"] <= parameters["q97.5"]).all()


def test_checkpoint_reloads_to_the_same_predictions(dataset, tmp_path):
    paths, table, heldout = dataset
    one_epoch = dataclasses.replace(HYPERPARAMETERS, max_epochs=1)  # the best checkpoint is the final model
    checkpoint = tmp_path / "model.ckpt"
    _, data = train(paths, heldout, table, "hybrid", checkpoint, 1, one_epoch)
    reloaded = training.load(checkpoint)
    first = training.heldout_predictions(reloaded, data)
    again = training.heldout_predictions(training.load(checkpoint), data)
    for a, b in zip(first, again):
        pd.testing.assert_frame_equal(a, b)
    assert reloaded.hparams.parameters["columns"] == [["small", "N"], ["large", "N"]]
    # The checkpoint carries the temperature fitted on the validation images, and predictions use it.
    temperature = float(reloaded.temperature)
    assert temperature != 1.0
    images, distances, index = load_image_dataset(*data.paths)
    rows = data.rows["validation"]
    logits = training.predict_logits(reloaded, images[rows], distances[rows], data.statistics[rows])
    labels = index["scenario"].map({s: i for i, s in enumerate(SCENARIOS)}).to_numpy()[rows]
    assert temperature == pytest.approx(training.fit_temperature(logits, labels), rel=1e-4)
    probabilities = training.predict(reloaded, images[rows], distances[rows], data.statistics[rows])[0]
    assert np.allclose(probabilities, scipy.special.softmax(logits / temperature, axis=1), atol=1e-5)
    # The same seed trains the same network on the CPU.
    retrained, _ = train(paths, heldout, table, "hybrid", tmp_path / "again.ckpt", 1, one_epoch)
    for a, b in zip(first, training.heldout_predictions(retrained, data)):
        pd.testing.assert_frame_equal(a, b)


def test_temperature_undoes_overconfidence():
    """Labels drawn from softmax(z): the logits 3z are overconfident by 3, and z is calibrated."""
    rng = np.random.default_rng(9)
    logits = rng.normal(scale=2.0, size=(20_000, 3))
    probabilities = scipy.special.softmax(logits, axis=1)
    labels = (probabilities.cumsum(axis=1) < rng.random((20_000, 1))).sum(axis=1)
    assert training.fit_temperature(3 * logits, labels) == pytest.approx(3.0, rel=0.05)
    assert training.fit_temperature(logits, labels) == pytest.approx(1.0, rel=0.05)
    # Ten images classified with wide margins: the likelihood alone would push T to its bound.
    separated = np.array([[8.0, 0.0, 0.0]] * 10)
    assert 0.2 < training.fit_temperature(separated, np.zeros(10, dtype=int)) < 1.0


def test_splits_share_the_heldout_set_and_nest_the_training_sets(dataset):
    _, table, heldout = dataset
    index = table[["scenario", "sim_id"]]
    full = split_rows(index, heldout, SCENARIOS, 3, 0.2)
    third = split_rows(index, heldout, SCENARIOS, 3, 0.2, training_fraction=0.3)
    heldout_rows = set(index.reset_index().merge(heldout)["index"])
    assert set(full["test"]) == heldout_rows == set(third["test"])
    assert not set(full["train"]) & set(full["validation"]) and not set(full["train"]) & heldout_rows
    assert len(full["train"]) + len(full["validation"]) + len(full["test"]) == len(index)
    assert np.array_equal(full["validation"], third["validation"])
    assert set(third["train"]) < set(full["train"])
    assert len(third["train"]) == 2 * round(0.3 * 36)  # 45 non-held-out, 9 validation, per scenario
    other_seed = split_rows(index, heldout, SCENARIOS, 4, 0.2)
    assert not np.array_equal(full["validation"], other_seed["validation"])


def test_parameter_space_maps_values_back_through_the_prior():
    priors = {("s", "N"): Prior("loguniform", 100.0, 1e5), ("s", "T"): Prior("uniform", 10.0, 500.0)}
    space = ParameterSpace(priors)
    table = pd.DataFrame(
        {"scenario": ["s", "s", "s", "other"], "N": [200.0, 5000.0, 90000.0, np.nan], "T": [20.0, 250.0, 400.0, np.nan]}
    )
    unbounded = space.unbounded(table)
    assert np.isnan(unbounded[3]).all()
    standardised = space.fit(unbounded[:3]).standardise(unbounded)
    quantiles = space.quantiles(standardised[:3], np.full((3, 2), -30.0))  # almost no variance
    assert np.allclose(quantiles[0.5], table[["N", "T"]].to_numpy()[:3], rtol=1e-4)
    wide = space.quantiles(np.zeros((1, 2)), np.full((1, 2), 8.0))  # a huge variance stays in the prior
    assert 100 <= wide[0.025][0, 0] < wide[0.975][0, 0] <= 1e5


def test_comparison_uses_only_simulations_every_method_classified():
    abc_predictions = pd.DataFrame(
        {
            "method": ["rejection"] * 3 + ["random_forest"] * 3,
            "tolerance": [0.05] * 3 + [np.nan] * 3,
            "sim_id": [1, 2, 3] * 2,
            "true": ["a", "a", "b"] * 2,
            "predicted": ["a", "b", "b", "a", "a", "b"],
            "a": [0.8, 0.4, 0.0, 0.9, 0.6, 0.3],
            "b": [0.2, 0.6, 1.0, 0.1, 0.4, 0.7],
        }
    )
    network = pd.DataFrame(
        {
            "sim_id": [1, 2, 3, 4],
            "true": ["a", "a", "b", "b"],
            "predicted": ["b", "b", "b", "a"],
            "a": [0.0, 0.3, 0.2, 0.9],
            "b": [1.0, 0.7, 0.8, 0.1],
        }
    )
    table = compare_methods(held_out_methods(abc_predictions, {"cnn": network}, 0.05), ["a", "b"])
    overall = table[table["scenario"] == "overall"].set_index("method")
    assert overall["accuracy"].to_dict() == pytest.approx(
        {"ABC rejection (0.05)": 2 / 3, "ABC random forest": 1.0, "network cnn": 1 / 3}
    )
    assert (overall["n"] == 3).all()  # simulation 4 left out
    assert overall.loc["ABC rejection (0.05)", "accuracy_se"] == pytest.approx(np.sqrt(2 / 9 / 3))
    # Log loss and Brier score against scikit-learn's (Brier: twice its binary score for two classes).
    for method, rows in (("ABC random forest", abc_predictions[3:]), ("network cnn", network[:3])):
        assert overall.loc[method, "log_loss"] == pytest.approx(log_loss(rows["true"], rows[["a", "b"]]))
        binary = brier_score_loss(rows["true"] == "b", rows["b"])
        assert overall.loc[method, "brier"] == pytest.approx(2 * binary)
    # A probability of 0 for the true scenario costs -log(machine epsilon), as in scikit-learn.
    assert table.set_index(["method", "scenario"]).loc[("network cnn", "a"), "log_loss"] > 18


def test_tensorboard_without_its_package_is_one_message(tmp_path):
    import importlib.util

    from popsbi.errors import PopsbiError

    if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
        pytest.skip("TensorBoard is installed here")
    with pytest.raises(PopsbiError, match="cnn.tensorboard is true but TensorBoard is not installed"):
        training.trainer(str(tmp_path), "cpu", max_epochs=1, patience=1, tensorboard=True)


SPACE = SearchSpace(
    learning_rate=(1e-3, 1e-2),
    weight_decay=(1e-6, 1e-4),
    dropout=(0.1, 0.3),
    width=(8, 32),
    depth=(1, 3),
    batch_size=(8, 16),
    batch_norm=(True, False),
    lr_decay=("none", "linear", "exponential"),
)


def test_suggested_hyperparameters_stay_in_the_space():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    drawn = [search.suggest(study.ask(), SPACE, HYPERPARAMETERS) for _ in range(200)]
    for name in search.RANGES:
        values = np.array([getattr(hp, name) for hp in drawn])
        low, high = getattr(SPACE, name)
        assert values.min() >= low and values.max() <= high, name
        assert values.max() - values.min() > 0.5 * (high - low), name  # the whole range is searched
    assert all(isinstance(hp.width, int) and isinstance(hp.depth, int) for hp in drawn)
    for name in search.CHOICES:
        assert {getattr(hp, name) for hp in drawn} == set(getattr(SPACE, name)), name
    assert {hp.filters for hp in drawn} == {HYPERPARAMETERS.filters}  # what is not searched stays


def test_study_in_a_journal_resumes_and_runs_only_the_missing_trials(tmp_path):
    journal = tmp_path / "study.journal"
    calls = []

    def objective(trial):
        calls.append(trial.number)
        return (trial.suggest_float("x", -1, 1) - 0.3) ** 2

    search.run_trials(search.open_study(journal, "s", seed=3), objective, trials=4)
    assert len(calls) == 4
    resumed = search.open_study(journal, "s", seed=4)  # a new job: the study goes on
    search.run_trials(resumed, objective, trials=6)
    assert len(calls) == 6 and [t.number for t in resumed.trials] == list(range(6))
    search.run_trials(search.open_study(journal, "s"), objective, trials=6)
    assert len(calls) == 6  # nothing missing
    assert search.open_study(journal, "other").trials == []  # another space: another study


def test_pruned_trial_stops_training_after_the_epoch_the_pruner_rejects(dataset, tmp_path):
    paths, table, heldout = dataset
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=0.0))  # prunes any loss > 0
    trial = study.ask()
    data = training.image_data(paths, heldout, SCENARIOS, "cnn", HYPERPARAMETERS, SEED, 1, sumstats=table)
    module = training.classifier("cnn", SCENARIOS, [20], HYPERPARAMETERS, data, SEED)
    report = search.PruneOnValidationLoss(trial)
    with pytest.raises(optuna.TrialPruned, match="after epoch 1"):
        training.fit(module, data, tmp_path, "cpu", max_epochs=5, patience=5, callbacks=[report])
    assert len(report.losses) == 1 and report.losses[0] > 0
    assert trial.number == 0 and study.trials[0].intermediate_values == {0: report.losses[0]}


def test_search_finds_settings_that_train_the_network(dataset, tmp_path):
    paths, table, heldout = dataset
    settings = NetworkSettings(SEED, tuple(SCENARIOS), (20,), HYPERPARAMETERS, statistics=STATISTICS)
    plan = Search(architectures=("mlp",), trials=3, workers=1, max_epochs=3, space=SPACE)
    journal, sumstats = tmp_path / "study.journal", tmp_path / "sumstats.parquet"
    table.to_parquet(sumstats)
    study = networks.search_hyperparameters(
        settings, plan, "mlp", {**paths, "sumstats": sumstats}, heldout, journal, 0, 1
    )
    trials = search.trials_table(study)
    assert len(trials) == 3 and set(trials["state"]) == {"COMPLETE"}
    assert (trials["epochs"] >= 1).all() and (trials["epochs"] <= 3).all()
    best = tmp_path / "best.tsv"
    search.best_table(study).to_csv(best, sep="\t", index=False)
    tuned = search.read_best(best)
    assert tuned == {name: study.best_trial.params[name] for name in search.SEARCHED}
    data = {**paths, "sumstats": sumstats}

    def name(plan=plan, heldout=heldout):
        return networks.study_name(settings, plan, "mlp", data, heldout)

    assert study.study_name == name()
    assert name(plan=dataclasses.replace(plan, trials=9)) == study.study_name  # a larger budget goes on
    assert name(plan=dataclasses.replace(plan, max_epochs=9)) != study.study_name
    assert name(heldout=heldout.iloc[1:]) != study.study_name
    table.assign(N=table["N"] + 1).to_parquet(sumstats)  # other simulations: another study
    assert name() != study.study_name


@pytest.mark.parametrize("decay", ["linear", "exponential"])
def test_learning_rate_decays_to_one_percent_at_the_last_epoch(decay):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    scheduler = learning_rate_decay(optimizer, decay, epochs=11)
    rates = []
    for _ in range(11):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    expected = 0.5 * (1 - 0.099 * np.arange(11)) if decay == "linear" else 0.5 * 0.01 ** (np.arange(11) / 10)
    np.testing.assert_allclose(rates, expected, rtol=1e-6)


def test_network_shape_follows_width_depth_and_batch_norm():
    def layers(module, kind):
        return [m for m in module.modules() if isinstance(m, kind)]

    deep = ScenarioClassifier("mlp", ["a", "b"], [4], width=16, depth=3, statistics=STATS_STATE)
    assert [m.out_features for m in layers(deep.net, torch.nn.Linear)] == [16, 16, 16, 16, 2]
    assert len(layers(deep.net, torch.nn.BatchNorm1d)) == 3
    plain = ScenarioClassifier("hybrid", ["a", "b"], [4], width=16, depth=1, batch_norm=False, statistics=STATS_STATE)
    assert not layers(plain.net, torch.nn.modules.batchnorm._BatchNorm)
    assert [m.out_features for m in layers(plain.net.statistics, torch.nn.Linear)] == [16]


STATS_STATE = {"names": ["x", "y"], "mean": [0.0, 0.0], "std": [1.0, 1.0]}


def test_a_hybrid_started_from_a_trained_mlp_answers_as_it_does_whatever_the_image():
    torch.manual_seed(0)
    shape = {"width": 16, "depth": 2, "dropout": 0.3, "statistics": STATS_STATE, "parameters": None}
    mlp = ScenarioClassifier("mlp", ["a", "b", "c"], [6], **shape)
    with torch.no_grad():  # as after training: no parameter left at its initial value
        for parameter in mlp.net.parameters():
            parameter.add_(torch.randn_like(parameter))
    hybrid = ScenarioClassifier("hybrid", ["a", "b", "c"], [6], **shape)
    hybrid.net.start_from(mlp.net)
    mlp.eval(), hybrid.eval()
    statistics = torch.randn(5, 2)
    images, distances = torch.randint(0, 2, (5, 6, 12), dtype=torch.uint8), torch.rand(5, 12)
    expected = mlp(images, distances, statistics)[0]
    for image in (images, 1 - images):
        torch.testing.assert_close(hybrid(image, distances, statistics)[0], expected)
    # the image's weights into the head start at zero but are trained: they get a gradient
    hybrid.train()
    logits = hybrid(images, distances, statistics)[0]
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 0, 1])).backward()
    assert hybrid.net.head[2].weight.grad[:, :-16].abs().sum() > 0


def test_a_hybrid_started_from_a_trained_mlp_trains_fine_tuning_epochs_at_most(dataset, tmp_path):
    paths, table, heldout = dataset
    mlp = tmp_path / "mlp" / "model.ckpt"
    train(paths, heldout, table, "mlp", mlp, 1, dataclasses.replace(HYPERPARAMETERS, max_epochs=1))
    # patience as long as max_epochs (8): only fine_tuning_epochs can stop it after 2 epochs
    hybrid = tmp_path / "hybrid" / "model.ckpt"
    train(paths, heldout, table, "hybrid", hybrid, 1, dataclasses.replace(HYPERPARAMETERS, fine_tuning_epochs=2), mlp)
    assert pd.read_csv(hybrid.parent / "metrics.csv")["epoch"].max() == 1
    started_alone = tmp_path / "alone" / "model.ckpt"
    train(paths, heldout, table, "hybrid", started_alone, 1, dataclasses.replace(HYPERPARAMETERS, fine_tuning_epochs=2))
    assert pd.read_csv(started_alone.parent / "metrics.csv")["epoch"].max() == HYPERPARAMETERS.max_epochs - 1


def test_ensemble_averages_the_seeds_probabilities_and_reports_their_spread():
    rng = np.random.default_rng(0)
    scenarios = ["a", "b", "c"]
    true = rng.choice(scenarios, 40)
    tables = []
    for _ in range(3):
        p = rng.dirichlet(np.ones(3), 40)
        table = pd.DataFrame({"sim_id": np.arange(40), "true": true, "predicted": np.asarray(scenarios)[p.argmax(1)]})
        table[scenarios] = p
        tables.append(table)
    joined = ensemble(tables, scenarios)
    mean = np.mean([t[scenarios].to_numpy() for t in tables], axis=0)
    np.testing.assert_allclose(joined[scenarios].to_numpy(), mean)
    assert (joined["predicted"] == np.asarray(scenarios)[mean.argmax(1)]).all()
    spread = seed_spread({"net": tables}, scenarios, set(zip(true, range(40)))).iloc[0]
    accuracies = [(t["true"] == t["predicted"]).mean() for t in tables]
    assert spread["accuracy_mean"] == pytest.approx(np.mean(accuracies))
    assert spread["accuracy_sd"] == pytest.approx(np.std(accuracies, ddof=1))
    assert spread["ensemble_accuracy"] == pytest.approx((joined["true"] == joined["predicted"]).mean())
    assert spread["log_loss_mean"] == pytest.approx(
        np.mean([log_loss(true, t[scenarios], labels=scenarios) for t in tables])
    )
    with pytest.raises(PopsbiError, match="not of the same simulations"):
        ensemble([tables[0], tables[1].iloc[::-1]], scenarios)
