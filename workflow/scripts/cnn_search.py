import pandas as pd

from popsbi.logs import job_logging
from popsbi.nn.search import trials_table
from popsbi.stages import networks

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    study = networks.search_hyperparameters(
        snakemake.params.networks,
        snakemake.params.search,
        snakemake.wildcards.architecture,
        snakemake.input,
        pd.read_csv(snakemake.input.heldout, sep="\t"),
        snakemake.params.journal,
        int(snakemake.wildcards.worker),
        snakemake.threads,
    )
    trials_table(study).assign(study=study.study_name).to_csv(snakemake.output.trials, sep="\t", index=False)
