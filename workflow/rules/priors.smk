rule draw_priors:
    """One row per simulation: id, parameter values and msprime seed."""
    output:
        "results/priors/{scenario}.parquet",
    log:
        "logs/draw_priors/{scenario}.log",
    benchmark:
        "benchmarks/draw_priors/{scenario}.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=5,
    params:
        table=prior_table_arguments,
    script:
        "../scripts/draw_priors.py"


rule draw_scenario:
    """Diagram of a scenario for a typical parameter set of its prior."""
    input:
        priors="results/priors/{scenario}.parquet",
        model=scenario_model,
    output:
        report(
            "results/scenarios/{scenario}.png",
            caption="../report/scenario.rst",
            category="Scenarios",
            labels={"scenario": "{scenario}"},
        ),
    log:
        "logs/draw_scenario/{scenario}.log",
    benchmark:
        "benchmarks/draw_scenario/{scenario}.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=5,
    params:
        simulation=simulation_settings,
        settings_text=lambda wildcards: settings_text(simulation_settings(wildcards)),
    script:
        "../scripts/draw_scenario.py"
