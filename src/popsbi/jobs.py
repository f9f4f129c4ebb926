"""What every workflow script needs: its log and the validated settings."""

from pathlib import Path

from popsbi.config import load_settings


def job_settings(smk):
    """Settings from a Snakemake script's ``snakemake`` object (config validated as at start-up)."""
    return load_settings(smk.config, Path(smk.scriptdir).parent / "schemas" / "config.schema.yaml")
