from popsbi.logs import job_logging
from popsbi.nn.training import load
from popsbi.stages import sweeps as sweep_stage

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    ensemble = [load(path) for path in snakemake.input.checkpoints]
    table = sweep_stage.scan_job(ensemble, snakemake.params.scan, int(snakemake.wildcards.chunk))
    table.to_csv(snakemake.output.table, sep="\t", index=False)
