import pandas as pd

from popsbi import plots, sweeps
from popsbi.evaluation import confusion_matrix, ensemble
from popsbi.logs import job_logging
from popsbi.nn.training import epoch_history
from popsbi.stages import sweeps as sweep_stage

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    out, params = snakemake.output, snakemake.params
    predictions = {
        net: ensemble([pd.read_csv(path, sep="\t") for path in paths], params.classes)
        for net, paths in sweep_stage.per_network(params.networks, snakemake.input.heldout).items()
    }
    networks = {sweeps.NETWORK_LABELS[net]: table for net, table in predictions.items()}
    curves, areas = sweeps.roc_table(networks, pd.read_parquet(snakemake.input.sumstats))
    curves.to_csv(out.roc, sep="\t", index=False)
    areas.to_csv(out.auc, sep="\t", index=False)
    threshold = sweep_stage.read_thresholds(snakemake.input.thresholds).at[params.scanner, "threshold"]
    sweeps.call_rates(predictions[params.scanner], threshold).to_csv(out.calls, sep="\t", index=False)
    plots.plot_roc(curves, areas, out.roc_plot)
    matrices = {
        f"{net} (held out)": confusion_matrix(table["true"], table["predicted"], list(params.classes))
        for net, table in predictions.items()
    }
    plots.plot_confusion(matrices, out.confusion)
    plots.plot_training_curves(
        epoch_history(snakemake.input.metrics), out.curves, f"sweep classifier ({params.scanner})"
    )
