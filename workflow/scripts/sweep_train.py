import pandas as pd

from popsbi.logs import job_logging
from popsbi.nn.training import heldout_predictions
from popsbi.stages.networks import train

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs, out = snakemake.input, snakemake.output
    model, data = train(
        snakemake.params.classifier,
        snakemake.wildcards.sweep_net,
        inputs,
        pd.read_csv(inputs.heldout, sep="\t"),
        out.checkpoint,
        snakemake.threads,
        replicate=int(snakemake.wildcards.replicate),
    )
    heldout_predictions(model, data)[0].to_csv(out.heldout, sep="\t", index=False)
