import numpy as np
import pandas as pd

from popsbi.abc_analysis import observed_features
from popsbi.batch import load_image_dataset
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    simulated = {}
    if "heldout" in snakemake.input.keys():
        inputs = snakemake.input
        simulated = {"sumstats": pd.read_parquet(inputs.sumstats),
                     "heldout": pd.read_csv(inputs.heldout, sep="\t"),
                     "dataset": load_image_dataset(inputs.images, inputs.distances, inputs.index)}
    table, image, distances = observed_features(settings, **simulated)
    table.to_csv(snakemake.output.sumstats, sep="\t", index=False)
    np.savez(snakemake.output.image, image=image, distances=distances)
