CNN = config["cnn"]
ARCHITECTURES = CNN["architectures"]
# Learning-curve points as percentages of the training simulations; 100 is the full model.
TRAINING_PERCENTS = sorted({round(100 * fraction) for fraction in CNN["learning_curve"]} | {100})


wildcard_constraints:
    architecture="|".join(ARCHITECTURES),
    percent=r"\d+",
    worker=r"\d+",
    replicate=r"\d+",


rule cnn_search:
    """One worker's trials of a network's hyperparameter search (Optuna), on the training and
    validation simulations; workers share the study's journal."""
    input:
        **IMAGE_DATASET,
        sumstats="results/datasets/sumstats.parquet",
        heldout="results/abc/heldout.tsv",
    output:
        trials="results/cnn/{architecture}/search/worker{worker}.tsv",
    log:
        "logs/cnn_search/{architecture}_{worker}.log",
    benchmark:
        "benchmarks/cnn_search/{architecture}_{worker}.tsv"
    conda:
        "../../envs/cnn.yaml"
    threads: 4
    resources:
        **REQUESTS.get("cnn_search", REQUESTS["cnn_train"]).resources(),
        gpu=1,
    params:
        networks=SETTINGS.networks,
        search=SEARCH,
        settings_text=settings_text(SETTINGS.networks, SEARCH),
        journal=search_journal,
    script:
        "../scripts/cnn_search.py"


rule cnn_search_best:
    """The search's trials, its best hyperparameters (used by cnn_train) and its history."""
    input:
        expand("results/cnn/{{architecture}}/search/worker{worker}.tsv", worker=SEARCH_WORKERS),
    output:
        best="results/cnn/{architecture}/search/best.tsv",
        trials="results/cnn/{architecture}/search/trials.tsv",
        history=report(
            "results/cnn/{architecture}/search/history.png",
            caption="../report/cnn_search.rst",
            category="CNN",
            labels={"network": "{architecture}", "figure": "hyperparameter search"},
        ),
    log:
        "logs/cnn_search_best/{architecture}.log",
    benchmark:
        "benchmarks/cnn_search_best/{architecture}.tsv"
    conda:
        "../../envs/cnn.yaml"
    resources:
        runtime=5,
    params:
        journal=search_journal,
    script:
        "../scripts/cnn_search_best.py"


rule cnn_train:
    """Train one network on a share of the training simulations (on a GPU when the job has one)."""
    input:
        unpack(searched_hyperparameters),
        unpack(starting_network),
        **IMAGE_DATASET,
        sumstats="results/datasets/sumstats.parquet",
        heldout="results/abc/heldout.tsv",
    output:
        checkpoint="results/cnn/{architecture}/{percent}pct/seed{replicate}/model.ckpt",
        metrics="results/cnn/{architecture}/{percent}pct/seed{replicate}/metrics.csv",
        heldout="results/cnn/{architecture}/{percent}pct/seed{replicate}/heldout_predictions.tsv",
        heldout_parameters="results/cnn/{architecture}/{percent}pct/seed{replicate}/heldout_parameters.tsv",
    log:
        "logs/cnn_train/{architecture}_{percent}pct_seed{replicate}.log",
    benchmark:
        "benchmarks/cnn_train/{architecture}_{percent}pct_seed{replicate}.tsv"
    conda:
        "../../envs/cnn.yaml"
    threads: 4
    resources:
        **REQUESTS["cnn_train"].resources(),
        gpu=1,
    params:
        # what a training depends on: neither the architectures trained nor the learning-curve points
        networks=SETTINGS.networks,
        settings_text=settings_text(SETTINGS.networks),
    script:
        "../scripts/cnn_train.py"


rule cnn_evaluate:
    """The seeds' ensemble: held-out predictions, confusion and calibration, observed probabilities;
    the first seed's training curves and parameter estimates."""
    input:
        checkpoints=[trained("{architecture}", "model.ckpt", replicate=k) for k in REPLICATES],
        heldout=[trained("{architecture}", "heldout_predictions.tsv", replicate=k) for k in REPLICATES],
        metrics=trained("{architecture}", "metrics.csv"),
        heldout_parameters=trained("{architecture}", "heldout_parameters.tsv"),
        sumstats="results/datasets/sumstats.parquet",
        observed="results/observed/image.npz",
        observed_statistics="results/observed/sumstats.tsv",
    output:
        heldout="results/cnn/{architecture}/heldout_predictions.tsv",
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
        settings_text=settings_text(SETTINGS.networks),
    script:
        "../scripts/cnn_learning_curve.py"


rule compare_methods:
    """ABC and the networks (their seeds' ensembles) on the same held-out simulations, and the
    networks' spread over seeds."""
    input:
        abc="results/abc/cv/predictions.tsv",
        cnn=expand("results/cnn/{architecture}/heldout_predictions.tsv", architecture=ARCHITECTURES),
        seeds=[trained(a, "heldout_predictions.tsv", replicate=k) for a in ARCHITECTURES for k in REPLICATES],
    output:
        seeds=report("results/comparison/seeds.tsv", caption="../report/comparison.rst", category="Comparison"),
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
        replicates=len(REPLICATES),
        tolerance=config["abc"]["tolerance"],
        scenarios=SCENARIOS,
    script:
        "../scripts/compare_methods.py"
