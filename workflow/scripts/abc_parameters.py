import pandas as pd

from popsbi import plots
from popsbi.logs import job_logging
from popsbi.stages import abc

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings, inputs, out = snakemake.params.abc, snakemake.input, snakemake.output
    scenario = snakemake.wildcards.scenario
    reference, target = abc.reference_without_heldout(
        settings,
        pd.read_parquet(inputs.sumstats),
        pd.read_csv(inputs.heldout, sep="\t"),
        pd.read_csv(inputs.observed, sep="\t"),
    )
    table, posteriors = abc.parameters(settings, reference, target, scenario)
    table.to_csv(out.table, sep="\t", index=False)
    abc.accepted_parameters(settings, posteriors, scenario).to_csv(out.draws, sep="\t", index=False)
    prior_draws = reference.table[reference.scenarios == scenario]
    plots.plot_posteriors(prior_draws, posteriors, settings.priors[scenario], scenario, out.plot)
