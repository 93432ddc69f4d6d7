"""G.711 µ-law and A-law (ITU-T G.711) for 16-bit PCM, vectorised with numpy.

Telephone audio on SIP trunks is 8 kHz G.711; the bench's phone channel uses the same codec.
"""

from __future__ import annotations

import numpy as np

_BIAS = 0x84  # µ-law decoding bias on 16-bit samples
# µ-law segment ends on 14-bit magnitudes (plus the 0x21 bias), per G.711.
_ULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def ulaw_encode(pcm: np.ndarray) -> bytes:
    samples = pcm.astype(np.int32) >> 2  # µ-law works on 14-bit samples
    mask = np.where(samples < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(samples), 8159) + 0x21
    segment = np.searchsorted(_ULAW_SEGMENT_ENDS, magnitude)
    code = (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    code = np.where(segment >= 8, 0x7F, code)  # beyond the last segment: clip to full scale
    return ((code ^ mask) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    codes = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    magnitude = (((codes & 0x0F) << 3) + _BIAS) << exponent
    return np.where(codes & 0x80, _BIAS - magnitude, magnitude - _BIAS).astype(np.int16)


def alaw_encode(pcm: np.ndarray) -> bytes:
    samples = pcm.astype(np.int32) >> 3  # A-law works on 13-bit samples
    sign = np.where(samples >= 0, 0x80, 0)
    magnitude = np.minimum(np.where(samples >= 0, samples, -samples - 1), 0xFFF)
    exponent = np.zeros_like(magnitude)
    for bit in range(1, 8):
        exponent[magnitude >= (0x10 << bit)] = bit
    mantissa = np.where(exponent == 0, magnitude >> 1, magnitude >> exponent) & 0x0F
    return ((sign | (exponent << 4) | mantissa) ^ 0x55).astype(np.uint8).tobytes()


def alaw_decode(data: bytes) -> np.ndarray:
    codes = np.frombuffer(data, dtype=np.uint8).astype(np.int32) ^ 0x55
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << (exponent - 1)
    )
    return np.where(codes & 0x80, magnitude, -magnitude).astype(np.int16)
