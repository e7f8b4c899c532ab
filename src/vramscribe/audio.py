"""Decode any container ffmpeg reads to 16 kHz 16-bit PCM WAV, the format every stage reads: mono, or one
channel per talker when a multi-track recording is split (vramscribe.channels)."""

from __future__ import annotations

import os
from pathlib import Path

import ffmpeg
import numpy as np
import soundfile

from .atomic import atomic_path
from .errors import VramscribeError

SAMPLE_RATE = 16000
AUDIO_EXTENSIONS = ("wav", "flac", "mp3", "m4a", "ogg", "opus", "mp4", "mkv", "webm")


def probe_audio(path: str | os.PathLike) -> dict:
    """The first audio stream of ``path``, or a VramscribeError saying why there is none."""
    source = Path(path)
    if source.is_symlink() and not source.exists():
        raise VramscribeError(
            source, f"symbolic link to a missing file ({os.readlink(source)})", "restore the recording or remove the link"
        )
    if not os.access(source, os.R_OK):
        if not source.exists():
            raise VramscribeError(source, "file not found", "check the path or the sample sheet")
        raise VramscribeError(source, "file is not readable", "fix its permissions (chmod a+r)")
    if file_state(source)[0] == 0:
        raise VramscribeError(source, "file is empty (0 bytes)", "re-copy or re-export the recording")
    try:
        info = ffmpeg.probe(str(source))
    except ffmpeg.Error as exc:
        reason = _last_line(exc.stderr) or "ffprobe could not read it"
        raise VramscribeError(
            source, f"not a readable audio/video file ({reason})", "re-export it as WAV, FLAC or MP3"
        ) from None
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise VramscribeError(source, "has no audio stream", "pass a file that contains audio")
    return streams[0]


def file_state(source: Path) -> tuple[int, int]:
    """(size, modification time) of ``source``; a file gone since it was found is a VramscribeError."""
    try:
        info = source.stat()
    except FileNotFoundError:
        raise VramscribeError(source, "file vanished while it was being read", "check what moves or deletes files in input_dir, then re-run") from None
    return info.st_size, info.st_mtime_ns


def _last_line(stderr: bytes | None) -> str:
    lines = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip() if lines else ""


def preprocess(source: str | os.PathLike, wav: str | os.PathLike, channels: str = "auto") -> dict:
    """Convert ``source`` to 16 kHz PCM WAV at ``wav`` (atomically); return facts about it.

    The WAV is mono (the channels mixed), or with ``channels`` split (or auto, deciding split) one
    channel per track, each with the other tracks' leakage muted (vramscribe.channels).
    """
    from . import channels as tracks_of

    stream = probe_audio(source)
    state = file_state(Path(source))
    count = int(stream.get("channels") or 0)
    decision = {"requested": channels, "channels": count, "decision": "mix", "reason": "asked" if channels == "mix" else "one channel"}
    if channels != "mix" and count > 1:
        tracks = decode_tracks(source, count)
        decision = tracks_of.decide(tracks, channels)
    if decision["decision"] == "split":
        kept, mask = tracks_of.own_speech(tracks)
        decision["kept_seconds"] = [round(float(row.sum() * tracks_of.FRAME / SAMPLE_RATE), 2) for row in mask]
        with atomic_path(wav) as tmp:
            soundfile.write(str(tmp), np.clip(kept, -1, 1).T, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    else:
        _ffmpeg_to_wav(source, wav, map="0:a:0", ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le", f="wav")
    if file_state(Path(source)) != state:
        Path(wav).unlink(missing_ok=True)
        raise VramscribeError(
            source, "file changed while it was being read (still being written?)",
            "wait until the copy or recording has finished, then re-run",
        )
    info = soundfile.info(str(wav))
    return {
        "source": str(source),
        "source_channels": count,
        "source_sample_rate": int(stream.get("sample_rate") or 0),
        "source_codec": stream.get("codec_name"),
        "duration": info.frames / info.samplerate,
        "sample_rate": info.samplerate,
        "channels": decision,
    }


def _ffmpeg_to_wav(source: str | os.PathLike, wav: str | os.PathLike, **options) -> None:
    with atomic_path(wav) as tmp:
        _run_ffmpeg(source, str(tmp), **options)


def _run_ffmpeg(source: str | os.PathLike, target: str, **options) -> bytes:
    try:
        out, _ = (
            ffmpeg.input(str(Path(source).resolve()))
            .output(target, **options)
            .overwrite_output()
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        raise VramscribeError(
            source, f"ffmpeg failed to decode it ({_last_line(exc.stderr)})",
            "check that the file plays; re-export it as WAV",
        ) from None
    return out


def decode_tracks(source: str | os.PathLike, count: int) -> np.ndarray:
    """(channels, samples) float32 at 16 kHz, every channel of the first audio stream kept."""
    raw = _run_ffmpeg(source, "pipe:", map="0:a:0", ac=count, ar=SAMPLE_RATE, acodec="pcm_f32le", f="f32le")
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, count).T.copy()


def load_wav(wav: str | os.PathLike) -> np.ndarray:
    """Read a preprocessed mono WAV as float32 samples in [-1, 1]."""
    samples = load_tracks(wav)
    if len(samples) != 1:
        raise VramscribeError(wav, f"expected mono, got {len(samples)} channels", "use load_tracks for split tracks")
    return samples[0]


def load_tracks(wav: str | os.PathLike) -> np.ndarray:
    """Read a preprocessed WAV as (channels, samples) float32 in [-1, 1]; one row when mono."""
    samples, rate = soundfile.read(str(wav), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise VramscribeError(wav, f"expected 16 kHz, got {rate} Hz", "run the preprocess stage first")
    return np.ascontiguousarray(samples.T)
