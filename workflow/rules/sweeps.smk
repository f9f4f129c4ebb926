SWEEP_CLASSES = list(SETTINGS.sweeps.simulations.classes)
SWEEP_BATCHES = range(SETTINGS.sweeps.simulations.n_batches)
SWEEP_DATASET = {
    "images": "results/sweeps/datasets/images.npy",
    "distances": "results/sweeps/datasets/distances.npy",
    "index": "results/sweeps/datasets/image_index.parquet",
}


SWEEP_NETWORKS = list(SETTINGS.sweeps.architectures)


wildcard_constraints:
    sweep_class="|".join(SWEEP_CLASSES),
    sweep_net="|".join(SWEEP_NETWORKS),
    target="|".join(name.replace(".", r"\.") for name in SCAN_TARGETS),


rule sweep_simulate:
    """One batch of windows of one class (neutral, hard sweep, linked sweep) and their features."""
    input:
        model=SETTINGS.sweeps.simulations.model,
    output:
        table="results/sweeps/simulations/{sweep_class}/batch_{batch}.parquet",
        images="results/sweeps/simulations/{sweep_class}/batch_{batch}.npz",
    log:
        "logs/sweep_simulate/{sweep_class}/batch_{batch}.log",
    benchmark:
        "benchmarks/sweep_simulate/{sweep_class}/batch_{batch}.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=lambda wildcards, attempt: attempt * max(10, SETTINGS.sweeps.simulations.batch_size // 20),
        mem_mb=lambda wildcards, attempt: 1000 * attempt,
    params:
        # what the simulations depend on (not the scan, the threshold or the classifier)
        simulations=SETTINGS.sweeps.simulations,
    script:
        "../scripts/sweep_simulate.py"


rule sweep_aggregate:
    """One statistics table and one image dataset of the simulated windows."""
    input:
        sumstats=expand(
            "results/sweeps/simulations/{sweep_class}/batch_{batch}.parquet",
            sweep_class=SWEEP_CLASSES,
            batch=SWEEP_BATCHES,
        ),
        images=expand(
            "results/sweeps/simulations/{sweep_class}/batch_{batch}.npz",
            sweep_class=SWEEP_CLASSES,
            batch=SWEEP_BATCHES,
        ),
    output:
        **SWEEP_DATASET,
        sumstats="results/sweeps/datasets/sumstats.parquet",
    log:
        "logs/sweep_aggregate.log",
    benchmark:
        "benchmarks/sweep_aggregate.tsv"
    conda:
        "../../envs/simulate.yaml"
    resources:
        **REQUESTS["sweep_aggregate"].resources(),
    script:
        "../scripts/aggregate.py"


rule sweep_heldout:
    """Windows held out of training: the test set of the classifier and of the single statistics."""
    input:
        "results/sweeps/datasets/sumstats.parquet",
    output:
        "results/sweeps/heldout.tsv",
    log:
        "logs/sweep_heldout.log",
    benchmark:
        "benchmarks/sweep_heldout.tsv"
    conda:
        "../../envs/abc.yaml"
    resources:
        runtime=5,
    params:
        per_scenario=SETTINGS.sweeps.heldout_per_class,
        seed=config["seed"],
    script:
        "../scripts/heldout.py"


rule sweep_train:
    """One sweep network (on a GPU when the job has one): on the windows' images, or on their
    diploS/HIC feature vectors (mlp), or both (hybrid)."""
    input:
        **SWEEP_DATASET,
        sumstats="results/sweeps/datasets/sumstats.parquet",
        heldout="results/sweeps/heldout.tsv",
    output:
        checkpoint="results/sweeps/{sweep_net}/model.ckpt",
        metrics="results/sweeps/{sweep_net}/metrics.csv",
        heldout="results/sweeps/{sweep_net}/heldout_predictions.tsv",
    log:
        "logs/sweep_train/{sweep_net}.log",
    benchmark:
        "benchmarks/sweep_train/{sweep_net}.tsv"
    conda:
        "../../envs/cnn.yaml"
    threads: 4
    resources:
        **REQUESTS["sweep_train"].resources(),
        gpu=1,
    params:
        classifier=SETTINGS.sweeps.classifier,
    script:
        "../scripts/sweep_train.py"


rule sweep_evaluate:
    """Held-out confusion and ROC of every sweep network against each other and single statistics,
    and the false positives of the network that scans."""
    input:
        sumstats="results/sweeps/datasets/sumstats.parquet",
        heldout=expand("results/sweeps/{sweep_net}/heldout_predictions.tsv", sweep_net=SWEEP_NETWORKS),
        metrics=f"results/sweeps/{SETTINGS.sweeps.architecture}/metrics.csv",
    output:
        roc="results/sweeps/roc.tsv",
        auc=report("results/sweeps/auc.tsv", caption="../report/sweep_roc.rst", category="Sweeps"),
        calls=report("results/sweeps/call_rates.tsv", caption="../report/sweep_call_rates.rst", category="Sweeps"),
        roc_plot=report("results/sweeps/roc.png", caption="../report/sweep_roc.rst", category="Sweeps"),
        confusion=report("results/sweeps/confusion.png", caption="../report/sweep_confusion.rst", category="Sweeps"),
        curves=report("results/sweeps/training_curves.png", caption="../report/cnn_curves.rst", category="Sweeps"),
    log:
        "logs/sweep_evaluate.log",
    benchmark:
        "benchmarks/sweep_evaluate.tsv"
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=10,
    params:
        threshold=SETTINGS.sweeps.threshold,
        classes=SWEEP_CLASSES,
        networks=SWEEP_NETWORKS,
        scanner=SETTINGS.sweeps.architecture,
    script:
        "../scripts/sweep_evaluate.py"


rule sweep_scan:
    """A scan target's VCF region in windows: sweep probabilities, statistics, called regions and a
    plot, in the target's own folder (one job per target)."""
    input:
        unpack(sweep_scan_inputs),
    output:
        table=report(
            "results/sweeps/scan/{target}/scan.tsv",
            caption="../report/sweep_scan.rst",
            category="Sweeps",
            labels={"target": "{target}", "figure": "table"},
        ),
        bed="results/sweeps/scan/{target}/calls.bed",
        plot=report(
            "results/sweeps/scan/{target}/scan.png",
            caption="../report/sweep_scan.rst",
            category="Sweeps",
            labels={"target": "{target}", "figure": "scan"},
        ),
    log:
        "logs/sweep_scan/{target}.log",
    benchmark:
        "benchmarks/sweep_scan/{target}.tsv"
    conda:
        "../../envs/cnn.yaml"
    resources:
        **REQUESTS["sweep_scan"].resources(),
    params:
        scan=lambda wildcards: SCAN_TARGETS[wildcards.target],
    script:
        "../scripts/sweep_scan.py"
