"""Hyperparameter search with Optuna: trials trained on the training split and judged by their
lowest validation loss of the scenarios, pruned early when it lags the other trials', in a study kept in a journal
file (it resumes after a kill, and parallel jobs can share it on a cluster's disk)."""

import dataclasses
import logging
import math

import optuna
import pandas as pd
import pytorch_lightning as pl

from popsbi.errors import PopsbiError
from popsbi.nn.hyperparameters import Hyperparameters

log = logging.getLogger(__name__)

#: Searched ranges, on a log scale where the names say so; integer ones are drawn as integers.
RANGES = ("learning_rate", "weight_decay", "dropout", "width", "depth")
LOG_SCALE = frozenset({"learning_rate", "weight_decay", "width"})
INTEGERS = frozenset({"width", "depth"})
#: Searched choices.
CHOICES = ("batch_size", "batch_norm", "lr_decay")
SEARCHED = (*RANGES, *CHOICES)
#: Trials that count towards a study's budget.
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)
# Median pruning (a trial stops when its validation loss is worse than the median of earlier
# trials' at the same epoch) once this many trials have finished, after this many epochs.
PRUNER_STARTUP_TRIALS, PRUNER_WARMUP_EPOCHS = 4, 3


def suggest(trial, space, hyperparameters):
    """``hyperparameters`` with the searched ones drawn by ``trial`` from ``space`` (SearchSpace)."""
    values = {}
    for name in RANGES:
        low, high = getattr(space, name)
        if name in INTEGERS:
            values[name] = trial.suggest_int(name, int(low), int(high), log=name in LOG_SCALE)
        else:
            values[name] = trial.suggest_float(name, low, high, log=name in LOG_SCALE)
    for name in CHOICES:
        values[name] = trial.suggest_categorical(name, list(getattr(space, name)))
    return dataclasses.replace(hyperparameters, **values)


class PruneOnValidationLoss(pl.Callback):
    """Reports each epoch's validation loss of the scenarios (cross-entropy: the parameter head's
    loss left out, since the search tunes model choice) to the trial, keeps them in ``losses``,
    and stops the trial when the pruner says so.

    Optuna's own callback (optuna-integration) is written for the ``lightning`` package, whose
    Trainer does not accept it alongside ``pytorch_lightning``, which this project uses.
    """

    def __init__(self, trial):
        self.trial, self.losses = trial, []

    def on_validation_end(self, trainer, module):
        if trainer.sanity_checking:
            return
        self.losses.append(float(trainer.callback_metrics["val_scenario_loss"]))
        self.trial.report(self.losses[-1], step=trainer.current_epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {trainer.current_epoch + 1}")


def open_study(journal_path, name, seed=None):
    """The study ``name`` in the journal file (created if new, continued if not), minimising the
    validation loss, with a TPE sampler seeded by ``seed`` and median pruning."""
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal_path)))
    return optuna.create_study(
        study_name=name,
        storage=storage,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(PRUNER_STARTUP_TRIALS, PRUNER_WARMUP_EPOCHS),
        direction="minimize",
        load_if_exists=True,
    )


def run_trials(study, objective, trials):
    """Run trials of ``objective`` until the study has ``trials`` finished ones (whichever job ran
    them): a resumed job runs only what is missing; a failed trial (a diverging loss) counts."""
    done = len(study.get_trials(deepcopy=False, states=FINISHED))
    log.info("study %s: %d of %d trials finished", study.study_name, done, trials)
    if done >= trials:
        return
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(
        objective,
        n_trials=trials - done,
        callbacks=[optuna.study.MaxTrialsCallback(trials, states=FINISHED), _log_trial],
    )


def _log_trial(study, trial):
    value = "-" if trial.value is None else f"{trial.value:.4f}"
    best = study.best_value if any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) else math.nan
    seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
    log.info(
        "trial %d %s after %.1f s: validation loss %s (best %.4f) %s",
        trial.number,
        trial.state.name,
        seconds,
        value,
        best,
        trial.params,
    )


def trials_table(study):
    """One row per trial: number, state, validation loss (``value``: the best of a complete trial,
    the last reported of a pruned one), epochs trained, and each searched hyperparameter. (Each
    trial's duration is in the job's log: a table of results stays the same from run to run.)"""
    rows = []
    for trial in study.trials:
        epochs = max(trial.intermediate_values, default=-1) + 1
        value = trial.value if trial.state != optuna.trial.TrialState.PRUNED else trial.intermediate_values[epochs - 1]
        rows.append(
            {"trial": trial.number, "state": trial.state.name, "value": value, "epochs": epochs, **trial.params}
        )
    return pd.DataFrame(rows)


def best_table(study):
    """The best trial's hyperparameters (columns parameter, value), its number (``trial``) and its
    validation loss (``validation_loss``)."""
    if not study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        raise PopsbiError(
            f"no trial of the search {study.study_name} completed (every one failed or was pruned): "
            f"narrow cnn.search.space (a lower learning_rate high) or raise cnn.search.trials"
        )
    best = study.best_trial
    values = {**best.params, "trial": best.number, "validation_loss": best.value}
    return pd.DataFrame({"parameter": list(values), "value": [str(v) for v in values.values()]})


def read_best(path):
    """The searched hyperparameters of a best-trial table, as Hyperparameters field values."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    values = dict(zip(table["parameter"], table["value"]))
    types = {field.name: field.type for field in dataclasses.fields(Hyperparameters)}
    return {name: values[name] == "True" if types[name] is bool else types[name](values[name]) for name in SEARCHED}
