"""Give each word the speaker of the diarization turn it overlaps most, and split segments at speaker changes.

The word x turn overlap is computed as tensors on the run's device, so the stage's memory is real
and its cleanup is measured like the models'.
"""

from __future__ import annotations

from typing import Any

import torch

UNKNOWN = "UNKNOWN"
GAP_TOLERANCE = 1.0  # seconds: a word in a gap takes the nearest turn within this distance
WORD_CHUNK = 4096  # words per word x turn matrix


def word_speakers(words: list[dict], turns: list[tuple[float, float, str]], device: str = "cpu") -> list[str]:
    """Speaker per word: most-overlapping exclusive turn; in a gap the nearest turn within 1 s, else UNKNOWN."""
    if not words or not turns:
        return [UNKNOWN] * len(words)
    return labels_for(speaker_tensors(words, turns, device)["chosen"], turns)


def labels_for(chosen: torch.Tensor, turns: list[tuple[float, float, str]]) -> list[str]:
    """Turn indices (-1 = none) to speaker labels."""
    return [turns[i][2] if i >= 0 else UNKNOWN for i in chosen.tolist()]


def speaker_tensors(
    words: list[dict], turns: list[tuple[float, float, str]], device: str, chunk: int = WORD_CHUNK
) -> dict[str, torch.Tensor]:
    """Word and turn bounds and the chosen turn per word (-1 = none), all on ``device``.

    The word x turn matrices are built ``chunk`` words at a time, so memory stays bounded on long files.
    """
    w = torch.tensor([[x["start"], x["end"]] for x in words], dtype=torch.float64, device=device)
    t = torch.tensor([[s, e] for s, e, _ in turns], dtype=torch.float64, device=device)
    chosen = torch.cat([_choose(w[i : i + chunk], t) for i in range(0, len(w), chunk)])
    return {"words": w, "turns": t, "chosen": chosen}


def _choose(w: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    ws, we = w[:, :1], w[:, 1:]
    ts, te = t[:, 0][None, :], t[:, 1][None, :]
    overlap = (torch.minimum(we, te) - torch.maximum(ws, ts)).clamp(min=0)
    distance = torch.maximum(ts - we, ws - te).clamp(min=0)
    best_overlap, by_overlap = overlap.max(dim=1)
    nearest, by_distance = distance.min(dim=1)
    chosen = torch.where(best_overlap > 0, by_overlap, by_distance)
    missing = (best_overlap <= 0) & (nearest > GAP_TOLERANCE)
    return torch.where(missing, torch.full_like(chosen, -1), chosen)


def track_speakers(segments: list[dict], turns: list[tuple[float, float, str]], device: str) -> tuple[dict, list[str]]:
    """(tensors per track, speaker per word) for a split recording: each word chooses among the turns of its
    segment's ``track`` only (CHn, CHn_SPEAKER_xx), and is that track's talker where none is near."""
    from .channels import track_label, track_of

    tracks = [s["track"] - 1 for s in segments for _ in s["words"]]
    words = [w for s in segments for w in s["words"]]
    speakers = [track_label(t) for t in tracks]
    tensors = {}
    for track in sorted(set(tracks)):
        own = [t for t in turns if track_of(t[2]) == track]
        index = [i for i, t in enumerate(tracks) if t == track]
        if not own:
            continue
        tensors[track] = speaker_tensors([words[i] for i in index], own, device)
        for i, label in zip(index, labels_for(tensors[track]["chosen"], own)):
            speakers[i] = track_label(track) if label == UNKNOWN else label
    return tensors, speakers


def split_by_speaker(segments: list[dict], speakers: list[str]) -> list[dict]:
    """Segments with a ``speaker``, split wherever consecutive words change speaker."""
    out: list[dict] = []
    index = 0
    for segment in segments:
        words = [dict(w, speaker=s) for w, s in zip(segment["words"], speakers[index : index + len(segment["words"])])]
        index += len(words)
        if not words:
            out.append({**segment, "speaker": UNKNOWN, "words": []})
            continue
        run: list[dict] = [words[0]]
        for word in words[1:]:
            if word["speaker"] != run[-1]["speaker"]:
                out.append(_segment_of(run))
                run = []
            run.append(word)
        out.append(_segment_of(run))
    return out


def _segment_of(words: list[dict]) -> dict[str, Any]:
    return {
        "start": words[0]["start"],
        "end": words[-1]["end"],
        "speaker": words[0]["speaker"],
        "text": " ".join(w["text"] for w in words).strip(),
        "words": words,
    }


def aligned_transcript(transcript: dict, segments: list[dict], in_time_order: bool = False) -> dict[str, Any]:
    """The aligned.json document: the transcript's metadata, speaker segments and a flat word list
    (sorted by start with ``in_time_order``, for the overlapping segments of split tracks)."""
    words = [w for s in segments for w in s["words"]]
    if in_time_order:
        words.sort(key=lambda w: w["start"])
    return {
        "language": transcript.get("language"),
        "duration": transcript.get("duration"),
        "model": transcript.get("model"),
        "speakers": sorted({w["speaker"] for w in words} - {UNKNOWN}),
        "segments": segments,
        "words": words,
    }
