"""Quantization bit widths, parameter sizes and bands, on captured strings."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcensus.enrich.attributes import BAND_EDGES, param_band, param_billions, quant_bits, quant_from_tag
from llmcensus.enrich.schema import PARAM_BANDS

CAPTURES = Path(__file__).parent / "fixtures" / "captures"


@pytest.mark.parametrize(
    ("level", "bits"),
    [
        ("Q4_K_M", 4), ("Q4_0", 4), ("Q4_1", 4), ("Q4_K_S", 4), ("IQ4_XS", 4), ("IQ4_NL", 4),
        ("Q8_0", 8), ("F16", 16), ("BF16", 16), ("F32", 32), ("MXFP4", 4), ("MXFP4_MOE", 4), ("NVFP4", 4),
        ("FP8", 8), ("FP8_E4M3", 8), ("Q2_K", 2), ("Q3_K_S", 3), ("Q3_K_M", 3), ("Q3_K_L", 3), ("IQ3_XXS", 3),
        ("Q5_0", 5), ("Q5_K_M", 5), ("Q6_K", 6), ("TQ1_0", 1.58), ("TQ2_0", 1.58), ("Q1_0", 1), ("q4_k_m", 4),
        ("unknown", None), ("", None), (None, None), ("garbage", None),
    ],
)
def test_quant_bits(level: str | None, bits: float | None) -> None:
    assert quant_bits(level) == bits


def test_every_captured_quantization_is_known_or_unknown() -> None:
    levels = set()
    for path in (CAPTURES / "api_tags").glob("*.json"):
        for m in json.loads(path.read_text()).get("models") or []:
            levels.add((m.get("details") or {}).get("quantization_level") or "")
    for level in levels:
        if level not in ("", "unknown"):
            assert quant_bits(level) is not None, level


@pytest.mark.parametrize(
    ("tag", "quant"),
    [("Q4_K_M", "Q4_K_M"), ("8b-instruct-q4_K_M", "Q4_K_M"), ("8b-text-fp16", "FP16"), ("q5_k_m", "Q5_K_M"),
     ("27b-it-qat", "QAT"), ("latest", None), ("IQ4_XS", "IQ4_XS"), ("14b-qwen-distill-q8_0", "Q8_0")],
)
def test_quant_from_tag(tag: str, quant: str | None) -> None:
    assert quant_from_tag(tag) == quant


@pytest.mark.parametrize(
    ("size", "billions", "band"),
    [
        ("8.0B", 8.0, "8-14B"), ("751.63M", 0.75163, "<1B"), ("999.89M", 0.99989, "<1B"), ("1.2B", 1.2, "1-3B"),
        ("3.2B", 3.2, "1-3B"), ("3.8B", 3.8, "4-7B"), ("7.2B", 7.2, "4-7B"), ("7.6B", 7.6, "8-14B"),
        ("14.7B", 14.7, "15-34B"), ("32.8B", 32.8, "15-34B"), ("35B", 35.0, "35-70B"), ("70.6B", 70.6, ">70B"),
        ("1T", 1000.0, ">70B"), ("137M", 0.137, "<1B"), ("7B", 7.0, "4-7B"), ("", None, "unknown"),
        ("unknown", None, "unknown"),
    ],
)
def test_param_sizes_and_bands(size: str, billions: float | None, band: str) -> None:
    got = param_billions(size)
    assert got == pytest.approx(billions) if billions is not None else got is None
    assert param_band(got) == band


def test_band_edges_are_contiguous_and_named_like_the_schema() -> None:
    assert [b for b, _, _ in BAND_EDGES] + ["unknown"] == list(PARAM_BANDS)
    for (_, _, hi), (_, lo, _) in itertools.pairwise(BAND_EDGES):
        assert hi == lo
    assert param_band(3.5) == "4-7B" and param_band(3.4999) == "1-3B"
    assert param_billions(None, 8_030_261_248) == pytest.approx(8.030261248)


@given(st.text(max_size=30))
def test_hostile_strings_never_raise(text: str) -> None:
    quant_bits(text)
    quant_from_tag(text)
    assert param_band(param_billions(text)) in PARAM_BANDS
