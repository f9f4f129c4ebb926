rule aggregate:
    """One statistics table and one memory-mappable image dataset over all batches."""
    input:
        sumstats=batch_files("parquet"),
        images=batch_files("npz"),
    output:
        sumstats=report(
            "results/datasets/sumstats.parquet",
            caption="../report/sumstats.rst",
            category="Datasets",
        ),
        images="results/datasets/images.npy",
        distances="results/datasets/distances.npy",
        index="results/datasets/image_index.parquet",
    log:
        "logs/aggregate.log",
    benchmark:
        "benchmarks/aggregate.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        **REQUESTS["aggregate"].resources(),
    script:
        "../scripts/aggregate.py"


rule plot_sumstats:
    """Distribution of every statistic in every scenario."""
    input:
        "results/datasets/sumstats.parquet",
    output:
        report(
            "results/plots/sumstats.png",
            caption="../report/sumstats_plot.rst",
            category="Datasets",
        ),
    log:
        "logs/plot_sumstats.log",
    benchmark:
        "benchmarks/plot_sumstats.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=5,
    params:
        parameters=sorted(SETTINGS.parameter_names),
    script:
        "../scripts/plot_sumstats.py"


rule run_summary:
    """Settings, size, seeds and software versions of the run."""
    input:
        sumstats="results/datasets/sumstats.parquet",
        heldout="results/abc/heldout.tsv",
        observed="results/observed/sumstats.tsv",
    output:
        run=report("results/summary/run.tsv", caption="../report/run_summary.rst", category="Run summary"),
        software=report("results/summary/software.tsv", caption="../report/software.rst", category="Run summary"),
        config=report("results/summary/config.yaml", caption="../report/config.rst", category="Run summary"),
    log:
        "logs/run_summary.log",
    benchmark:
        "benchmarks/run_summary.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=5,
    params:
        # the validated config's checksum: any change of a value reruns the summary, a new key order does not
        facts=SETTINGS.run_facts(),
    script:
        "../scripts/run_summary.py"


rule runtime_summary:
    """Where the run's time and memory went: per rule, jobs, wall and CPU seconds, peak memory."""
    input:
        analysis_targets(),
    output:
        report("results/summary/runtime.tsv", caption="../report/runtime.rst", category="Run summary"),
    log:
        "logs/runtime_summary.log",
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=5,
    params:
        benchmarks="benchmarks",
    script:
        "../scripts/runtime_summary.py"
