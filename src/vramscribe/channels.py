"""Multi-track recordings: decide from the signal whether to mix the channels or keep one track per
channel, and mute in each track what leaks in from the others.

Levels are compared per 20 ms frame (power smoothed over 0.1 s). A frame is *owned* by a track that
is at least OWN_MARGIN_DB louder than every other; copies and near-copies own almost nothing, one
talker per channel owns most of the speech. Within a split track, a frame keeps its signal while the
track is clearly above the leakage the other tracks' talkers put into it (its own talker, alone or
overlapping another), and is muted where it only carries leakage (typically -15 to -25 dB,
measured per pair of tracks on the frames one of them owns).
"""

from __future__ import annotations

import numpy as np

from .audio import SAMPLE_RATE

MAX_TRACKS = 8
FRAME = SAMPLE_RATE // 50  # 20 ms
SMOOTH_FRAMES = 5  # 0.1 s of power averaging
OWN_MARGIN_DB = 6.0  # a frame belongs to a track this much louder than all others
MIN_LEAK_DB = 15.0  # leakage is assumed at least this much weaker than the talker it comes from
LEAK_MARGIN_DB = 6.0  # a track less than this above another track's expected leakage only carries leakage
ACTIVE_DB = 10.0  # a frame is active when some track is this far above its own noise floor
VOICED_DB = 6.0  # a track's frame is heard when this far above the track's noise floor
MIN_OWN_SHARE = 0.05  # split needs two tracks each owning this share of the active frames
MAX_CORRELATION = 0.9  # tracks correlating above this are copies: mix
FILL_GAP_S = 0.1  # muted gaps shorter than this inside a track's speech are kept
PAD_S = 0.04  # kept regions are widened by this on each side


def frame_levels(tracks: np.ndarray, smooth: int = SMOOTH_FRAMES) -> np.ndarray:
    """(tracks, frames) level in dB of 20 ms frames, power averaged over ``smooth`` frames (0.1 s)."""
    frames = tracks.shape[1] // FRAME
    kernel = np.ones(smooth) / smooth
    levels = np.empty((len(tracks), frames))
    for row, samples in zip(levels, tracks):
        blocks = samples[: frames * FRAME].reshape(frames, FRAME)
        power = np.einsum("ij,ij->i", blocks, blocks, dtype=np.float64) / FRAME  # no squared copy of the track
        row[:] = 10 * np.log10(np.convolve(power, kernel, mode="same") + 1e-12)
    return levels


def correlations(tracks: np.ndarray) -> np.ndarray:
    """(tracks, tracks) Pearson correlation of the samples; a silent track correlates 0 with all."""
    centred = tracks - tracks.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1)
    scale = np.where(norms > 0, norms, np.inf)
    return (centred @ centred.T) / np.outer(scale, scale)


def decide(tracks: np.ndarray, requested: str = "auto") -> dict:
    """Mix or split ``tracks`` (channels, samples), with the figures the choice rests on."""
    count = len(tracks)
    figures = {"requested": requested, "channels": count}
    if count < 2 or count > MAX_TRACKS or requested == "mix" or tracks.shape[1] < FRAME * SMOOTH_FRAMES:
        reason = "asked" if requested == "mix" else (
            "one channel" if count < 2 else f"more than {MAX_TRACKS} channels" if count > MAX_TRACKS else "too short to split")
        return {**figures, "decision": "mix", "reason": reason}
    levels = frame_levels(tracks)
    floors = np.percentile(levels, 10, axis=1, keepdims=True)
    active = (levels - floors).max(axis=0) > ACTIVE_DB
    ordered = np.sort(levels, axis=0)
    owned = (ordered[-1] - ordered[-2] >= OWN_MARGIN_DB) & active
    loudest = levels.argmax(axis=0)
    shares = [float((owned & (loudest == k)).sum() / max(active.sum(), 1)) for k in range(count)]
    owners = [k for k, share in enumerate(shares) if share >= MIN_OWN_SHARE]
    corr = correlations(tracks)
    between = [abs(corr[i, j]) for i in owners for j in owners if i < j]
    figures.update(
        active_seconds=round(float(active.sum() * FRAME / SAMPLE_RATE), 2),
        own_share=[round(s, 3) for s in shares],
        max_correlation=round(float(max(abs(corr[i, j]) for i in range(count) for j in range(i + 1, count))), 3),
    )
    if requested == "split":
        return {**figures, "decision": "split", "reason": "asked"}
    if len(owners) < 2:
        return {**figures, "decision": "mix", "reason": f"fewer than two channels own {MIN_OWN_SHARE:.0%} of the speech (copies, or one talker)"}
    if max(between) > MAX_CORRELATION:
        return {**figures, "decision": "mix", "reason": f"channels correlate above {MAX_CORRELATION} (copies)"}
    return {**figures, "decision": "split", "reason": "different talkers dominate different channels"}


def leak_attenuation(levels: np.ndarray) -> np.ndarray:
    """(tracks, tracks) dB by which track i's talker is weaker in track j: the median level difference
    over the frames track i owns (OWN_MARGIN_DB louder than the rest, ACTIVE_DB above its floor), at
    least MIN_LEAK_DB: where both talk all the time, the difference is their loudness, not leakage."""
    floors = np.percentile(levels, 10, axis=1)
    ordered = np.sort(levels, axis=0)
    owned = ordered[-1] - ordered[-2] >= OWN_MARGIN_DB
    loudest = levels.argmax(axis=0)
    out = np.full((len(levels), len(levels)), np.inf)
    for i in range(len(levels)):
        frames = owned & (loudest == i) & (levels[i] > floors[i] + ACTIVE_DB)
        for j in range(len(levels)):
            if j != i and frames.any():
                out[i, j] = max(float(np.median(levels[i, frames] - levels[j, frames])), MIN_LEAK_DB)
    return out


def own_speech(tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(tracks with the other tracks' leakage muted, (tracks, frames) mask of what was kept).

    A frame of track j is kept unless it is within LEAK_MARGIN_DB of what another track's talker
    leaks into it there (that track's level minus their measured attenuation).
    """
    levels = frame_levels(tracks)
    attenuation = leak_attenuation(levels)
    keep = np.ones(levels.shape, dtype=bool)
    for j in range(len(levels)):
        for i in range(len(levels)):
            if i != j:
                keep[j] &= levels[j] >= levels[i] - attenuation[i, j] + LEAK_MARGIN_DB
    keep = np.stack([_widen(_fill_gaps(row, round(FILL_GAP_S * 50)), round(PAD_S * 50)) for row in keep])
    muted = tracks.copy()
    frames = keep.shape[1]
    for row, kept in zip(muted, keep):
        row[: frames * FRAME].reshape(frames, FRAME)[~kept] = 0.0
        if frames and not kept[-1]:
            row[frames * FRAME:] = 0.0  # the last partial frame follows the last whole one
    return muted, keep


def voiced(tracks: np.ndarray, pause_s: float) -> np.ndarray:
    """(tracks, frames): 20 ms frames VOICED_DB above the track's noise floor (muted frames never), pauses < ``pause_s`` bridged."""
    levels = frame_levels(tracks, smooth=1)
    out = []
    for row in levels:
        heard = row > -100  # muted frames read -120 dB
        floor = np.percentile(row[heard], 10) if heard.any() else 0.0
        out.append(_fill_gaps(heard & (row > floor + VOICED_DB), round(pause_s * 50)))
    return np.stack(out)


def _fill_gaps(row: np.ndarray, frames: int) -> np.ndarray:
    """Set runs of False shorter than ``frames`` between two True runs."""
    out = row.copy()
    for start, end in runs(~row):
        if start > 0 and end < len(row) and end - start < frames:
            out[start:end] = True
    return out


def _widen(row: np.ndarray, frames: int) -> np.ndarray:
    """Grow every True run by ``frames`` on each side."""
    if frames <= 0 or not row.any():
        return row
    return np.convolve(row.astype(float), np.ones(2 * frames + 1), mode="same") > 0


def runs(row: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs of a boolean array."""
    edges = np.diff(np.concatenate([[0], row.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def track_label(track: int, speaker: str | None = None) -> str:
    """CH1, CH2, ... or CH1_SPEAKER_00 when a track is diarized further (tracks count from 0 here)."""
    return f"CH{track + 1}" + (f"_{speaker}" if speaker else "")


def track_of(label: str) -> int | None:
    """The track (from 0) a CHn label names, or None for an ordinary speaker label."""
    head = label.split("_")[0]
    return int(head[2:]) - 1 if head.startswith("CH") and head[2:].isdigit() else None
