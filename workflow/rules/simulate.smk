rule simulate_batch:
    """msprime simulations and their features for one batch of a scenario's prior table."""
    input:
        priors="results/priors/{scenario}.parquet",
        model=scenario_model,
        genetic_map=recombination_map_input,
    output:
        sumstats="results/simulations/{scenario}/batch_{batch}.parquet",
        images="results/simulations/{scenario}/batch_{batch}.npz",
        trees=(["results/simulations/{scenario}/batch_{batch}.trees"] if config["keep_tree_sequences"] else []),
    log:
        "logs/simulate_batch/{scenario}/batch_{batch}.log",
    benchmark:
        "benchmarks/simulate_batch/{scenario}/batch_{batch}.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        # about 50 ms per simulation on a laptop for the default config, plus start-up
        runtime=lambda wildcards, attempt: 5 + attempt * SETTINGS.batch_size // 100,
        mem_mb=lambda wildcards, attempt: 1000 * attempt,
    params:
        simulation=simulation_settings,
        settings_text=lambda wildcards: settings_text(simulation_settings(wildcards)),
    script:
        "../scripts/simulate_batch.py"
