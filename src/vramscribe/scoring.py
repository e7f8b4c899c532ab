"""Accuracy measures: WER on normalised text, and the share of words given the right speaker."""

from __future__ import annotations

import re
import unicodedata

import jiwer
import numpy as np
from scipy.optimize import linear_sum_assignment

from .formats import turns_of
from pyannote.core import Annotation


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


def word_speaker_accuracy(words: list[dict], reference: Annotation) -> float:
    """Share of words (with a reference speaker at their midpoint) whose label maps to that speaker.

    Hypothesis labels are mapped one-to-one onto reference labels to maximise agreement.
    """
    pairs = [(w["speaker"], speaker_at(reference, (w["start"] + w["end"]) / 2)) for w in words]
    pairs = [(h, r) for h, r in pairs if r is not None]
    if not pairs:
        return 0.0
    hyps = sorted({h for h, _ in pairs})
    refs = sorted({r for _, r in pairs})
    counts = np.zeros((len(hyps), len(refs)))
    for h, r in pairs:
        counts[hyps.index(h), refs.index(r)] += 1
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / len(pairs))
