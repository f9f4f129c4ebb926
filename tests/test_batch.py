import numpy as np
import pandas as pd
import pytest
import tskit
import yaml
from conftest import FEW_SIMULATIONS_ABC

from popsbi.config import load_settings
from popsbi.datasets import aggregate, load_image_dataset, read_batch, read_columns, statistic_columns, write_batch
from popsbi.features import summary_statistics
from popsbi.logs import job_logging
from popsbi.priors import draw_prior_table
from popsbi.scenarios import ScenarioModel
from popsbi.simulate import demography, genotypes_from_tree_sequence, simulate
from popsbi.stages.simulation import simulate_batch


@pytest.fixture
def settings(root, monkeypatch, schema_path):
    monkeypatch.chdir(root)
    config = yaml.safe_load((root / "config" / "examples" / "two_populations.yaml").read_text())
    config.update(simulations_per_scenario=5, batch_size=3, keep_tree_sequences=True, abc=FEW_SIMULATIONS_ABC)
    return load_settings(config, schema_path)


def prior_table(settings, scenario):
    return draw_prior_table(**settings.prior_table(scenario))


def test_batch_simulates_its_rows_and_keeps_tree_sequences_when_asked(settings, tmp_path):
    simulation = settings.simulation("isolation_migration")
    rows = prior_table(settings, "isolation_migration").iloc[simulation.batch_rows(1)]
    assert list(rows["sim_id"]) == [3, 4]
    table, images, distances = simulate_batch(simulation, rows, tmp_path / "b.trees")
    assert list(table["sim_id"]) == [3, 4] and (table["scenario"] == "isolation_migration").all()
    assert table["m"].equals(rows["m"].reset_index(drop=True))
    assert images.shape == (2, 40, 128) and distances.shape == (2, 128)
    with open(tmp_path / "b.trees", "rb") as handle:
        kept = [tskit.load(handle) for _ in range(2)]
    # The kept tree sequences are the ones the statistics were computed from.
    for ts, (_, row) in zip(kept, table.iterrows()):
        recomputed = summary_statistics(
            genotypes_from_tree_sequence(ts, ["A", "B"], False), settings.summaries.statistics
        )
        assert recomputed == pytest.approx(row[list(recomputed)].to_dict(), nan_ok=True)


def test_aggregate_concatenates_batches_in_order(settings, tmp_path):
    tables, images = [], []
    for scenario in ("isolation", "founder"):
        prior = prior_table(settings, scenario)
        simulation = settings.simulation(scenario)
        for batch in range(settings.n_batches):
            rows = prior.iloc[simulation.batch_rows(batch)]
            table, image, distance = simulate_batch(simulation, rows)
            paths = tmp_path / f"{scenario}_{batch}.parquet", tmp_path / f"{scenario}_{batch}.npz"
            write_batch(table, image, distance, *paths)
            tables.append(paths[0])
            images.append(paths[1])
    out = [tmp_path / name for name in ("s.parquet", "i.npy", "d.npy", "x.parquet")]
    # A batch reads back as it was written (the last one: founder, batch 1).
    read_table, read_images, read_distances = read_batch(*paths)
    pd.testing.assert_frame_equal(read_table, table.reset_index(drop=True))
    assert np.array_equal(read_images, image) and np.array_equal(read_distances, distance)
    # A batch whose two files do not match (one rewritten from other simulations) is refused.
    swapped = tmp_path / "swapped.npz"
    write_batch(table.iloc[::-1], image[::-1], distance[::-1], tmp_path / "swapped.parquet", swapped)
    for read in (lambda: read_batch(paths[0], swapped), lambda: aggregate([paths[0]], [swapped], *out)):
        with pytest.raises(ValueError, match="swapped.npz and its statistics table list different simulations"):
            read()
    aggregate(tables, images, *out)
    sumstats = pd.read_parquet(out[0])
    image_map, distance_map, index = load_image_dataset(*out[1:])
    assert len(sumstats) == len(image_map) == len(distance_map) == 10
    assert isinstance(image_map, np.memmap)
    assert index.equals(sumstats[["scenario", "sim_id"]])
    with np.load(images[3]) as last:  # founder, batch 1: the last two rows
        assert np.array_equal(image_map[8:], last["images"])
        assert np.array_equal(distance_map[8:], last["distances"])
    # Scenarios have different parameters: the table has them all, NaN where a scenario has none.
    assert sumstats["N_found"].isna().tolist() == [True] * 5 + [False] * 5
    # The statistic names the cluster requests count are the simulated table's.
    assert settings.summaries.statistic_names(settings.samples) == statistic_columns(sumstats, settings.parameter_names)
    parameters = read_columns(out[0], {"N_found", "T_split", "not_a_column"})
    assert sorted(parameters.columns) == ["N_found", "T_split", "scenario", "sim_id"]
    assert parameters.equals(sumstats[list(parameters.columns)])


def test_a_rate_with_a_prior_is_drawn_and_used_per_simulation(root, monkeypatch, schema_path):
    monkeypatch.chdir(root)
    config = yaml.safe_load((root / "config" / "examples" / "two_populations.yaml").read_text())
    config.update(simulations_per_scenario=4, batch_size=4, abc=FEW_SIMULATIONS_ABC)
    config["genome"]["mutation_rate"] = {"dist": "uniform", "low": 0.0, "high": 1e-14}
    settings = load_settings(config, schema_path)
    rows = prior_table(settings, "isolation")
    assert rows["mutation_rate"].between(0, 1e-14).all() and rows["mutation_rate"].nunique() == 4
    table, _, _ = simulate_batch(settings.simulation("isolation"), rows)
    # At most 1e-14 per bp over 1 Mb (~0.003 mutations expected): none, where the config's fixed rate
    # would give thousands.
    assert (table["segregating_sites_A"] == 0).all()


def test_a_model_invalid_for_a_draw_ends_the_job_with_one_message(settings, tmp_path, capsys):
    rows = prior_table(settings, "isolation_migration")
    rows.loc[0, "m"] = 1.5  # a migration rate above 1 is not a valid Demes model
    log = tmp_path / "job.log"
    with pytest.raises(SystemExit) as exit_info, job_logging(log):
        simulate_batch(settings.simulation("isolation_migration"), rows)
    assert exit_info.value.code == 1
    message = capsys.readouterr().err
    assert message.startswith("popsbi: scenario 'isolation_migration'") and "m=1.5" in message
    assert "Traceback" not in log.read_text() and "m=1.5" in log.read_text()


def test_unpolarised_config_folds_the_simulated_spectra(settings):
    assert settings.summaries.polarised is False
    rows = prior_table(settings, "isolation").iloc[:3]
    table, _, _ = simulate_batch(settings.simulation("isolation"), rows)
    # Folded: every SNP has a minor allele frequency in (0, 0.5], so the bins cover them all.
    sfs = table[[f"sfs_A_{k}" for k in range(settings.summaries.statistics.sfs_bins)]]
    assert sfs.sum(axis=1).to_numpy() == pytest.approx(1.0)
    # 20 haplotypes, 5 bins [0, 0.1), [0.1, 0.2), ...: bin 0 holds the minor-allele singletons
    # (derived count 1 or 19), where an unfolded spectrum would count derived singletons only.
    minor_singletons = [
        np.isin(d, [1, 19]).sum() / ((d > 0) & (d < 20)).sum()
        for d in (
            genotypes_from_tree_sequence(ts, ["A", "B"], False).haplotypes[:, :20].sum(axis=1)
            for ts in _tree_sequences(settings, "isolation", rows)
        )
    ]
    assert table["sfs_A_0"].to_numpy() == pytest.approx(minor_singletons)


def _tree_sequences(settings, scenario, rows):
    simulation = settings.simulation(scenario)
    model = ScenarioModel(scenario, simulation.model)
    return [
        simulate(
            demography(model.graph({p: row[p] for p in simulation.parameters})),
            simulation.samples,
            *simulation.loci.lengths,  # one locus
            simulation.mutation_rate,
            *simulation.recombination(),
            row["seed"],
        )
        for _, row in rows.iterrows()
    ]
