"""Decode any container ffmpeg reads to 16 kHz mono 16-bit PCM WAV, the format every stage reads."""

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


def preprocess(source: str | os.PathLike, wav: str | os.PathLike) -> dict:
    """Convert ``source`` to 16 kHz mono PCM WAV at ``wav`` (atomically); return facts about it."""
    stream = probe_audio(source)
    state = file_state(Path(source))
    with atomic_path(wav) as tmp:
        try:
            (
                ffmpeg.input(str(Path(source).resolve()))
                .output(str(tmp), map="0:a:0", ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le", f="wav")
                .overwrite_output()
                .run(capture_stdout=True, capture_stderr=True)
            )
        except ffmpeg.Error as exc:
            raise VramscribeError(
                source, f"ffmpeg failed to decode it ({_last_line(exc.stderr)})",
                "check that the file plays; re-export it as WAV",
            ) from None
        if file_state(Path(source)) != state:
            raise VramscribeError(
                source, "file changed while it was being read (still being written?)",
                "wait until the copy or recording has finished, then re-run",
            )
    info = soundfile.info(str(wav))
    return {
        "source": str(source),
        "source_channels": int(stream.get("channels") or 0),
        "source_sample_rate": int(stream.get("sample_rate") or 0),
        "source_codec": stream.get("codec_name"),
        "duration": info.frames / info.samplerate,
        "sample_rate": info.samplerate,
    }


def load_wav(wav: str | os.PathLike) -> np.ndarray:
    """Read a preprocessed WAV as float32 samples in [-1, 1]."""
    samples, rate = soundfile.read(str(wav), dtype="float32", always_2d=False)
    if rate != SAMPLE_RATE or samples.ndim != 1:
        raise VramscribeError(wav, f"expected 16 kHz mono, got {rate} Hz", "run the preprocess stage first")
    return samples
