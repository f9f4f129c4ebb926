from popsbi import sweeps
from popsbi.batch import write_batch
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake).sweeps
    cls = snakemake.wildcards.sweep_class
    rows = sweeps.draw_class_table(settings, cls).iloc[settings.batch_rows(int(snakemake.wildcards.batch))]
    table, images, distances = sweeps.simulate_batch(settings, cls, rows)
    write_batch(table, images, distances, snakemake.output.table, snakemake.output.images)
