import pandas as pd

from popsbi.logs import job_logging
from popsbi.nn.training import heldout_predictions
from popsbi.stages.sweeps import train_classifier

with job_logging(snakemake.log[0]):
    inputs, out = snakemake.input, snakemake.output
    model, data = train_classifier(
        snakemake.params.classifier,
        snakemake.params.architecture,
        inputs,
        pd.read_csv(inputs.heldout, sep="\t"),
        out.checkpoint,
        snakemake.threads,
    )
    heldout_predictions(model, data)[0].to_csv(out.heldout, sep="\t", index=False)
