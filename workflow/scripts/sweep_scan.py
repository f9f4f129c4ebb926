import pandas as pd

from popsbi import plots, sweeps
from popsbi.logs import job_logging
from popsbi.stages import sweeps as sweep_stage

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings, out = snakemake.params.scan, snakemake.output
    chunks = [pd.read_csv(path, sep="\t", dtype={"contig": str, "skipped": str}) for path in snakemake.input.chunks]
    table = sweep_stage.merged_scan([chunk.fillna({"skipped": ""}) for chunk in chunks], settings)
    table.to_csv(out.table, sep="\t", index=False)
    scanner = sweep_stage.read_thresholds(snakemake.input.thresholds).loc[snakemake.params.scanner]
    calls = sweeps.called_regions(table, settings.contig, scanner["threshold"], settings.step)
    calls.to_csv(out.bed, sep="\t", index=False, header=False)
    classes = [cls for cls in table.columns if cls in sweeps.CLASSES]
    plots.plot_scan(table, calls, scanner, classes, settings.contig, out.plot)
