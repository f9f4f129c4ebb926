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
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=10,
        mem_mb=2000,
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
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=5,
    script:
        "../scripts/plot_sumstats.py"
