"""Run settings shared by the workflow, the API and the CLI, resolved once per process."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from .errors import VramscribeError
from .models import smaller_model


@dataclass(frozen=True)
class Settings:
    """What a run uses; `from_config` reads the workflow's config dict."""

    device: str = "auto"
    whisper_model: str = "tiny.en"
    compute_type: str = "auto"
    batch_size: int = 1
    language: str | None = None
    beam_size: int = 5
    diarization_pipeline: str = "embedded"
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    token_file: str | None = None
    channels: str = "auto"
    attempt: int = 1

    @classmethod
    def from_config(cls, config: dict[str, Any], attempt: int = 1) -> "Settings":
        whisper, diarization = config.get("whisper", {}), config.get("diarization", {})
        return cls(
            device=config.get("device", "auto"),
            whisper_model=str(whisper.get("model", "tiny.en")),
            compute_type=whisper.get("compute_type", "auto"),
            batch_size=int(whisper.get("batch_size", 1)),
            language=whisper.get("language"),
            beam_size=int(whisper.get("beam_size", 5)),
            diarization_pipeline=str(diarization.get("pipeline", "embedded")),
            num_speakers=diarization.get("num_speakers"),
            min_speakers=diarization.get("min_speakers"),
            max_speakers=diarization.get("max_speakers"),
            token_file=diarization.get("token_file"),
            channels=config.get("channels", "auto"),
        ).for_attempt(attempt)

    def for_attempt(self, attempt: int) -> "Settings":
        """The out-of-memory ladder: attempt 2 halves the batch and quantises, attempt 3+ a smaller model too."""
        settings = replace(self, attempt=attempt)
        if attempt >= 2:
            settings = replace(settings, batch_size=max(1, self.batch_size // 2), compute_type="int8")
        for _ in range(max(0, attempt - 2)):
            settings = replace(settings, whisper_model=smaller_model(settings.whisper_model))
        return settings

    def check(self) -> None:
        """Reject inconsistent values with one actionable line."""
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise VramscribeError("config", f"bad device {self.device!r}", "use auto, cpu, cuda or cuda:N")
        if self.channels not in ("auto", "mix", "split"):
            raise VramscribeError("config", f"bad channels {self.channels!r}", "use auto, mix or split")
        counts = {k: getattr(self, k) for k in ("num_speakers", "min_speakers", "max_speakers")}
        for key, value in counts.items():
            if value is not None and value < 1:
                raise VramscribeError("config", f"diarization.{key} must be at least 1, got {value}", "fix the value")
        low, high = self.min_speakers, self.max_speakers
        if low is not None and high is not None and low > high:
            raise VramscribeError("config", f"min_speakers {low} > max_speakers {high}", "swap or fix them")
        if self.num_speakers is not None and (low or high):
            raise VramscribeError("config", "num_speakers given with min/max_speakers", "give one or the other")

    def as_dict(self) -> dict[str, Any]:
        """Settings for logs and reports (holds no secret: the token is never part of it)."""
        return asdict(self)


def gpu_visible() -> bool:
    """Whether CUDA can use a GPU. Without an NVIDIA driver the answer comes from NVML, so a CPU
    machine does not import torch for it (~1 s and ~500 MB of RSS in a transcribe job)."""
    import pynvml

    if os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1"):
        return False
    try:
        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        pynvml.nvmlShutdown()
    except pynvml.NVMLError:
        return False
    if not count:
        return False
    import torch

    return torch.cuda.is_available()


def resolve_device(requested: str) -> str:
    """auto -> cuda:0 when a GPU is visible, else cpu; cuda without a GPU is an error."""
    if requested == "cpu":
        return "cpu"
    if gpu_visible():
        return "cuda:0" if requested in ("auto", "cuda") else requested
    if requested == "auto":
        return "cpu"
    raise VramscribeError("config", f"device {requested} requested but no CUDA GPU is visible", "use device: auto or cpu")


def coerce_strings(config: dict[str, Any], schema: dict[str, Any]) -> None:
    """Turn `--config` strings ("true", "3" inside `whisper={beam_size: 3}`) into the schema's booleans and integers."""
    for key, spec in schema.get("properties", {}).items():
        value, types = config.get(key), spec.get("type")
        if isinstance(value, dict):
            coerce_strings(value, spec)
        elif isinstance(value, str):
            types = types if isinstance(types, list) else [types]
            if "boolean" in types and value.lower() in ("true", "false"):
                config[key] = value.lower() == "true"
            elif "integer" in types and re.fullmatch(r"-?\d+", value):
                config[key] = int(value)
            elif "null" in types and value.lower() in ("null", "none"):
                config[key] = None


def config_problems(config: dict[str, Any], schema_path: str) -> list[str]:
    """One line per schema violation, e.g. `device: 'gpu' does not match ...`; command-line strings are coerced first."""
    import jsonschema
    import yaml

    with open(schema_path, encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    coerce_strings(config, schema)
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(map(str, e.absolute_path)) or 'config'}: {e.message}"
        for e in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    ]
