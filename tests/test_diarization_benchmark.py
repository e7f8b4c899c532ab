"""benchmarks/diarization.py: one real run over a folder of recordings with references, and --set."""

import re
import shutil
import subprocess
import sys

import pytest

from conftest import EXAMPLE, REPO

CLOSING = re.compile(r"^dev: mean_der0=(\d\.\d{3}) mean_der25=(\d\.\d{3}) count_exact=(\d+)/(\d+) rtf=(\d\.\d{3})$")


def benchmark(folder, *args) -> tuple[float, float, int, int]:
    """Run the benchmark on ``folder``; the figures of its closing line."""
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "diarization.py"), "--data", str(folder), *args],
                          capture_output=True, text=True, check=True, timeout=600)
    match = CLOSING.match(done.stdout.strip().splitlines()[-1])
    assert match, done.stdout
    der0, der25, exact, files, _ = match.groups()
    return float(der0), float(der25), int(exact), int(files)


@pytest.mark.slow
def test_the_benchmark_scores_a_folder_and_moves_one_parameter(tmp_path):
    for suffix in (".wav", ".rttm"):
        shutil.copy(EXAMPLE / f"dialogue{suffix}", tmp_path / f"dialogue{suffix}")
    der0, der25, exact, files = benchmark(tmp_path)
    assert (exact, files) == (1, 1) and der0 <= 0.05 and der25 <= der0  # measured 0.022 / 0.000
    unfilled, _, _, _ = benchmark(tmp_path, "--set", "gap_fill=0.0")
    assert unfilled > der0 + 0.03  # measured 0.092: the pauses between words count as missed speech
    with pytest.raises(subprocess.CalledProcessError):
        benchmark(tmp_path, "--set", "no_such_parameter=1")
