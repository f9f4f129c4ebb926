CNN = config["cnn"]
ARCHITECTURES = CNN["architectures"]
# Learning-curve points as percentages of the training simulations; 100 is the full model.
TRAINING_PERCENTS = sorted({round(100 * fraction) for fraction in CNN["learning_curve"]} | {100})


wildcard_constraints:
    architecture="|".join(ARCHITECTURES),
    percent=r"\d+",


rule cnn_train:
    """Train one network on a share of the training simulations (on a GPU when the job has one)."""
    input:
        **IMAGE_DATASET,
        sumstats="results/datasets/sumstats.parquet",
        heldout="results/abc/heldout.tsv",
    output:
        checkpoint="results/cnn/{architecture}/{percent}pct/model.ckpt",
        metrics="results/cnn/{architecture}/{percent}pct/metrics.csv",
        heldout="results/cnn/{architecture}/{percent}pct/heldout_predictions.tsv",
        heldout_parameters="results/cnn/{architecture}/{percent}pct/heldout_parameters.tsv",
    log:
        "logs/cnn_train/{architecture}_{percent}pct.log",
    benchmark:
        "benchmarks/cnn_train/{architecture}_{percent}pct.tsv"
    conda:
        "../../envs/cnn.yaml"
    threads: 4
    resources:
        **REQUESTS["cnn_train"].resources(),
        gpu=1,
    params:
        # what a training depends on: neither the architectures trained nor the learning-curve points
        networks=SETTINGS.networks,
    script:
        "../scripts/cnn_train.py"


rule cnn_evaluate:
    """Training curves, held-out confusion and calibration, observed probabilities, parameter accuracy."""
    input:
        checkpoint=trained("{architecture}", "model.ckpt"),
        metrics=trained("{architecture}", "metrics.csv"),
        heldout=trained("{architecture}", "heldout_predictions.tsv"),
        heldout_parameters=trained("{architecture}", "heldout_parameters.tsv"),
        sumstats="results/datasets/sumstats.parquet",
        observed="results/observed/image.npz",
        observed_statistics="results/observed/sumstats.tsv",
    output:
        curves=report(
            "results/cnn/{architecture}/training_curves.png",
            caption="../report/cnn_curves.rst",
            category="CNN",
            labels={"network": "{architecture}", "figure": "training curves"},
        ),
        confusion="results/cnn/{architecture}/confusion.tsv",
        confusion_plot=report(
            "results/cnn/{architecture}/confusion.png",
            caption="../report/cnn_confusion.rst",
            category="CNN",
            labels={"network": "{architecture}", "figure": "confusion"},
        ),
        calibration=report(
            "results/cnn/{architecture}/calibration.png",
            caption="../report/cnn_calibration.rst",
            category="CNN",
            labels={"network": "{architecture}", "figure": "calibration"},
        ),
        observed=report(
            "results/cnn/{architecture}/observed.tsv",
            caption="../report/cnn_observed.rst",
            category="CNN",
            labels={"network": "{architecture}", "figure": "observed probabilities"},
        ),
        observed_parameters="results/cnn/{architecture}/observed_parameters.tsv",
        parameters="results/cnn/{architecture}/parameters.tsv",
    log:
        "logs/cnn_evaluate/{architecture}.log",
    benchmark:
        "benchmarks/cnn_evaluate/{architecture}.tsv"
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=10,
        mem_mb=4000,
    params:
        scenarios=SCENARIOS,
    script:
        "../scripts/cnn_evaluate.py"


rule cnn_learning_curve:
    """Held-out accuracy against the number of training simulations."""
    input:
        predictions=[trained(a, "heldout_predictions.tsv", p) for a in ARCHITECTURES for p in TRAINING_PERCENTS],
        index=IMAGE_DATASET["index"],
        heldout="results/abc/heldout.tsv",
    output:
        table="results/cnn/learning_curve.tsv",
        plot=report("results/cnn/learning_curve.png", caption="../report/cnn_learning_curve.rst", category="CNN"),
    log:
        "logs/cnn_learning_curve.log",
    benchmark:
        "benchmarks/cnn_learning_curve.tsv"
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=5,
    params:
        runs=[(a, p) for a in ARCHITECTURES for p in TRAINING_PERCENTS],
        networks=SETTINGS.networks,
    script:
        "../scripts/cnn_learning_curve.py"


rule compare_methods:
    """ABC and the networks on the same held-out simulations."""
    input:
        abc="results/abc/cv/predictions.tsv",
        cnn=[trained(a, "heldout_predictions.tsv") for a in ARCHITECTURES],
    output:
        table=report("results/comparison/accuracy.tsv", caption="../report/comparison.rst", category="Comparison"),
        plot=report("results/comparison/accuracy.png", caption="../report/comparison.rst", category="Comparison"),
        calibration=report(
            "results/comparison/calibration.png", caption="../report/comparison.rst", category="Comparison"
        ),
    log:
        "logs/compare_methods.log",
    benchmark:
        "benchmarks/compare_methods.tsv"
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=5,
    params:
        architectures=ARCHITECTURES,
        tolerance=config["abc"]["tolerance"],
        scenarios=SCENARIOS,
    script:
        "../scripts/compare_methods.py"
