"""Evaluation against references: hand-computed WER, DER and SA-WER, the CLI, and the workflow rule."""

import json

import pytest
from pyannote.core import Annotation, Segment, Timeline

from conftest import EXAMPLE, read_json, run_workflow
from vramscribe.cli import main
from vramscribe.errors import VramscribeError
from vramscribe.evaluate import evaluate, read_stm
from vramscribe.scoring import diarization_error_rate, speaker_attributed_wer

# Reference: A speaks 0-10 s, B 10-20 s. Hypothesis: X 0-12 s, Y 12-20 s (X maps to A, Y to B).
REFERENCE_RTTM = "SPEAKER talk 1 0.000 10.000 <NA> <NA> A <NA> <NA>\nSPEAKER talk 1 10.000 10.000 <NA> <NA> B <NA> <NA>\n"
HYPOTHESIS_RTTM = "SPEAKER talk 1 0.000 12.000 <NA> <NA> X <NA> <NA>\nSPEAKER talk 1 12.000 8.000 <NA> <NA> Y <NA> <NA>\n"
STM = ";; a comment\ntalk 1 A 0.0 10.0 <o,f0,female> Hello there, friend.\ntalk 1 B 10.0 20.0 Good morning to you!\n"
# "good" (said by B at 10.5 s) falls in X's turn: one insertion for A, one deletion for B.
WORDS = [("hello", 1, "X"), ("there", 3, "X"), ("friend", 5, "X"), ("good", 10.5, "X"), ("morning", 13, "Y"), ("to", 15, "Y"), ("you", 16, "Y")]


def annotation(turns):
    result = Annotation()
    for start, end, speaker in turns:
        result[Segment(start, end)] = speaker
    return result


def words(triples):
    return [{"text": f" {text}", "start": start, "end": start + 0.5, "speaker": who} for text, start, who in triples]


REFERENCE = annotation([(0, 10, "A"), (10, 20, "B")])
HYPOTHESIS = annotation([(0, 12, "X"), (12, 20, "Y")])


def test_der_by_hand():
    assert diarization_error_rate(REFERENCE, HYPOTHESIS) == pytest.approx(2 / 20)  # 10-12 s confused
    # collar 0.25 s each side of the boundaries 0, 10, 20: 1 s not scored, 10.25-12 s confused
    assert diarization_error_rate(REFERENCE, HYPOTHESIS, collar=0.25) == pytest.approx(1.75 / 19)
    assert diarization_error_rate(REFERENCE, HYPOTHESIS, Timeline([Segment(0, 15)])) == pytest.approx(2 / 15)
    assert diarization_error_rate(REFERENCE, annotation([(0, 10, "B"), (10, 20, "A")])) == 0.0  # labels are mapped


def test_speaker_attributed_wer_by_hand(tmp_path):
    (tmp_path / "talk.stm").write_text(STM)
    turns = read_stm(tmp_path / "talk.stm")
    assert turns == [(0.0, 10.0, "A", "Hello there, friend."), (10.0, 20.0, "B", "Good morning to you!")]
    assert speaker_attributed_wer(turns, HYPOTHESIS, words(WORDS)) == pytest.approx(2 / 7)
    # swapped labels, every word with its speaker: 0 (the mapping follows overlap, not names)
    swapped = annotation([(0, 10, "SPEAKER_01"), (10, 20, "SPEAKER_00")])
    right = [(t, s, "SPEAKER_01" if s < 10 else "SPEAKER_00") for t, s, _ in WORDS]
    assert speaker_attributed_wer(turns, swapped, words(right)) == 0.0
    # a word of a speaker mapped to no one is an insertion; a missing word a deletion
    extra = right[:-1] + [("um", 18, "UNKNOWN")]
    assert speaker_attributed_wer(turns, swapped, words(extra)) == pytest.approx(2 / 7)


def build(tmp_path):
    """A results folder with samples talk (all references) and noref (none), and the reference folder."""
    results, refs = tmp_path / "results", tmp_path / "refs"
    for sample in ("talk", "noref"):
        (results / sample).mkdir(parents=True)
        segments = [{"text": " Hello there, friend. Good morning to u."}]  # one substitution in 7 words
        (results / sample / "transcript.json").write_text(json.dumps({"segments": segments}))
        (results / sample / "aligned.json").write_text(json.dumps({"words": words(WORDS)}))
        (results / sample / "diarization.rttm").write_text(HYPOTHESIS_RTTM)
    refs.mkdir()
    (refs / "talk.txt").write_text("Hello there, friend.\nGood morning to you!\n")
    (refs / "talk.rttm").write_text(REFERENCE_RTTM)
    (refs / "talk.stm").write_text(STM)
    return results, refs


def test_evaluate_command_prints_a_table_and_writes_json(tmp_path, capsys):
    results, refs = build(tmp_path)
    assert main(["evaluate", "--ref", str(refs), "--hyp", str(results)]) == 0
    doc = read_json(results / "evaluation.json")
    talk = doc["files"]["talk"]
    assert talk["wer"] == pytest.approx(1 / 7) and talk["der"] == pytest.approx(0.1)
    assert talk["der_collar_0.25"] == pytest.approx(1.75 / 19) and talk["sa_wer"] == pytest.approx(2 / 7)
    assert talk["word_speaker_accuracy"] == pytest.approx(6 / 7)
    assert (talk["speakers_hyp"], talk["speakers_ref"]) == (2, 2)
    assert doc["skipped"] == {"noref": "no reference files"} and doc["mean"]["der"] == pytest.approx(0.1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["file", "WER", "DER"]
    assert lines[1].split() == ["talk", "14.3%", "10.0%", "9.2%", "28.6%", "85.7%", "2/2"]
    assert lines[2].split()[0] == "mean" and "skipped: noref (no reference files)" in lines
    assert doc["speaker_count"] == {"exact": 1, "files": 1}
    assert "set: mean DER 10.0% at collar 0, 9.2% at 0.25 s; speaker count exact on 1/1 files" in lines
    # only an RTTM: the other metrics are null and shown as "-"; --json elsewhere
    (refs / "talk.txt").unlink()
    (refs / "talk.stm").unlink()
    assert main(["evaluate", "--ref", str(refs), "--hyp", str(results), "--json", str(tmp_path / "e.json")]) == 0
    assert read_json(tmp_path / "e.json")["files"]["talk"]["wer"] is None
    assert capsys.readouterr().out.splitlines()[1].split() == ["talk", "-", "10.0%", "9.2%", "-", "85.7%", "2/2"]


def test_missing_reference_folder_is_one_line(tmp_path, capsys):
    assert main(["evaluate", "--ref", str(tmp_path / "nope"), "--hyp", str(tmp_path)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"vramscribe: error: {tmp_path / 'nope'}: references folder not found — ") and "\n" not in error
    with pytest.raises(VramscribeError):
        evaluate(tmp_path / "nope", tmp_path)


def test_workflow_stops_on_a_missing_reference_folder(tmp_path):
    result = run_workflow(tmp_path, "--dry-run", "--config", f"input_dir={EXAMPLE}", f"references={tmp_path / 'nope'}", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("vramscribe: error: ")]
    assert len(errors) == 1 and "references folder not found" in errors[0], result.stderr


@pytest.mark.slow
def test_evaluate_rule_scores_the_example(example_run):
    result = run_workflow(example_run, "--config", f"input_dir={EXAMPLE}", f"references={EXAMPLE}")
    assert "rule evaluate" in result.stderr and "rule transcribe" not in result.stderr  # only the new job ran
    dialogue = read_json(example_run / "results/evaluation.json")["files"]["dialogue"]
    assert dialogue["der"] < 0.25 and dialogue["wer"] < 0.3
    assert dialogue["sa_wer"] < 0.3 and dialogue["speakers_ref"] == 2
    assert "dialogue" in (example_run / "logs/evaluate/evaluate.log").read_text()
