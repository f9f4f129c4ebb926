rule heldout:
    """Simulations held out of every reference table: the pseudo-observed test set of ABC and CNN."""
    input:
        "results/datasets/sumstats.parquet",
    output:
        "results/abc/heldout.tsv",
    log:
        "logs/heldout.log",
    benchmark:
        "benchmarks/heldout.tsv"
    conda:
        "../../envs/abc.yaml"
    resources:
        runtime=5,
    params:
        per_scenario=config["abc"]["heldout_per_scenario"],
        seed=config["seed"],
    script:
        "../scripts/heldout.py"


rule observed_features:
    """Summary statistics and image of the observed data, by the code that summarises simulations."""
    input:
        unpack(observed_inputs),
    output:
        sumstats=report("results/observed/sumstats.tsv", caption="../report/observed.rst", category="ABC"),
        image="results/observed/image.npz",
        loci="results/observed/loci.tsv",
    log:
        "logs/observed_features.log",
    benchmark:
        "benchmarks/observed_features.tsv"
    conda:
        "../../envs/abc.yaml"
    resources:
        runtime=10,
        mem_mb=4000,
    params:
        observed=SETTINGS.observed,
        settings_text=settings_text(SETTINGS.observed),
    script:
        "../scripts/observed_features.py"


rule abc_model_choice:
    """Posterior probabilities of the scenarios for the observed data, and checks of fit."""
    input:
        **ABC_INPUTS,
    output:
        probabilities=report("results/abc/model_choice.tsv", caption="../report/model_choice.rst", category="ABC"),
        forest="results/abc/random_forest.tsv",
        gfit=report("results/abc/goodness_of_fit.tsv", caption="../report/gfit.rst", category="ABC"),
        distances=report("results/abc/plots/distances.png", caption="../report/distances.rst", category="ABC"),
        pca=report("results/abc/plots/pca.png", caption="../report/pca.rst", category="ABC"),
        gfit_plot=report("results/abc/plots/goodness_of_fit.png", caption="../report/gfit.rst", category="ABC"),
    log:
        "logs/abc_model_choice.log",
    benchmark:
        "benchmarks/abc_model_choice.tsv"
    conda:
        "../../envs/abc.yaml"
    threads: 2
    resources:
        **REQUESTS["abc_model_choice"].resources(),
    params:
        abc=SETTINGS.abc,
        settings_text=settings_text(SETTINGS.abc),
    script:
        "../scripts/abc_model_choice.py"


rule abc_parameters:
    """Posterior of a scenario's parameters for the observed data, and the accepted simulations'
    parameters (its draws, which the sweep stage's background demography can take)."""
    input:
        **ABC_INPUTS,
    output:
        table=report(
            "results/abc/parameters/{scenario}.tsv",
            caption="../report/parameters.rst",
            category="ABC",
            labels={"scenario": "{scenario}", "type": "table"},
        ),
        draws="results/abc/posterior_draws/{scenario}.tsv",
        plot=report(
            "results/abc/plots/posterior_{scenario}.png",
            caption="../report/parameters.rst",
            category="ABC",
            labels={"scenario": "{scenario}", "type": "plot"},
        ),
    log:
        "logs/abc_parameters/{scenario}.log",
    benchmark:
        "benchmarks/abc_parameters/{scenario}.tsv"
    conda:
        "../../envs/abc.yaml"
    resources:
        **REQUESTS["abc_parameters"].resources(),
    params:
        abc=SETTINGS.abc,
        settings_text=settings_text(SETTINGS.abc),
    script:
        "../scripts/abc_parameters.py"


rule abc_cross_validation:
    """Model choice and parameter estimation on the held-out simulations, over a tolerance sweep."""
    input:
        sumstats="results/datasets/sumstats.parquet",
        heldout="results/abc/heldout.tsv",
    output:
        predictions="results/abc/cv/predictions.tsv",
        accuracy=report("results/abc/cv/accuracy.tsv", caption="../report/cv_accuracy.rst", category="ABC"),
        confusion="results/abc/cv/confusion.tsv",
        parameters=report("results/abc/cv/parameters.tsv", caption="../report/cv_parameters.rst", category="ABC"),
        confusion_plot=report(
            "results/abc/plots/cv_confusion.png", caption="../report/cv_confusion.rst", category="ABC"
        ),
        tolerance_plot=report("results/abc/plots/cv_tolerance.png", caption="../report/cv_accuracy.rst", category="ABC"),
    log:
        "logs/abc_cross_validation.log",
    benchmark:
        "benchmarks/abc_cross_validation.tsv"
    conda:
        "../../envs/abc.yaml"
    threads: 2
    resources:
        **REQUESTS["abc_cross_validation"].resources(),
    params:
        abc=SETTINGS.abc,
        settings_text=settings_text(SETTINGS.abc),
    script:
        "../scripts/abc_cross_validation.py"
