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
