"""External audio from ../shared/eval/data (skipped when absent): WER bounds and awkward formats."""

import pytest

from conftest import EVAL_DATA, needs_eval_data
from vramscribe import GPUTranscriptionPipeline
from vramscribe.scoring import word_error_rate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with GPUTranscriptionPipeline(out_dir=tmp_path_factory.mktemp("eval"), echo=False) as p:
        yield p


def transcript_text(result):
    return " ".join(s["text"] for s in result["segments"])


@needs_eval_data("jfk.flac", "jfk.txt")
def test_jfk_24bit_44k_stereo_flac(pipeline):
    result = pipeline.process(EVAL_DATA / "jfk.flac")
    assert word_error_rate((EVAL_DATA / "jfk.txt").read_text(), transcript_text(result)) <= 0.10
    assert result["memory"]["preprocess"]["details"]["source_channels"] == 2


@needs_eval_data("LDC93S1.wav", "LDC93S1.txt", "LDC93S1_8k.wav")
def test_ldc93s1_and_its_8khz_variant(pipeline):
    reference = (EVAL_DATA / "LDC93S1.txt").read_text()
    result = pipeline.process(EVAL_DATA / "LDC93S1.wav")
    assert word_error_rate(reference, transcript_text(result)) <= 0.25
    upsampled = pipeline.process(EVAL_DATA / "LDC93S1_8k.wav")
    assert upsampled["memory"]["preprocess"]["details"]["source_sample_rate"] == 8000
    assert upsampled["words"]
