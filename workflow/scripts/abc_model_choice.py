import pandas as pd

from popsbi import abc_analysis, plots
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    out = snakemake.output
    observed = pd.read_csv(snakemake.input.observed, sep="\t")
    reference, target = abc_analysis.reference_without_heldout(
        settings, pd.read_parquet(snakemake.input.sumstats), pd.read_csv(snakemake.input.heldout, sep="\t"), observed)
    probabilities, forest, accepted, distances = abc_analysis.model_choice(settings, reference, target)
    probabilities.to_csv(out.probabilities, sep="\t", index=False)
    forest.to_csv(out.forest, sep="\t", index=False)
    gfit, nulls = abc_analysis.goodness_of_fit(settings, reference, target)
    gfit.to_csv(out.gfit, sep="\t", index=False)
    source = observed["source"].iloc[0]
    plots.plot_distances(distances, reference.scenarios, accepted, source, out.distances)
    plots.plot_pca(reference.statistics, reference.scenarios, target, source, out.pca)
    plots.plot_goodness_of_fit(gfit, nulls, out.gfit_plot)
