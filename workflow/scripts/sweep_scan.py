import pandas as pd

from popsbi import cnn_analysis, plots, sweeps
from popsbi.jobs import job_settings
from popsbi.logs import job_logging
from popsbi.observed import read_popmap, read_vcf_region

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    sweep, scan = settings.sweeps, snakemake.params.scan
    popmap = read_popmap(scan["popmap"]) if scan["popmap"] else None
    genotypes = read_vcf_region(scan["vcf"], str(scan["contig"]), scan["start"], scan["end"],
                                {sweep.population: sweep.individuals}, popmap, settings.seed)
    table = cnn_analysis.sweep_scan(cnn_analysis.load(snakemake.input.checkpoint), genotypes, sweep, scan)
    table.to_csv(snakemake.output.table, sep="\t", index=False)
    threshold = snakemake.params.threshold
    calls = sweeps.called_regions(table, str(scan["contig"]), threshold)
    calls.to_csv(snakemake.output.bed, sep="\t", index=False, header=False)
    rates = pd.read_csv(snakemake.input.calls, sep="\t").set_index("class")["called_share"]
    plots.plot_scan(table, calls, threshold, rates.get("neutral"), str(scan["contig"]), snakemake.output.plot)
