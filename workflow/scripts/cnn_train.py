import pandas as pd

from popsbi.logs import job_logging
from popsbi.nn.training import heldout_predictions
from popsbi.stages import networks

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs, out = snakemake.input, snakemake.output
    model, data = networks.train(
        snakemake.params.networks,
        snakemake.wildcards.architecture,
        inputs,
        pd.read_csv(inputs.heldout, sep="\t"),
        out.checkpoint,
        snakemake.threads,
        fraction=int(snakemake.wildcards.percent) / 100,
        tuned=inputs.get("tuned"),
        replicate=int(snakemake.wildcards.replicate),
        start=inputs.get("start"),
    )
    classes, parameters = heldout_predictions(model, data)
    classes.to_csv(out.heldout, sep="\t", index=False)
    parameters.to_csv(out.heldout_parameters, sep="\t", index=False)
