"""What a recording is, read from its container before anything is decoded, and decoding bounded by a duration.

A file that is not audio, or audio in a codec we do not take, is refused from its container's metadata; so is one
whose header or packet timestamps say it lasts longer than allowed, before a sample is decoded. Decoding stops
as soon as the samples pass the limit, so a small file that decodes to hours (a lying header, a stream without
one) never fills a worker's memory. Imports nothing from Django: the limits are the caller's.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import av
import numpy as np

SAMPLE_RATE = 16000  # what speech models take
# PyAV's demuxer names -> (our format, its media type). Browsers record webm/opus (Chrome, Firefox), ogg/opus
# (Firefox) or mp4/aac (Safari).
FORMATS = {
    "wav": ("wav", "audio/wav"),
    "ogg": ("ogg", "audio/ogg"),
    "flac": ("flac", "audio/flac"),
    "mp3": ("mp3", "audio/mpeg"),
    "matroska,webm": ("webm", "audio/webm"),
    "mov,mp4,m4a,3gp,3g2,mj2": ("mp4", "audio/mp4"),
}
CODECS = {"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8", "pcm_mulaw", "pcm_alaw", "flac", "vorbis",
          "opus", "mp3", "aac"}
# Below this RMS (about -50 dBFS) a recording holds no speech: Whisper would invent words for it.
SILENCE_RMS = 0.003


class AudioRejected(Exception):
    def __init__(self, code: str, detail: str, status: int = 400):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class AudioInfo:
    format: str
    codec: str
    duration_s: float
    sample_rate: int

    @property
    def media_type(self) -> str:
        return next(media for name, media in FORMATS.values() if name == self.format)


def _not_audio() -> AudioRejected:
    return AudioRejected("unsupported_media_type",
                         "This is not an audio file we can read: send WAV, FLAC, Ogg, WebM, MP4 or MP3.", 415)


def _damaged() -> AudioRejected:
    return AudioRejected("corrupt_audio", "The recording is damaged and cannot be read.", 400)


def _too_long(max_duration_s: float) -> AudioRejected:
    return AudioRejected("too_long", f"The recording is longer than the limit of {max_duration_s:g} seconds.", 413)


def _looks_like_audio(data: bytes) -> bool:
    """The file starts as one of our containers does (WAV, FLAC, Ogg, WebM/Matroska, MP3, MP4)."""
    return (data[:4] in (b"RIFF", b"fLaC", b"OggS", b"\x1a\x45\xdf\xa3") or data[:3] == b"ID3"
            or data[4:8] == b"ftyp")


def _open(data: bytes):
    if not data:
        raise AudioRejected("empty", "The recording is empty.", 400)
    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError, UnicodeDecodeError):
        if _looks_like_audio(data):
            raise _damaged() from None
        raise _not_audio() from None


def probe(data: bytes, *, max_duration_s: float | None = None) -> AudioInfo:
    """The recording's format, codec, duration and sample rate, from its header and its packets' timestamps
    (demuxed, never decoded). AudioRejected: 400 empty, 415 not audio or a codec we do not take, 413 longer
    than max_duration_s."""
    with _open(data) as container:
        if container.format.name not in FORMATS or not container.streams.audio:
            raise _not_audio()
        stream = container.streams.audio[0]
        codec = stream.codec_context.name
        if codec not in CODECS:
            raise AudioRejected("unsupported_codec", f"Audio in the {codec} codec is not supported: "
                                "send PCM, FLAC, Vorbis, Opus, MP3 or AAC.", 415)
        declared = _declared_seconds(container, stream)
        if max_duration_s is not None and declared is not None and declared > max_duration_s:
            raise _too_long(max_duration_s)
        # Browsers' webm recordings declare no duration, and a header may understate it: the packets say.
        duration = _demuxed_seconds(container, stream, max_duration_s)
        return AudioInfo(format=FORMATS[container.format.name][0], codec=codec,
                         duration_s=round(max(duration, declared or 0.0), 3), sample_rate=stream.sample_rate or 0)


def _declared_seconds(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _demuxed_seconds(container, stream, max_duration_s: float | None) -> float:
    start, end = None, 0.0
    try:
        for packet in container.demux(stream):
            if packet.pts is None or packet.time_base is None:
                continue
            at = float(packet.pts * packet.time_base)
            start = at if start is None else min(start, at)
            end = max(end, at + float((packet.duration or 0) * packet.time_base))
            if max_duration_s is not None and end - start > max_duration_s:
                raise _too_long(max_duration_s)
    except av.FFmpegError:
        raise _damaged() from None
    return end - (start or 0.0)


def decode(data: bytes, *, max_duration_s: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 samples at sample_rate; stops and refuses (413) once they pass max_duration_s."""
    limit = int(max_duration_s * sample_rate)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
    pieces, count = [], 0
    with _open(data) as container:
        if not container.streams.audio:
            raise _not_audio()
        try:
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    piece = out.to_ndarray().reshape(-1)
                    count += piece.size
                    if count > limit:
                        raise _too_long(max_duration_s)
                    pieces.append(piece)
        except av.FFmpegError:
            raise _damaged() from None
    if not count:
        raise AudioRejected("empty", "The recording holds no sound.", 400)
    return np.concatenate(pieces).astype(np.float32) / 32768.0


def refuse_silence(samples: np.ndarray) -> None:
    if float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) < SILENCE_RMS:
        raise AudioRejected("silence", "No speech was heard: the recording is silent. Check the microphone.", 400)


def to_wav(samples: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono WAV of float samples in [-1, 1]."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return out.getvalue()
