"""speech.audio: what a recording is, from its container, before anything is decoded; decoding within a limit."""

import time

import numpy as np
import pytest

from speech import audio
from speech.audio import AudioRejected
from speech.tests.recordings import encoded, flac_claiming, spoken

TEN_HOURS = 10 * 3600


@pytest.fixture(scope="module")
def ten_hours_of_silence() -> bytes:
    """A real ten-hour recording that is small: silence compresses to almost nothing in FLAC."""
    return encoded(TEN_HOURS, rate=8000, silent=True, frame_s=4)


def rejected(call) -> AudioRejected:
    with pytest.raises(AudioRejected) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("container, codec, rate, expected", [
    ("wav", "pcm_s16le", 16000, "wav"),
    ("flac", "flac", 16000, "flac"),
    ("ogg", "libopus", 48000, "ogg"),
    ("webm", "libopus", 48000, "webm"),
    ("mp4", "aac", 16000, "mp4"),
])
def test_it_reads_format_codec_duration_and_rate_from_the_container(container, codec, rate, expected):
    info = audio.probe(encoded(3, container=container, codec=codec, rate=rate), max_duration_s=60)
    assert info.format == expected and info.sample_rate == rate
    assert info.codec == {"libopus": "opus"}.get(codec, codec)
    assert info.duration_s == pytest.approx(3, abs=0.15)
    assert info.media_type.startswith("audio/")


def test_it_reads_the_packaged_speech_synthesisers_wav():
    info = audio.probe(spoken("Take two tablets twice a day."))
    assert (info.format, info.codec) == ("wav", "pcm_s16le") and 1 < info.duration_s < 4


def test_an_empty_recording_is_400():
    error = rejected(lambda: audio.probe(b""))
    assert (error.status, error.code) == (400, "empty")


def test_a_text_file_named_wav_is_415():
    error = rejected(lambda: audio.probe(b"Take two tablets twice a day.\n" * 40))
    assert (error.status, error.code) == (415, "unsupported_media_type")


@pytest.mark.parametrize("cut", [lambda d: d[:60], lambda d: d[:len(d) // 3]], ids=["header only", "truncated"])
def test_a_damaged_container_is_400(cut):
    error = rejected(lambda: audio.probe(cut(encoded(2))))
    assert (error.status, error.code) == (400, "corrupt_audio")


def test_an_unsupported_codec_is_415_and_named():
    error = rejected(lambda: audio.probe(encoded(1, container="wav", codec="adpcm_ms")))
    assert (error.status, error.code) == (415, "unsupported_codec") and "adpcm_ms" in error.detail


def test_a_tiny_file_whose_header_claims_ten_hours_is_413_with_the_limit():
    one_second = encoded(1, rate=8000)
    claiming = flac_claiming(one_second, seconds=TEN_HOURS, rate=8000)
    assert len(claiming) < 20_000
    error = rejected(lambda: audio.probe(claiming, max_duration_s=300))
    assert (error.status, error.code) == (413, "too_long") and "300 seconds" in error.detail


def test_ten_hours_of_silence_in_a_few_megabytes_is_refused_without_decoding(ten_hours_of_silence):
    assert len(ten_hours_of_silence) < 10 * 1024 * 1024
    started = time.perf_counter()
    error = rejected(lambda: audio.probe(ten_hours_of_silence, max_duration_s=300))
    assert error.status == 413 and time.perf_counter() - started < 1.0


def test_a_header_that_understates_the_length_is_caught_by_the_packets(ten_hours_of_silence):
    lying = flac_claiming(ten_hours_of_silence, seconds=5, rate=8000)
    error = rejected(lambda: audio.probe(lying, max_duration_s=300))
    assert error.status == 413


def test_decoding_stops_at_the_limit_rather_than_filling_memory(ten_hours_of_silence):
    lying = flac_claiming(ten_hours_of_silence, seconds=5, rate=8000)
    started = time.perf_counter()
    error = rejected(lambda: audio.decode(lying, max_duration_s=30))
    # Ten hours at 16 kHz would be 2.3 GB of float32; it stops after 30 seconds' worth.
    assert error.status == 413 and time.perf_counter() - started < 2.0


def test_it_decodes_to_mono_16_khz_floats():
    samples = audio.decode(encoded(2, container="ogg", codec="libopus", rate=48000), max_duration_s=60)
    assert samples.dtype == np.float32 and len(samples) == pytest.approx(2 * audio.SAMPLE_RATE, rel=0.02)
    assert 0.1 < np.abs(samples).max() <= 1.0


def test_silence_is_400_and_speech_is_not():
    error = rejected(lambda: audio.refuse_silence(audio.decode(encoded(2, silent=True), max_duration_s=60)))
    assert (error.status, error.code) == (400, "silence")
    audio.refuse_silence(audio.decode(spoken("I have a headache."), max_duration_s=60))


def test_samples_round_trip_through_wav():
    samples = audio.decode(spoken("Hello."), max_duration_s=60)
    again = audio.decode(audio.to_wav(samples), max_duration_s=60)
    assert len(again) == len(samples) and np.allclose(again, samples, atol=1e-4)
