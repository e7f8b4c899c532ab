"""The mix-or-split decision and the leakage muting, on signals built from the example's real speech."""

import numpy as np
import pytest
import soundfile

from conftest import EXAMPLE
from vramscribe import channels
from vramscribe.audio import SAMPLE_RATE

RATE = SAMPLE_RATE


@pytest.fixture(scope="module")
def talkers():
    """Two stretches of the example's speech, 4 s each, as the talkers of a two-track call."""
    speech, rate = soundfile.read(str(EXAMPLE / "dialogue.wav"), dtype="float32")
    assert rate == RATE
    return speech[:4 * RATE], speech[8 * RATE:12 * RATE]


def noise(samples: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(samples) * 0.001).astype(np.float32)


def call(talkers, leak: float = 0.0) -> np.ndarray:
    """Talker A 0-4 s on track 1, talker B 3-7 s on track 2 (1 s overlap), each leaking ``leak`` into the other."""
    a, b = np.zeros(7 * RATE, np.float32), np.zeros(7 * RATE, np.float32)
    a[:4 * RATE], b[3 * RATE:] = talkers
    return np.stack([a + leak * b + noise(len(a), 1), b + leak * a + noise(len(a), 2)])


def test_identical_channels_are_mixed(talkers):
    mono = call(talkers)[0]
    assert channels.decide(np.stack([mono, mono]))["decision"] == "mix"
    surround = channels.decide(np.stack([mono] * 6))
    assert surround["decision"] == "mix" and surround["channels"] == 6 and max(surround["own_share"]) < 0.05


def test_a_near_copy_is_mixed(talkers):
    mono = call(talkers)[0]
    spaced_pair = np.stack([mono, 0.7 * np.roll(mono, 16) + noise(len(mono), 3)])  # 1 ms later, 3 dB lower
    decision = channels.decide(spaced_pair)
    assert decision["decision"] == "mix", decision


def test_one_talker_per_channel_is_split_with_and_without_leakage(talkers):
    for leak in (0.0, 0.1, 0.18):  # none, -20 dB, -15 dB
        decision = channels.decide(call(talkers, leak))
        assert decision["decision"] == "split", (leak, decision)
        assert min(decision["own_share"]) > 0.2 and decision["max_correlation"] < 0.5


def test_three_talkers_on_three_tracks_are_split(talkers):
    a, b = talkers
    tracks = np.zeros((3, 9 * RATE), np.float32)
    for track, (start, speech) in enumerate([(0, a[:3 * RATE]), (3, b[:3 * RATE]), (6, a[RATE:])]):
        tracks[track, start * RATE:start * RATE + len(speech)] = speech
    tracks += 0.1 * tracks.sum(axis=0) - 0.1 * tracks + noise(9 * RATE, 4)  # every talker leaks into the other tracks
    decision = channels.decide(tracks)
    assert decision["decision"] == "split" and min(decision["own_share"]) > 0.15, decision


def test_a_silent_channel_means_one_talker_and_is_mixed(talkers):
    tracks = call(talkers)
    tracks[1] = 0.0
    decision = channels.decide(tracks)
    assert decision["decision"] == "mix" and decision["own_share"][1] == 0.0


def test_asked_modes_and_channel_counts_win(talkers):
    tracks = call(talkers, 0.1)
    assert channels.decide(tracks, "mix")["decision"] == "mix"
    mono = tracks[0]
    assert channels.decide(np.stack([mono, mono]), "split")["decision"] == "split"
    assert channels.decide(tracks[:1])["decision"] == "mix"
    assert channels.decide(np.stack([mono] * 9), "split")["reason"] == "more than 8 channels"
    assert channels.decide(tracks[:, :100], "split")["reason"] == "too short to split"


def test_leakage_is_muted_and_own_speech_kept_also_in_overlap(talkers):
    leaked = call(talkers, 0.1)
    kept, mask = channels.own_speech(leaked)
    frames = lambda start, end: slice(int(start * 50), int(end * 50))
    a_speaks, b_speaks = np.abs(talkers[0]) > 0.02, np.abs(talkers[1]) > 0.02
    # B's track while only A talks (0-3 s): A's -20 dB leakage is muted wherever A is loud
    loud_a = np.flatnonzero(a_speaks[:3 * RATE])
    assert np.abs(kept[1, loud_a]).mean() < 0.1 * np.abs(leaked[1, loud_a]).mean()
    # each track keeps its own talker, in the overlap (3-4 s) too
    assert mask[0, frames(0, 4)].mean() > 0.9 and mask[1, frames(3, 7)].mean() > 0.9
    own_b = np.flatnonzero(b_speaks) + 3 * RATE
    assert np.allclose(kept[1, own_b], leaked[1, own_b])


def test_track_labels_round_trip():
    assert channels.track_label(0) == "CH1" and channels.track_label(1, "SPEAKER_00") == "CH2_SPEAKER_00"
    assert channels.track_of("CH2_SPEAKER_00") == 1 and channels.track_of("CH8") == 7
    assert channels.track_of("SPEAKER_00") is None


def test_channels_setting_in_the_cli_and_the_api():
    from vramscribe.cli import build_parser
    from vramscribe.errors import VramscribeError
    from vramscribe.settings import Settings

    assert build_parser().parse_args(["run", "a.wav"]).channels == "auto"
    assert build_parser().parse_args(["run", "a.wav", "--channels", "split"]).channels == "split"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "a.wav", "--channels", "stereo"])
    assert Settings.from_config({"channels": "mix"}).channels == "mix"
    with pytest.raises(VramscribeError, match="bad channels 'stereo'"):
        Settings(channels="stereo").check()
