import numpy as np
import pandas as pd

from popsbi.datasets import load_image_dataset
from popsbi.logs import job_logging
from popsbi.stages.observed import observed_features

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs, simulated = snakemake.input, {}
    if hasattr(inputs, "heldout"):  # a pseudo-observed dataset
        simulated = {
            "sumstats": pd.read_parquet(inputs.sumstats),
            "heldout": pd.read_csv(inputs.heldout, sep="\t"),
            "dataset": load_image_dataset(inputs.images, inputs.distances, inputs.index),
        }
    table, image, distances, loci = observed_features(snakemake.params.observed, **simulated)
    table.to_csv(snakemake.output.sumstats, sep="\t", index=False)
    (pd.DataFrame({"region": []}) if loci is None else loci).to_csv(snakemake.output.loci, sep="\t", index=False)
    np.savez(snakemake.output.image, image=image, distances=distances)
