"""Logging to a Snakemake rule's log file, and user-facing error reporting."""

import logging
import sys
import warnings
from contextlib import contextmanager

from popsbi.errors import PopsbiError


@contextmanager
def job_logging(log_path):
    """Log INFO and above to ``log_path``; a PopsbiError ends the job with its message only.

    The message goes to the log and to stderr (which Snakemake shows), and the
    job exits non-zero so Snakemake removes its partial outputs.
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
        yield
    except PopsbiError as err:
        logging.getLogger("popsbi").error("%s", err)
        print(f"popsbi: {err}", file=sys.stderr)
        sys.exit(1)
    finally:
        root.removeHandler(handler)
        handler.close()
