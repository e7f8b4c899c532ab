"""Output formats: exact text of SRT, WebVTT, TXT and TSV, and an RTTM round trip through pyannote.core."""

from pyannote.core import Annotation, Segment

from vramscribe.formats import read_rttm, rttm_uri, timestamp, to_srt, to_tsv, to_txt, to_vtt, turns_of, write_rttm, write_subtitles

SEGMENTS = [
    {"start": 0.0, "end": 1.5, "speaker": "SPEAKER_00", "text": "Hello there."},
    {"start": 1.5, "end": 2.25, "speaker": "SPEAKER_00", "text": "How are you?"},
    {"start": 3661.004, "end": 3662.0, "speaker": "SPEAKER_01", "text": "Fine,\tthanks"},
]


def test_timestamps():
    assert timestamp(3661.004) == "01:01:01,004"
    assert timestamp(1.9996, ".") == "00:00:02.000"
    assert timestamp(-1) == "00:00:00,000"


def test_srt():
    assert to_srt(SEGMENTS[:1]) == "1\n00:00:00,000 --> 00:00:01,500\n[SPEAKER_00] Hello there.\n"
    assert to_srt(SEGMENTS).count("-->") == 3 and "\n3\n01:01:01,004 --> 01:01:02,000\n" in to_srt(SEGMENTS)


def test_vtt():
    text = to_vtt(SEGMENTS)
    assert text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n<v SPEAKER_00>Hello there.\n")
    assert "01:01:01.004 --> 01:01:02.000\n<v SPEAKER_01>Fine,\tthanks\n" in text


def test_txt_merges_consecutive_segments_of_a_speaker():
    assert to_txt(SEGMENTS) == "SPEAKER_00: Hello there. How are you?\nSPEAKER_01: Fine,\tthanks\n"


def test_tsv_is_one_row_per_segment_without_tabs_in_text():
    rows = to_tsv(SEGMENTS).splitlines()
    assert rows[0] == "start\tend\tspeaker\ttext"
    assert rows[3] == "3661.004\t3662.000\tSPEAKER_01\tFine, thanks"
    assert all(len(r.split("\t")) == 4 for r in rows)


def test_rttm_round_trip(tmp_path):
    annotation = Annotation(uri=rttm_uri("my file"))
    annotation[Segment(0.5, 2.0)] = "A"
    annotation[Segment(2.5, 4.25)] = "B"
    path = tmp_path / "x.rttm"
    write_rttm(annotation, path)
    assert path.read_text().splitlines()[0].split()[:5] == ["SPEAKER", "my_file", "1", "0.500", "1.500"]
    assert turns_of(read_rttm(path)) == [(0.5, 2.0, "A"), (2.5, 4.25, "B")]
    assert not list(tmp_path.glob(".*tmp*"))


def test_write_subtitles_writes_four_files(tmp_path):
    paths = write_subtitles(SEGMENTS, tmp_path, "talk")
    assert sorted(p.name for p in paths) == ["talk.srt", "talk.tsv", "talk.txt", "talk.vtt"]
    assert (tmp_path / "talk.txt").read_text().startswith("SPEAKER_00: Hello")
