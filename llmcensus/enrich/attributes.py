"""Model attributes: quantization -> bit width, parameter size -> billions and band.

Bit widths are *nominal weight bits* of the format family, the figure the study groups by
("4-bit: 72 %, 16-bit: 19 %"), not exact bits per weight: Q4_K_M stores ~4.8 bits/weight and
MXFP4 4.25 with its shared scales, but both count as 4. Ternary formats (TQ1_0, TQ2_0) count as
1.58 (log2 3). ``None`` means unknown (``"unknown"``, empty, or a string we do not recognise).

Parameter bands have half-open edges in billions, chosen so that the integer sizes in band names
fall inside them and a model is placed by its reported size (``details.parameter_size``):

=========  ==============  ===========================================================
band       range (B)       notes
=========  ==============  ===========================================================
``<1B``    [0, 1)          gemma3:1b reports 999.89M and lands here
``1-3B``   [1, 3.5)        llama3.2 3.2B, qwen2.5:3b 3.1B
``4-7B``   [3.5, 7.5)      mistral 7.2B, deepseek-r1:7b 7.6B is *not* here (-> 8-14B)
``8-14B``  [7.5, 14.5)     llama3.1 8.0B, phi4 14.7B is *not* here (-> 15-34B)
``15-34B`` [14.5, 34.5)    qwen2.5:32b 32.8B, gemma3:27b 27.4B
``35-70B`` [34.5, 70.5)    command-r 35B; llama3.3 70.6B is *not* here (-> >70B)
``>70B``   [70.5, inf)     qwen2.5:72b 72.7B, deepseek-r1:671b
=========  ==============  ===========================================================

The edges continue the brief's pattern (x.5 between bands) so that every consumer bins alike;
the consequences at the edges are listed above on purpose.
"""

from __future__ import annotations

import math
import re

BAND_EDGES: tuple[tuple[str, float, float], ...] = (
    ("<1B", 0.0, 1.0),
    ("1-3B", 1.0, 3.5),
    ("4-7B", 3.5, 7.5),
    ("8-14B", 7.5, 14.5),
    ("15-34B", 14.5, 34.5),
    ("35-70B", 34.5, 70.5),
    (">70B", 70.5, math.inf),
)

# Checked in order; first match wins. Patterns run on the uppercased string.
_QUANT_RULES: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p), bits)
    for p, bits in (
        (r"^(F32|FP32)$", 32.0),
        (r"^(F16|FP16|BF16)$", 16.0),
        (r"^(FP8|F8)(_E4M3|_E5M2)?$", 8.0),
        (r"^(MXFP4|NVFP4|FP4)(_MOE)?$", 4.0),
        (r"^TQ[12]_0$", 1.58),
        (r"^I?Q1_", 1.0),
        (r"^Q1_0$", 1.0),
        (r"^I?Q2_", 2.0),
        (r"^I?Q3_", 3.0),
        (r"^I?Q4_", 4.0),
        (r"^I?Q5_", 5.0),
        (r"^Q6_", 6.0),
        (r"^Q8_", 8.0),
        (r"^INT8$", 8.0),
        (r"^INT4$", 4.0),
        (r"^QAT$", 4.0),  # gemma3 "-qat" library tags are Q4_0 quantization-aware builds
    )
)

_TAG_QUANT = re.compile(
    r"(?:^|[-_.])((?:I?Q[1-8](?:_[0-9A-Z]+)*)|FP16|BF16|F16|F32|FP32|FP8|MXFP4|QAT)(?:$|[-_.])",
    re.IGNORECASE,
)


def quant_bits(level: str | None) -> float | None:
    """``Q4_K_M`` -> 4, ``F16`` -> 16, ``MXFP4`` -> 4, ``FP8_E4M3`` -> 8, ``unknown`` -> None."""
    if not level:
        return None
    text = level.strip().upper()
    for pattern, bits in _QUANT_RULES:
        if pattern.match(text):
            return bits
    return None


def quant_from_tag(tag: str | None) -> str | None:
    """The quantization a tag names (``8b-instruct-q4_K_M`` -> ``Q4_K_M``, ``Q8_0`` -> ``Q8_0``).

    Used only when the host reports ``unknown``: hf.co pulls on pre-v0.30 hosts do, and their tag
    *is* the quantization selector.
    """
    if not tag:
        return None
    found = None
    for m in _TAG_QUANT.finditer(tag):
        found = m.group(1)
    return found.upper() if found else None


_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMBT]?)\s*$", re.IGNORECASE)
_MULT = {"": 1e-9, "K": 1e-6, "M": 1e-3, "B": 1.0, "T": 1e3}


def param_billions(parameter_size: str | None, parameter_count: int | None = None) -> float | None:
    """``"8.0B"`` -> 8.0, ``"751.63M"`` -> 0.75163, ``"1T"`` -> 1000; else the exact count."""
    if parameter_size:
        m = _SIZE.match(parameter_size)
        if m:
            value = float(m.group(1)) * _MULT[m.group(2).upper()]
            if value > 0 and math.isfinite(value):
                return value
    if parameter_count is not None and parameter_count > 0:
        return parameter_count / 1e9
    return None


def param_band(billions: float | None) -> str:
    """One of ``PARAM_BANDS``; ``unknown`` when the size is unknown."""
    if billions is None or not math.isfinite(billions) or billions < 0:
        return "unknown"
    for band, lo, hi in BAND_EDGES:
        if lo <= billions < hi:
            return band
    return "unknown"
