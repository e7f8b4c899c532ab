"""Shared fixtures: the repo, the bundled example, the external eval data, and real workflow runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "example"
EVAL_DATA = REPO.parent / "shared" / "eval" / "data"
DIARIZATION_DATA = REPO.parent / "shared" / "eval" / "diarization"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")


def run_workflow(workdir: Path, *args: str, check: bool = True, timeout: int = 900, env=None) -> subprocess.CompletedProcess:
    """Run the real workflow (`snakemake -s REPO/Snakefile --directory workdir ...`)."""
    command = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(workdir), "--cores", "2", "--resources", "gpu=1", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def example_run(tmp_path_factory) -> Path:
    """One real workflow run on the bundled example, shared by the tests that inspect its outputs."""
    workdir = tmp_path_factory.mktemp("example_run")
    run_workflow(workdir, "--config", f"input_dir={EXAMPLE}")
    return workdir


def needs_eval_data(*names: str, folder: Path = EVAL_DATA):
    """Skip unless ../shared/eval/data (or ``folder``) holds these files."""
    missing = [n for n in names if not (folder / n).exists()]
    return pytest.mark.skipif(bool(missing), reason=f"external eval data absent: {', '.join(missing)}")
