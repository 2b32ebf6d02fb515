import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "petab" / "kuznetsov_tumour"


@pytest.fixture
def problem_dir(tmp_path):
    d = tmp_path / "problem"
    shutil.copytree(EXAMPLE, d)
    return d
