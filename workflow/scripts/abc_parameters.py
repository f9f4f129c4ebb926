import pandas as pd

from popsbi import abc_analysis, plots
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    scenario = snakemake.wildcards.scenario
    reference, target = abc_analysis.reference_without_heldout(
        settings, pd.read_parquet(snakemake.input.sumstats), pd.read_csv(snakemake.input.heldout, sep="\t"),
        pd.read_csv(snakemake.input.observed, sep="\t"))
    table, posteriors = abc_analysis.parameters(settings, reference, target, scenario)
    table.to_csv(snakemake.output.table, sep="\t", index=False)
    prior_draws = reference.table[reference.scenarios == scenario]
    plots.plot_posteriors(prior_draws, posteriors, settings.priors_of(scenario), scenario, snakemake.output.plot)
