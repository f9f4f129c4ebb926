from popsbi.logs import job_logging
from popsbi.stages.summary import runtime_table

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    runtime_table(snakemake.params.benchmarks).to_csv(snakemake.output[0], sep="\t", index=False)
