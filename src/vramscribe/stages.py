"""The five per-sample stages, each bracketed by its memory checkpoints and writing its own artifacts.

preprocess -> transcribe -> diarize -> align -> final. A stage reads the files of the one before
and writes its own; the workflow runs each in its own job, the API runs them in one process.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__, audio, models, transcribe
from .atomic import write_json
from .creep import process_id
from .errors import OutOfMemory, VramscribeError, is_out_of_memory
from .memory import MemoryMonitor, free_memory
from .progress import Progress
from .settings import Settings

STAGE_CHECKPOINTS = {
    "preprocess": ["Pipeline Initialization", "Before Audio Preprocessing", "After Audio Preprocessing"],
    "transcribe": [
        "Before Transcription",
        "Before Whisper Cleanup",
        "After Whisper Cleanup",
        "After Transcription (post-cleanup)",
    ],
    "diarize": [
        "Before Diarization",
        "Before Diarization Model Cleanup",
        "After Diarization Model Cleanup",
        "Before Waveform Cleanup",
        "After Waveform Cleanup",
        "After Diarization (post-cleanup)",
    ],
    "align": [
        "Before Speaker Alignment",
        "Before Alignment Tensors Cleanup",
        "After Alignment Tensors Cleanup",
        "After Speaker Alignment (post-cleanup)",
    ],
    "final": ["Before Final Cleanup", "After Final Cleanup"],
}
STAGES = list(STAGE_CHECKPOINTS)
CHECKPOINT_NAMES = [name for names in STAGE_CHECKPOINTS.values() for name in names]


@dataclass(frozen=True)
class SamplePaths:
    """Where one sample's artifacts live: ``results/{sample}/...``."""

    root: Path
    sample: str

    @classmethod
    def under(cls, results: str | os.PathLike, sample: str) -> "SamplePaths":
        return cls(Path(results) / sample, sample)

    @property
    def wav(self) -> Path:
        return self.root / "audio.wav"

    @property
    def transcript(self) -> Path:
        return self.root / "transcript.json"

    @property
    def rttm(self) -> Path:
        return self.root / "diarization.rttm"

    @property
    def exclusive_rttm(self) -> Path:
        return self.root / "diarization.exclusive.rttm"

    @property
    def aligned(self) -> Path:
        return self.root / "aligned.json"

    def memory(self, stage: str) -> Path:
        return self.root / "memory" / f"{stage}.json"


@contextmanager
def stage_log(monitor: MemoryMonitor, paths: SamplePaths, stage: str, details: dict[str, Any]) -> Iterator[None]:
    """Run a stage body; write its memory JSON whatever happens, and turn any OOM into OutOfMemory."""
    monitor.stage, monitor.sample = stage, paths.sample
    error = None
    try:
        yield
    except Exception as exc:
        error = {"type": type(exc).__name__, "message": str(exc).splitlines()[0] if str(exc) else ""}
        if not is_out_of_memory(exc):
            raise
        free_memory(monitor.backend)
        error.update(out_of_memory=True, state=monitor.measure(f"{stage} out of memory").reading)
        raise OutOfMemory(
            paths.sample, f"out of memory in {stage} ({error['type']})",
            "the workflow retries with a smaller batch, int8 and then a smaller model; or set whisper.model lower",
        ) from exc
    finally:
        record = monitor.to_dict()
        record.update(details=details, error=error, version=__version__)
        write_json(paths.memory(stage), record)
        monitor.checkpoints.clear()
        monitor.cleanups.clear()
        monitor.warnings.clear()


def run_preprocess(source: str | os.PathLike, paths: SamplePaths, monitor: MemoryMonitor, channels: str = "auto") -> dict:
    """Pipeline Initialization, then decode ``source`` to 16 kHz WAV: mono, or one track per channel (``channels``)."""
    details: dict[str, Any] = {"source": str(source)}
    with stage_log(monitor, paths, "preprocess", details):
        monitor.checkpoint("Pipeline Initialization")
        monitor.checkpoint("Before Audio Preprocessing")
        details.update(audio.preprocess(source, paths.wav, channels))
        monitor.checkpoint("After Audio Preprocessing")
    return details


def whisper_choice(settings: Settings, monitor: MemoryMonitor) -> tuple[str, str]:
    """(model name, compute type) for this device, with a warning when the model is too big for it."""
    total = monitor.backend.read().nvml_device_total if monitor.device.startswith("cuda") else None
    name = models.recommend_model(total) if settings.whisper_model == "auto" else settings.whisper_model
    warning = models.fit_warning(name, total)
    if warning:
        monitor.warn(warning)
    compute = settings.compute_type
    if compute == "auto":
        compute = transcribe.default_compute_type(monitor.device)
    elif compute == "int8" and monitor.device.startswith("cuda"):
        compute = "int8_float16"
    return name, compute


def run_transcribe(paths: SamplePaths, settings: Settings, monitor: MemoryMonitor) -> dict:
    """Load Whisper once, transcribe every segment (of every track), free the model (unload, del, gc, empty cache), write JSON."""
    details: dict[str, Any] = {"settings": settings.as_dict()}
    with stage_log(monitor, paths, "transcribe", details):
        monitor.checkpoint("Before Transcription")
        name, compute = whisper_choice(settings, monitor)
        details.update(model=name, compute_type=compute)
        load_model = transcribe.whisper_loader(models.resolve_model_path(name), monitor.device, compute)
        monitor.baseline("Whisper")
        model = load_model()
        tracks = audio.load_tracks(paths.wav)
        with Progress("transcribe", paths.sample, tracks.size / audio.SAMPLE_RATE) as progress:
            result = transcribe.transcribe_tracks(
                model, tracks, language=settings.language, beam_size=settings.beam_size,
                batch_size=settings.batch_size, progress=progress.update,
            )
        del tracks
        before = monitor.checkpoint("Before Whisper Cleanup")
        freed = weakref.ref(model)
        transcribe.unload_whisper(model)
        del model
        free_memory(monitor.backend)
        monitor.verify_cleanup("Whisper", before, monitor.checkpoint("After Whisper Cleanup"), freed)
        result.update(model=name, compute_type=compute, device=monitor.device)
        write_json(paths.transcript, result)
        monitor.checkpoint("After Transcription (post-cleanup)")
    return result


def run_diarize(paths: SamplePaths, settings: Settings, monitor: MemoryMonitor) -> tuple:
    """Put the waveform and the pipeline on the device, diarize, free both (measured), write RTTM.

    A split recording (one WAV channel per track) is diarized track by track (vramscribe.track_diarization).
    """
    from . import diarize, formats, track_diarization  # torch and pyannote: imported by the stages that use them (~1.7 s)

    details: dict[str, Any] = {"pipeline": settings.diarization_pipeline}
    with stage_log(monitor, paths, "diarize", details):
        monitor.checkpoint("Before Diarization")
        load_pipeline = diarize.pipeline_loader(settings.diarization_pipeline, monitor.device, settings.token_file)
        tracks = audio.load_tracks(paths.wav)
        if len(tracks) > 1:
            load_pipeline = track_diarization.track_loader(monitor.device, load_pipeline)
        monitor.baseline("Waveform")
        waveform = diarize.waveform_tensor(tracks, monitor.device)
        del tracks
        monitor.footprint("Waveform")
        monitor.baseline("Diarization Model")
        pipeline = load_pipeline()
        with Progress("diarize", paths.sample, waveform.shape[-1] / audio.SAMPLE_RATE) as progress:
            full, exclusive = diarize.diarize(
                pipeline, waveform, audio.SAMPLE_RATE, num_speakers=settings.num_speakers,
                min_speakers=settings.min_speakers, max_speakers=settings.max_speakers, hook=progress.hook,
            )
        if isinstance(pipeline, track_diarization.TrackDiarization):
            details["voices"] = pipeline.voices  # per track: one voice, or several (diarized further)
        before = monitor.checkpoint("Before Diarization Model Cleanup")
        freed = weakref.ref(pipeline)
        del pipeline
        free_memory(monitor.backend)
        monitor.verify_cleanup("Diarization Model", before, monitor.checkpoint("After Diarization Model Cleanup"), freed)
        before = monitor.checkpoint("Before Waveform Cleanup")
        del waveform
        free_memory(monitor.backend)
        monitor.verify_cleanup("Waveform", before, monitor.checkpoint("After Waveform Cleanup"))
        for annotation in (full, exclusive):
            annotation.uri = formats.rttm_uri(paths.sample)
        formats.write_rttm(full, paths.rttm)
        formats.write_rttm(exclusive, paths.exclusive_rttm)
        details["speakers"] = sorted(map(str, full.labels()))
        monitor.checkpoint("After Diarization (post-cleanup)")
    return full, exclusive


def run_align(paths: SamplePaths, monitor: MemoryMonitor) -> dict:
    """Word x turn overlap as device tensors, freed and measured; write aligned.json and subtitles."""
    from . import align, formats

    details: dict[str, Any] = {}
    with stage_log(monitor, paths, "align", details):
        monitor.checkpoint("Before Speaker Alignment")
        transcript = json.loads(paths.transcript.read_text(encoding="utf-8"))
        split = bool(transcript.get("tracks"))  # words of a split recording keep their own track's speakers, overlaps included
        turns = formats.turns_of(formats.read_rttm(paths.rttm if split else paths.exclusive_rttm))
        words = [w for s in transcript["segments"] for w in s["words"]]
        monitor.baseline("Alignment Tensors")
        if split:
            tensors, speakers = align.track_speakers(transcript["segments"], turns, monitor.device)
        else:
            tensors = align.speaker_tensors(words, turns, monitor.device) if words and turns else {}
            speakers = align.labels_for(tensors["chosen"], turns) if tensors else [align.UNKNOWN] * len(words)
        before = monitor.checkpoint("Before Alignment Tensors Cleanup")
        del tensors
        free_memory(monitor.backend)
        monitor.verify_cleanup("Alignment Tensors", before, monitor.checkpoint("After Alignment Tensors Cleanup"))
        result = align.aligned_transcript(transcript, align.split_by_speaker(transcript["segments"], speakers), in_time_order=split)
        write_json(paths.aligned, result)
        formats.write_subtitles(result["segments"], paths.root, paths.sample)
        details.update(words=len(words), turns=len(turns), speakers=result["speakers"])
        monitor.checkpoint("After Speaker Alignment (post-cleanup)")
    return result


def run_final(paths: SamplePaths, monitor: MemoryMonitor) -> None:
    """Final cleanup: collect garbage, empty the caches, and measure what the process still holds.

    That floor is kept per process (``monitor.floors``, and the log's `process` and `file_in_process`),
    so creep across the files of one process can be told (vramscribe.creep).
    """
    details: dict[str, Any] = {}
    with stage_log(monitor, paths, "final", details):
        monitor.checkpoint("Before Final Cleanup")
        free_memory(monitor.backend, everything=True)
        monitor.floors.append(monitor.checkpoint("After Final Cleanup").value)
        details.update(process=process_id(), file_in_process=len(monitor.floors))


def run_sample(source: str | os.PathLike, paths: SamplePaths, settings: Settings, monitor: MemoryMonitor) -> dict:
    """All five stages of one sample in this process (the API and the workflow's batch mode)."""
    run_preprocess(source, paths, monitor, settings.channels)
    run_transcribe(paths, settings, monitor)
    run_diarize(paths, settings, monitor)
    result = run_align(paths, monitor)
    run_final(paths, monitor)
    return result


def run_batch(sources: dict[str, str], results: str, settings: Settings, monitor: MemoryMonitor, status_path) -> dict:
    """Run several samples in one process; a bad file is recorded and the others still run.

    Samples whose final memory log already exists are skipped, so a re-run resumes inside a batch.
    """
    status = {}
    for sample, source in sources.items():
        paths = SamplePaths.under(results, sample)
        if paths.memory("final").exists() and paths.aligned.exists():
            status[sample] = "done earlier"
            continue
        try:
            run_sample(source, paths, settings, monitor)
            status[sample] = "ok"
        except VramscribeError as error:
            print(error, flush=True)
            status[sample] = str(error)
    write_json(status_path, status)
    return status
