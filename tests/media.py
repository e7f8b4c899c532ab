"""Make test media with the real ffmpeg (argument lists only, never a shell)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import EXAMPLE


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def speech_clip(path: Path, start: float = 0.0, seconds: float = 4.0, *extra: str) -> Path:
    """A slice of the example dialogue, re-encoded by the output file's extension and ``extra`` options."""
    ffmpeg("-ss", str(start), "-t", str(seconds), "-i", str(EXAMPLE / "dialogue.wav"), *extra, str(path))
    return path


def silence(path: Path, seconds: float = 3.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=16000:cl=mono", "-t", str(seconds), str(path))
    return path


def white_noise(path: Path, seconds: float = 4.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"anoisesrc=r=16000:a=0.3:seed=7:d={seconds}", str(path))
    return path


def video(path: Path, with_audio: bool) -> Path:
    """A 3 s test-pattern video, with the example's speech as its audio track or with no audio."""
    inputs = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3"]
    if with_audio:
        inputs += ["-i", str(EXAMPLE / "dialogue.wav"), "-shortest", "-c:a", "aac"]
    ffmpeg(*inputs, "-c:v", "mpeg4", str(path))
    return path


def image(path: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:duration=1", "-frames:v", "1", str(path))
    return path


def two_track_dialogue(path: Path, seconds: float = 11.0, leak: float = 0.1) -> Path:
    """The example dialogue as a two-track recording: ALICE's turns on channel 1, BOB's on channel 2,
    each leaking into the other track at ``leak`` (0.1 = -20 dB), from the example's reference RTTM."""
    import numpy as np
    import soundfile

    speech, rate = soundfile.read(str(EXAMPLE / "dialogue.wav"), dtype="float32")
    speech = speech[: int(seconds * rate)]
    own = {"ALICE": np.zeros_like(speech), "BOB": np.zeros_like(speech)}
    for line in (EXAMPLE / "dialogue.rttm").read_text().splitlines():
        fields = line.split()
        start, end = int(float(fields[3]) * rate), int((float(fields[3]) + float(fields[4])) * rate)
        own[fields[7]][start:end] = speech[start:end]
    tracks = np.stack([own["ALICE"] + leak * own["BOB"], own["BOB"] + leak * own["ALICE"]])
    tracks += np.random.default_rng(0).standard_normal(tracks.shape).astype(np.float32) * 0.001
    soundfile.write(str(path), tracks.T, rate, subtype="PCM_16")
    return path
