"""A simulated telephone channel: 300–3400 Hz band, 8 kHz G.711 µ-law, optional noise."""

from __future__ import annotations

import numpy as np
import soxr

from telephony.g711 import ulaw_decode, ulaw_encode

PHONE_RATE = 8000


def band_limit(pcm: np.ndarray, rate: int, low: float = 300.0, high: float = 3400.0) -> np.ndarray:
    spectrum = np.fft.rfft(pcm.astype(np.float64))
    freqs = np.fft.rfftfreq(len(pcm), 1 / rate)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, n=len(pcm))


def phone_channel(
    pcm: np.ndarray, rate: int, snr_db: float | None = None, seed: int = 0
) -> np.ndarray:
    """int16 audio at `rate` → what arrives over a G.711 call, as int16 at 8 kHz."""
    narrow = soxr.resample(pcm.astype(np.float64), rate, PHONE_RATE, quality="HQ")
    narrow = band_limit(narrow, PHONE_RATE)
    if snr_db is not None:
        rng = np.random.default_rng(seed)
        power = np.mean(narrow**2) or 1.0
        noise = rng.standard_normal(len(narrow)) * np.sqrt(power / 10 ** (snr_db / 10))
        narrow = narrow + band_limit(noise, PHONE_RATE)
    clipped = np.clip(narrow, -32768, 32767).astype(np.int16)
    return ulaw_decode(ulaw_encode(clipped))
