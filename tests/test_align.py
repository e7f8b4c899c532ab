"""Word -> speaker assignment and segment splitting (pure logic, exact expectations)."""

from vramscribe.align import UNKNOWN, aligned_transcript, split_by_speaker, word_speakers


def word(start, end, text="w"):
    return {"start": start, "end": end, "text": text, "probability": 0.9}


TURNS = [(0.0, 2.0, "A"), (2.0, 4.0, "B"), (6.0, 8.0, "A")]


def test_word_takes_the_turn_it_overlaps_most():
    words = [word(0.5, 1.0), word(1.8, 2.5), word(1.5, 2.1), word(3.0, 3.5)]
    assert word_speakers(words, TURNS) == ["A", "B", "A", "B"]


def test_word_in_gap_takes_nearest_turn_within_one_second_else_unknown():
    words = [word(4.3, 4.6), word(5.2, 5.8), word(4.9, 5.1), word(9.5, 9.9)]
    # 4.3 is 0.3 s after B; 5.8 is 0.2 s before A; 4.9-5.1 is 0.9 s from both B (ends 4.0) and A (starts 6.0)
    speakers = word_speakers(words, TURNS)
    assert speakers[:2] == ["B", "A"]
    assert speakers[2] in ("A", "B")
    assert speakers[3] == UNKNOWN  # 1.5 s after the last turn


def test_no_turns_means_unknown_and_no_words_means_nothing():
    assert word_speakers([word(0, 1)], []) == [UNKNOWN]
    assert word_speakers([], TURNS) == []


def test_segments_split_where_speaker_changes():
    segments = [
        {"start": 0.0, "end": 3.5, "text": "hello there how are", "words": [word(0.1, 0.5, "hello"), word(0.6, 1.0, "there"), word(2.2, 2.6, "how"), word(2.7, 3.0, "are")]},
        {"start": 6.1, "end": 6.9, "text": "fine", "words": [word(6.1, 6.9, "fine")]},
    ]
    speakers = word_speakers([w for s in segments for w in s["words"]], TURNS)
    out = split_by_speaker(segments, speakers)
    assert [(s["speaker"], s["text"], s["start"], s["end"]) for s in out] == [
        ("A", "hello there", 0.1, 1.0),
        ("B", "how are", 2.2, 3.0),
        ("A", "fine", 6.1, 6.9),
    ]
    doc = aligned_transcript({"language": "en", "duration": 9.0, "model": "tiny.en"}, out)
    assert doc["speakers"] == ["A", "B"]
    assert [w["speaker"] for w in doc["words"]] == ["A", "A", "B", "B", "A"]


def test_alignment_runs_on_the_tensor_device_and_matches_many_words():
    words = [word(i * 0.5, i * 0.5 + 0.4) for i in range(16)]
    # 4.0-4.4 touches B's end, 4.5-4.9 is 0.5 s from B, 5.0-5.4 is 0.6 s from A and 1.0 s from B
    assert word_speakers(words, TURNS, device="cpu") == ["A"] * 4 + ["B"] * 6 + ["A"] * 6


def test_chunked_assignment_equals_one_pass():
    import random

    from vramscribe.align import labels_for, speaker_tensors

    rng = random.Random(3)
    words = sorted((word(t, t + rng.uniform(0.1, 0.6)) for t in (rng.uniform(0, 100) for _ in range(500))), key=lambda w: w["start"])
    turns = [(i * 5.0, i * 5.0 + rng.uniform(2, 5), "AB"[i % 2]) for i in range(20)]
    whole = labels_for(speaker_tensors(words, turns, "cpu", chunk=10_000)["chosen"], turns)
    assert labels_for(speaker_tensors(words, turns, "cpu", chunk=7)["chosen"], turns) == whole
    assert UNKNOWN in whole and {"A", "B"} <= set(whole)
