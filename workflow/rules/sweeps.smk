SWEEP_CLASSES = list(SETTINGS.sweeps.simulations.classes)
SWEEP_BATCHES = [
    f"results/sweeps/simulations/{cls}/batch_{batch}"
    for cls in SWEEP_CLASSES
    for batch in range(SETTINGS.sweeps.simulations.n_batches(cls))
]
SWEEP_DATASET = {
    "images": "results/sweeps/datasets/images.npy",
    "distances": "results/sweeps/datasets/distances.npy",
    "index": "results/sweeps/datasets/image_index.parquet",
}


SWEEP_NETWORKS = list(SETTINGS.sweeps.architectures)
SWEEP_THRESHOLDS = "results/sweeps/thresholds.tsv"
# The sweep stage is a chain (simulations, training, then its checks and scans) that runs beside
# the network stage's independent trainings: scheduled first when both are ready, its checks
# overlap the last trainings instead of running alone after them.
SWEEP_PRIORITY = 1


wildcard_constraints:
    sweep_class="|".join(SWEEP_CLASSES),
    sweep_net="|".join(SWEEP_NETWORKS),
    target="|".join(name.replace(".", r"\.") for name in SCAN_TARGETS),


rule sweep_demography:
    """The background demographies of the sweep windows: a scenario's fixed parameters or the draws
    of its ABC posterior (the configured scenario, or the one ABC random forest chose)."""
    input:
        unpack(sweep_demography_inputs),
        models=list(SETTINGS.sweeps.simulations.models.values()),
    output:
        report("results/sweeps/demography.tsv", caption="../report/sweep_demography.rst", category="Sweeps"),
    log:
        "logs/sweep_demography.log",
    benchmark:
        "benchmarks/sweep_demography.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=5,
    params:
        demography=SETTINGS.sweeps.demography,
        simulations=SETTINGS.sweeps.simulations,
        settings_text=settings_text(SETTINGS.sweeps.demography, SETTINGS.sweeps.simulations),
        scenarios=SCENARIOS,
    script:
        "../scripts/sweep_demography.py"


rule sweep_simulate:
    """One batch of windows of one class (neutral, or a sweep inside or outside the window) and
    their features, each under one of the background demographies."""
    input:
        demography="results/sweeps/demography.tsv",
    output:
        table="results/sweeps/simulations/{sweep_class}/batch_{batch}.parquet",
        images="results/sweeps/simulations/{sweep_class}/batch_{batch}.npz",
    log:
        "logs/sweep_simulate/{sweep_class}/batch_{batch}.log",
    benchmark:
        "benchmarks/sweep_simulate/{sweep_class}/batch_{batch}.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=lambda wildcards, attempt: attempt * SETTINGS.sweeps.simulations.batch_minutes(wildcards.sweep_class),
        mem_mb=lambda wildcards, attempt: 1000 * attempt,
    params:
        # what the simulations depend on (not the scan, the threshold or the classifier)
        simulations=SETTINGS.sweeps.simulations,
        settings_text=settings_text(SETTINGS.sweeps.simulations),
    script:
        "../scripts/sweep_simulate.py"


rule sweep_aggregate:
    """One statistics table and one image dataset of the simulated windows."""
    input:
        sumstats=[f"{batch}.parquet" for batch in SWEEP_BATCHES],
        images=[f"{batch}.npz" for batch in SWEEP_BATCHES],
    output:
        **SWEEP_DATASET,
        sumstats="results/sweeps/datasets/sumstats.parquet",
    log:
        "logs/sweep_aggregate.log",
    benchmark:
        "benchmarks/sweep_aggregate.tsv"
    priority: SWEEP_PRIORITY
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
    priority: SWEEP_PRIORITY
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
        checkpoint="results/sweeps/{sweep_net}/seed{replicate}/model.ckpt",
        metrics="results/sweeps/{sweep_net}/seed{replicate}/metrics.csv",
        heldout="results/sweeps/{sweep_net}/seed{replicate}/heldout_predictions.tsv",
    log:
        "logs/sweep_train/{sweep_net}_seed{replicate}.log",
    benchmark:
        "benchmarks/sweep_train/{sweep_net}_seed{replicate}.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/cnn.yaml"
    threads: 4
    resources:
        **REQUESTS["sweep_train"].resources(),
        gpu=1,
    params:
        classifier=SETTINGS.sweeps.classifier,
        settings_text=settings_text(SETTINGS.sweeps.classifier),
    script:
        "../scripts/sweep_train.py"


rule sweep_null_simulate:
    """Neutral windows under the background demography, never used in training: the null that sets
    each sweep network's calling threshold."""
    input:
        demography="results/sweeps/demography.tsv",
    output:
        table="results/sweeps/null/windows.parquet",
        images="results/sweeps/null/windows.npz",
    log:
        "logs/sweep_null_simulate.log",
    benchmark:
        "benchmarks/sweep_null_simulate.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=lambda wildcards, attempt: attempt * max(10, SETTINGS.sweeps.null_windows // 20),
        mem_mb=lambda wildcards, attempt: 1000 * attempt,
    params:
        simulations=SETTINGS.sweeps.simulations,
        settings_text=settings_text(SETTINGS.sweeps.simulations),
        windows=SETTINGS.sweeps.null_windows,
    script:
        "../scripts/sweep_null_simulate.py"


rule sweep_threshold:
    """Each sweep network's calling threshold: sweeps.threshold, raised until at most
    sweeps.false_positive_rate of the null windows are called."""
    input:
        table="results/sweeps/null/windows.parquet",
        images="results/sweeps/null/windows.npz",
        checkpoints=sweep_checkpoints(SWEEP_NETWORKS),
    output:
        report(SWEEP_THRESHOLDS, caption="../report/sweep_thresholds.rst", category="Sweeps"),
    log:
        "logs/sweep_threshold.log",
    benchmark:
        "benchmarks/sweep_threshold.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=10,
    params:
        networks=SWEEP_NETWORKS,
        floor=SETTINGS.sweeps.threshold,
        false_positive_rate=SETTINGS.sweeps.false_positive_rate,
    script:
        "../scripts/sweep_threshold.py"


rule sweep_evaluate:
    """Held-out confusion and ROC of every sweep network against each other and single statistics,
    and the false positives of the network that scans."""
    input:
        sumstats="results/sweeps/datasets/sumstats.parquet",
        heldout=sweep_checkpoints(SWEEP_NETWORKS, "heldout_predictions.tsv"),
        metrics=f"results/sweeps/{SETTINGS.sweeps.architecture}/seed0/metrics.csv",
        thresholds=SWEEP_THRESHOLDS,
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
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=10,
    params:
        classes=SWEEP_CLASSES,
        networks=SWEEP_NETWORKS,
        scanner=SETTINGS.sweeps.architecture,
    script:
        "../scripts/sweep_evaluate.py"


rule sweep_robustness_simulate:
    """Neutral windows under one scenario's ABC posterior, never used in training: what the sweep
    networks call on them if the data's history were that scenario."""
    input:
        draws=lambda wildcards: posterior_draws(wildcards.scenario),
        model=lambda wildcards: SETTINGS.sweeps.simulations.models[wildcards.scenario],
    output:
        table="results/sweeps/robustness/{scenario}.parquet",
        images="results/sweeps/robustness/{scenario}.npz",
    log:
        "logs/sweep_robustness_simulate/{scenario}.log",
    benchmark:
        "benchmarks/sweep_robustness_simulate/{scenario}.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/simulate.yaml"
    resources:
        runtime=lambda wildcards, attempt: attempt * max(10, SETTINGS.sweeps.robustness_windows // 20),
        mem_mb=lambda wildcards, attempt: 1000 * attempt,
    params:
        simulations=SETTINGS.sweeps.simulations,
        settings_text=settings_text(SETTINGS.sweeps.simulations),
        windows=SETTINGS.sweeps.robustness_windows,
    script:
        "../scripts/sweep_robustness_simulate.py"


rule sweep_robustness:
    """The false-positive rate of every sweep network, trained under the chosen demography, on the
    neutral windows of each scenario."""
    input:
        demography="results/sweeps/demography.tsv",
        checkpoints=sweep_checkpoints(SWEEP_NETWORKS),
        tables=expand("results/sweeps/robustness/{scenario}.parquet", scenario=SCENARIOS),
        images=expand("results/sweeps/robustness/{scenario}.npz", scenario=SCENARIOS),
        thresholds=SWEEP_THRESHOLDS,
    output:
        report("results/sweeps/robustness.tsv", caption="../report/sweep_robustness.rst", category="Sweeps"),
    log:
        "logs/sweep_robustness.log",
    benchmark:
        "benchmarks/sweep_robustness.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=10,
    params:
        networks=SWEEP_NETWORKS,
        scenarios=SCENARIOS,
    script:
        "../scripts/sweep_robustness.py"


rule sweep_planted:
    """Chromosomes simulated with a partial sweep at their centre, and neutral ones, under the
    background demography, scanned by the network that scans the targets."""
    input:
        demography="results/sweeps/demography.tsv",
        checkpoints=sweep_checkpoints([SETTINGS.sweeps.architecture]),
        thresholds=SWEEP_THRESHOLDS,
    output:
        windows="results/sweeps/planted/windows.tsv",
        summary=report("results/sweeps/planted/summary.tsv", caption="../report/sweep_planted.rst", category="Sweeps"),
        plot=report("results/sweeps/planted/planted.png", caption="../report/sweep_planted.rst", category="Sweeps"),
    log:
        "logs/sweep_planted.log",
    benchmark:
        "benchmarks/sweep_planted.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=lambda wildcards, attempt: attempt * max(10, SETTINGS.sweeps.planted.chromosomes),
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
    params:
        simulations=SETTINGS.sweeps.simulations,
        planted=SETTINGS.sweeps.planted,
        scanner=SETTINGS.sweeps.architecture,
        settings_text=settings_text(SETTINGS.sweeps.simulations, SETTINGS.sweeps.planted),
    script:
        "../scripts/sweep_planted.py"


rule sweep_scan_chunk:
    """One chunk of a scan target (sweeps.scan_chunk bp) in windows: sweep probabilities and
    statistics. A target whose end the config gives is cut into chunks that run as jobs of their
    own (in parallel on a cluster); one without is a single job that reads chunk after chunk."""
    input:
        unpack(sweep_scan_chunk_inputs),
    output:
        table="results/sweeps/scan/{target}/chunks/{chunk}.tsv",
    log:
        "logs/sweep_scan/{target}/chunk_{chunk}.log",
    benchmark:
        "benchmarks/sweep_scan/{target}/chunk_{chunk}.tsv"
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/cnn.yaml"
    resources:
        **REQUESTS["sweep_scan_chunk"].resources(),
    params:
        scan=lambda wildcards: SCAN_TARGETS[wildcards.target],
        settings_text=lambda wildcards: settings_text(SCAN_TARGETS[wildcards.target]),
    script:
        "../scripts/sweep_scan_chunk.py"


rule sweep_scan:
    """A scan target's chunks together: its table, called regions and a plot, in the target's own
    folder."""
    input:
        chunks=lambda wildcards: expand(
            "results/sweeps/scan/{{target}}/chunks/{chunk}.tsv",
            chunk=range(SCAN_CHUNKS[wildcards.target]),
        ),
        thresholds=SWEEP_THRESHOLDS,
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
    priority: SWEEP_PRIORITY
    conda:
        "../../envs/cnn.yaml"
    params:
        scan=lambda wildcards: SCAN_TARGETS[wildcards.target],
        scanner=SETTINGS.sweeps.architecture,
        settings_text=lambda wildcards: settings_text(SCAN_TARGETS[wildcards.target]),
    script:
        "../scripts/sweep_scan.py"
