import pandas as pd

from popsbi import plots
from popsbi.logs import job_logging
from popsbi.stages import abc

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings, inputs, out = snakemake.params.abc, snakemake.input, snakemake.output
    observed = pd.read_csv(inputs.observed, sep="\t")
    reference, target = abc.reference_without_heldout(
        settings, pd.read_parquet(inputs.sumstats), pd.read_csv(inputs.heldout, sep="\t"), observed
    )
    probabilities, forest, accepted, distances = abc.model_choice(settings, reference, target, snakemake.threads)
    probabilities.to_csv(out.probabilities, sep="\t", index=False)
    forest.to_csv(out.forest, sep="\t", index=False)
    gfit, nulls = abc.goodness_of_fit(settings, reference, target)
    gfit.to_csv(out.gfit, sep="\t", index=False)
    source = observed["source"].iloc[0]
    plots.plot_distances(distances, reference.scenarios, accepted, source, out.distances)
    plots.plot_pca(reference.statistics, reference.scenarios, target, source, out.pca)
    plots.plot_goodness_of_fit(gfit, nulls, out.gfit_plot)
