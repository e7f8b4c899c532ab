"""Accuracy measures: WER on normalised text, DER, speaker-attributed WER, and words given the right speaker."""

from __future__ import annotations

import re
import unicodedata

import jiwer
import numpy as np
from pyannote.core import Annotation, Segment, Timeline
from scipy.optimize import linear_sum_assignment

from .formats import turns_of


def normalise_text(text: str) -> str:
    """Lower case, punctuation dropped (apostrophes inside words kept), single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
    return " ".join(text.split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of ``hypothesis`` against ``reference`` after normalisation."""
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp or "<empty>"))


def speaker_at(annotation: Annotation, time: float) -> str | None:
    """The reference speaker talking at ``time`` (the longest turn covering it), or None."""
    covering = [(end - start, who) for start, end, who in turns_of(annotation) if start <= time <= end]
    return max(covering)[1] if covering else None


def speakers_at(annotation: Annotation, time: float) -> set[str]:
    """Every reference speaker talking at ``time``."""
    return {who for start, end, who in turns_of(annotation) if start <= time <= end}


def word_speaker_accuracy(words: list[dict], reference: Annotation, any_overlapping: bool = False) -> float:
    """Share of words (with a reference speaker at their midpoint) whose label maps to that speaker.

    Hypothesis labels are mapped one-to-one onto reference labels to maximise agreement. In
    overlapped speech the speaker is the one of the longest turn, or with ``any_overlapping`` any of
    those talking (a split recording gives each talker in an overlap their own words).
    """
    middles = [(w["speaker"], (w["start"] + w["end"]) / 2) for w in words]
    pairs = [(h, speaker_at(reference, t), speakers_at(reference, t)) for h, t in middles]
    pairs = [(h, r, talking) for h, r, talking in pairs if r is not None]
    if not pairs:
        return 0.0
    hyps = sorted({h for h, _, _ in pairs})
    refs = sorted({r for _, r, _ in pairs})
    counts = np.zeros((len(hyps), len(refs)))
    for h, r, _ in pairs:
        counts[hyps.index(h), refs.index(r)] += 1
    rows, cols = linear_sum_assignment(-counts)
    mapping = {hyps[row]: refs[col] for row, col in zip(rows, cols)}
    right = sum((mapping.get(h) in talking) if any_overlapping else mapping.get(h) == r for h, r, talking in pairs)
    return float(right / len(pairs))


def diarization_error_rate(reference: Annotation, hypothesis: Annotation, uem: Timeline | None = None, collar: float = 0.0) -> float:
    """DER (pyannote.metrics, overlap scored) within ``uem``, by default the reference's extent.

    ``collar`` is forgiven on each side of every reference boundary, as NIST md-eval's ``-c``
    (pyannote.metrics' own collar is the total width, so it gets twice the value).
    """
    from pyannote.metrics.diarization import DiarizationErrorRate

    uem = uem or Timeline([reference.get_timeline().extent()])
    return float(DiarizationErrorRate(collar=2 * collar, skip_overlap=False)(reference, hypothesis, uem=uem))


def word_edits(reference: str, hypothesis: str) -> int:
    """Substitutions + deletions + insertions between two normalised texts."""
    if not reference or not hypothesis:
        return len(reference.split()) + len(hypothesis.split())
    out = jiwer.process_words(reference, hypothesis)
    return out.substitutions + out.deletions + out.insertions


def speaker_attributed_wer(reference: list[tuple[float, float, str, str]], hypothesis: Annotation, words: list[dict]) -> float:
    """cpWER-style WER of words given speakers, against (start, end, speaker, text) reference turns.

    Hypothesis speakers are mapped one-to-one onto reference speakers maximising overlap time
    (Hungarian). Each reference speaker's words (its turns in time order) are compared with the words
    of the hypothesis speaker mapped to it; words of unmapped speakers are insertions.
    SA-WER = the sum of the per-speaker edits / the number of reference words.
    """
    turns = Annotation()
    for index, (start, end, speaker, _) in enumerate(reference):
        turns[Segment(start, end), index] = speaker
    hyps, refs = hypothesis.labels(), turns.labels()
    overlap = hypothesis * turns
    rows, cols = linear_sum_assignment(-overlap)
    mapping = {hyps[r]: refs[c] for r, c in zip(rows, cols) if overlap[r, c] > 0}
    texts = {speaker: ([], []) for speaker in refs}
    for _, _, speaker, text in sorted(reference):
        texts[speaker][0].append(text)
    edits = 0
    for word in sorted(words, key=lambda w: w["start"]):
        if word["speaker"] in mapping:
            texts[mapping[word["speaker"]]][1].append(word["text"])
        else:
            edits += len(normalise_text(word["text"]).split())
    total = 0
    for ref, hyp in texts.values():
        ref, hyp = normalise_text(" ".join(ref)), normalise_text(" ".join(hyp))
        edits += word_edits(ref, hyp)
        total += len(ref.split())
    return edits / total if total else float(edits > 0)
