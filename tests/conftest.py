from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def schema_path():
    return SCHEMA
