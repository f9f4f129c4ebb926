from popsbi.jobs import job_settings
from popsbi.logs import job_logging
from popsbi.priors import draw_prior_table

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    scenario = snakemake.wildcards.scenario
    table = draw_prior_table(
        settings.priors_of(scenario),
        settings.scenarios[scenario].constraints,
        settings.simulations_per_scenario,
        settings.seed,
        scenario,
    )
    table.to_parquet(snakemake.output[0], index=False)
