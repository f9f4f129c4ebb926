from popsbi.datasets import read_batch
from popsbi.logs import job_logging
from popsbi.stages import sweeps as sweep_stage

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs, params = snakemake.input, snakemake.params
    models = sweep_stage.load_ensembles(params.networks, inputs.checkpoints)
    null = read_batch(inputs.table, inputs.images)
    table = sweep_stage.thresholds(models, null, params.floor, params.false_positive_rate)
    table.to_csv(snakemake.output[0], sep="\t", index=False)
