"""Logging to a Snakemake rule's log file, and user-facing error reporting."""

import logging
import sys
import time
import warnings
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

from popsbi.errors import PopsbiError

log = logging.getLogger(__name__)


def progress(items, total, label, unit, every):
    """Yield ``items`` (``total`` of them), logging '<label>: k/total <unit> (seconds)' after every
    ``every``-th item is processed and after the last, so that long loops show where they are."""
    started = time.monotonic()
    for i, item in enumerate(items):
        yield item
        if (i + 1) % every == 0 or i + 1 == total:
            log.info("%s: %d/%d %s (%.1f s)", label, i + 1, total, unit, time.monotonic() - started)


@contextmanager
def job_logging(log_path, threads=1, outputs=()):
    """Log INFO and above to ``log_path``; a PopsbiError or an OSError ends the job with one line.

    The message goes to the log and to stderr (which Snakemake shows), and the
    job exits non-zero so Snakemake removes its partial outputs. An OSError that does not
    name its file (a full disk met by a library's writer) names the job's ``outputs``. BLAS and
    OpenMP use at most ``threads`` (the rule's), so that jobs sharing a node do not
    oversubscribe it.
    """
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    logging.getLogger("msprime").setLevel(logging.WARNING)  # one line per replicate otherwise
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)  # hardware and tips banners
    warnings.filterwarnings("ignore", message=".*srun.*")  # Lightning's hint inside SLURM jobs
    try:
        with threadpool_limits(limits=threads):
            yield
    except (PopsbiError, OSError) as err:
        # OSError: a full disk, a missing permission... the message says which file and why.
        if isinstance(err, PopsbiError):
            message = str(err)
        elif err.filename is None and outputs:
            message = f"cannot write the outputs ({', '.join(map(str, outputs))}): {err}"
        else:
            message = f"cannot read or write a file: {err}"
        logging.getLogger("popsbi").error("%s", message)
        print(f"popsbi: {message}", file=sys.stderr)
        sys.exit(1)
    finally:
        root.removeHandler(handler)
        handler.close()
