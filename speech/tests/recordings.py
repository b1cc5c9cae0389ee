"""Recordings for the speech tests, made here: speech by the packaged espeak-ng, and audio files of any length,
format and codec written with PyAV (tones and silence), including ones whose header lies about their length."""

import io

import av
import numpy as np

from meditrack.inference.backends.builtin import BuiltinBackend
from meditrack.inference.types import BackendName, ModelSpec, Task


def spoken(text: str, *, rate: int = 150, voice: str = "en-us") -> bytes:
    """The text as WAV, spoken by the packaged espeak-ng."""
    spec = ModelSpec(slug="espeak", task=Task.TTS, backend=BackendName.BUILTIN, model_id="espeak-ng",
                     params={"voice": voice, "rate": rate})
    return BuiltinBackend().synthesize(spec, text).audio


def encoded(seconds: float, *, container: str = "flac", codec: str = "flac", rate: int = 16000,
            silent: bool = False, frame_s: float = 1.0) -> bytes:
    """A mono recording: a quiet 440 Hz tone, or silence."""
    out = io.BytesIO()
    with av.open(out, "w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=rate, layout="mono")
        sample_format = stream.codec_context.format.name
        frame_size = stream.codec_context.frame_size or int(frame_s * rate)
        total = int(seconds * rate)
        for at in range(0, total, frame_size):
            t = (np.arange(frame_size) + at) / rate
            wave = np.zeros(frame_size) if silent else 0.3 * np.sin(2 * np.pi * 440 * t)
            samples = (wave * 32767).astype(np.int16) if sample_format.startswith("s16") else wave.astype(np.float32)
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format=sample_format, layout="mono")
            frame.sample_rate, frame.pts = rate, at
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode(None):
            muxer.mux(packet)
    return out.getvalue()


def transcoded(data: bytes, *, container: str = "webm", codec: str = "libopus", rate: int = 48000) -> bytes:
    """The recording in another container and codec: by default Opus in WebM, as a browser's MediaRecorder sends."""
    out = io.BytesIO()
    with av.open(io.BytesIO(data)) as source, av.open(out, "w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        for frame in source.decode(audio=0):
            for piece in resampler.resample(frame):
                for packet in stream.encode(piece):
                    muxer.mux(packet)
        for packet in stream.encode(None):
            muxer.mux(packet)
    return out.getvalue()


def flac_claiming(data: bytes, *, seconds: float, rate: int) -> bytes:
    """A FLAC file whose header (STREAMINFO's total samples) says it lasts `seconds`, whatever it holds."""
    samples = int(seconds * rate)
    patched = bytearray(data)
    at = 4 + 4 + 13  # 'fLaC', the block header, then STREAMINFO: total samples are the low 36 bits from byte 13
    patched[at] = (patched[at] & 0xF0) | (samples >> 32 & 0x0F)
    patched[at + 1:at + 5] = (samples & 0xFFFFFFFF).to_bytes(4, "big")
    return bytes(patched)
