"""Corpus scale: a file that goes bad between the scan and its job fails alone; batch sizing by corpus size."""

import threading
import time

import pytest

from conftest import read_json, run_workflow
from media import speech_clip
from vramscribe.audio import preprocess
from vramscribe.errors import VramscribeError
from vramscribe.samples import batches, files_per_job

LINE = "vramscribe: error: "


@pytest.mark.parametrize("setting, count, size", [(1, 5000, 1), (7, 3, 7), ("auto", 1, 1), ("auto", 100, 1),
                                                  ("auto", 101, 10), ("auto", 2000, 10), ("auto", 5000, 25),
                                                  ("auto", 10_000, 50), ("auto", 100_000, 50)])
def test_files_per_job(setting, count, size):
    assert files_per_job(setting, count) == size


def test_batches_cover_every_sample_once_in_order():
    samples = {f"s{i}": f"/a/s{i}.wav" for i in range(23)}
    groups = batches(samples, 10)
    assert list(groups) == ["batch_0000", "batch_0001", "batch_0002"]
    assert [name for group in groups.values() for name in group] == list(samples)


def test_a_file_still_being_written_is_refused_with_one_line(tmp_path):
    recording = speech_clip(tmp_path / "recording.wav", 0.0, 3.0)
    stop, appended = threading.Event(), threading.Event()

    def keep_writing():
        with open(recording, "ab") as handle:
            while not stop.is_set():
                handle.write(b"\0" * 64)
                handle.flush()
                appended.set()
                time.sleep(0.001)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    appended.wait(5)
    try:
        with pytest.raises(VramscribeError) as caught:
            preprocess(recording, tmp_path / "out.wav")
    finally:
        stop.set()
        writer.join()
    assert str(caught.value) == (f"{LINE}{recording}: file changed while it was being read (still being written?) — "
                                 "wait until the copy or recording has finished, then re-run")
    assert not (tmp_path / "out.wav").exists()


def delete_when(trigger, doomed, timeout=600):
    """Delete ``doomed`` as soon as ``trigger()`` is true (a thread, so the run goes on meanwhile)."""

    def watch():
        deadline = time.time() + timeout
        while time.time() < deadline and not trigger():
            time.sleep(0.05)
        doomed.unlink()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def errors_of(result):
    return [line for line in result.stderr.splitlines() if line.startswith(LINE)]


@pytest.mark.slow
def test_dangling_link_and_file_deleted_after_the_scan_fail_alone(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    speech_clip(corpus / "good.wav", 0.0, 3.0)
    speech_clip(corpus / "doomed.wav", 4.0, 3.0)
    (corpus / "moved.wav").symlink_to(tmp_path / "archive" / "moved.wav")
    work = tmp_path / "work"
    # good's jobs first, one at a time: doomed.wav exists when the run is planned and is gone when its job starts
    watcher = delete_when(lambda: (work / "logs/preprocess/good.log").exists(), corpus / "doomed.wav")
    result = run_workflow(work, "--cores", "1", "--prioritize", "results/good/aligned.json",
                          "--config", f"input_dir={corpus}", "batch_files=1", check=False)
    watcher.join(1)
    assert result.returncode != 0
    assert "MissingInputException" not in result.stderr
    assert sorted(errors_of(result)) == [
        f"{LINE}{corpus / 'doomed.wav'}: file not found — check the path or the sample sheet",
        f"{LINE}{corpus / 'moved.wav'}: symbolic link to a missing file ({tmp_path / 'archive' / 'moved.wav'}) — restore the recording or remove the link",
    ]
    assert read_json(work / "results/good/aligned.json")["words"]
    report = read_json(work / "results/report/cleanup_verification.json")
    assert list(report["samples"]) == ["good"]
    failures = {f["sample"]: f["error"] for f in report["failures"]}
    assert set(failures) == {"doomed", "moved"}
    assert "file not found" in failures["doomed"] and "symbolic link to a missing file" in failures["moved"]
    assert (work / "logs/preprocess/moved.log").read_text().strip().endswith("restore the recording or remove the link")


@pytest.mark.slow
def test_a_file_that_vanishes_mid_run_fails_alone_in_its_batch(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index, name in enumerate(["a_first", "b_vanishes", "c_last"]):
        speech_clip(corpus / f"{name}.wav", 4.0 * index, 3.0)
    work = tmp_path / "work"
    log = work / "logs/batch/batch_0000.log"
    watcher = delete_when(lambda: log.exists() and "Before Transcription" in log.read_text(), corpus / "b_vanishes.wav")
    result = run_workflow(work, "--config", f"input_dir={corpus}", "batch_files=3")
    watcher.join(1)
    assert result.returncode == 0  # the batch job records the bad file and finishes the others
    status = read_json(work / "results/batches/batch_0000.json")
    assert status["a_first"] == status["c_last"] == "ok"
    assert status["b_vanishes"] == f"{LINE}{corpus / 'b_vanishes.wav'}: file not found — check the path or the sample sheet"
    for name in ("a_first", "c_last"):
        assert read_json(work / f"results/{name}/aligned.json")["words"], name
    report = read_json(work / "results/report/cleanup_verification.json")
    assert sorted(report["samples"]) == ["a_first", "c_last"]
    assert [f["sample"] for f in report["failures"]] == ["b_vanishes"] and "file not found" in report["failures"][0]["error"]
    assert status["b_vanishes"] in log.read_text()
