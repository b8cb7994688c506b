"""The wire layer reproduces real captured replies byte for byte when given a view that mirrors them.

Captures are pretty-printed JSON of real replies; Go's compact encoding of the same objects (key order
kept) is what the servers sent. Tags captures whose entries mix shapes from different versions (a
docs-example entry without ``model`` next to v0.1.21+ entries), zones, or break the sort order come from
clone farms, not from any one Ollama version, and are checked for that instead.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from llmcensus.simulate.views import Behaviour, HostView, ModelView, Request, RunningView, ShowData
from llmcensus.simulate.wire import respond
from llmcensus.simulate.wire.gojson import dumps

CAPTURES = Path(__file__).parent / "fixtures" / "captures"
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def parse_stamp(text: str) -> tuple[int, int]:
    """RFC3339Nano → (Unix ns, zone offset in minutes)."""
    m = _STAMP.match(text)
    assert m, text
    base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    off = 0 if m.group(3) == "Z" else (1 if m.group(3)[0] == "+" else -1) * (
        int(m.group(3)[1:3]) * 60 + int(m.group(3)[4:6]))
    frac = int((m.group(2) or "0").ljust(9, "0"))
    secs = int(base.timestamp()) - off * 60
    return secs * 1_000_000_000 + frac, off


def model_from(entry: dict[str, object]) -> ModelView:
    d = entry["details"]
    assert isinstance(d, dict)
    ns, _ = parse_stamp(str(entry["modified_at"]))
    fams = d["families"]
    return ModelView(name=str(entry["name"]), digest=str(entry["digest"]), size=int(entry["size"]),  # type: ignore[call-overload]
                     modified_at_ns=ns, format=str(d["format"]), family=str(d["family"]),
                     families=tuple(fams) if isinstance(fams, list) else None,
                     parameter_size=str(d["parameter_size"]), quantization_level=str(d["quantization_level"]))


def view(version: str, tz: int, models: tuple[ModelView, ...] = (), running: tuple[RunningView, ...] = ()) -> HostView:
    return HostView(host_id=1, ip="192.0.2.1", port=11434, scheme="http", behaviour=Behaviour.OLLAMA,
                    version=version, tz_offset_min=tz, models=models, running=running)


def get(v: HostView, path: str, method: str = "GET", body: bytes = b"") -> bytes:
    r = respond(v, Request(method, path, {}, body), 0)
    assert r is not None
    assert r.status == 200, r.body
    return r.body


def _tag_captures() -> list[Path]:
    return sorted(p for p in (CAPTURES / "api_tags").glob("*.json"))


def _uniform(models: list[dict[str, object]]) -> bool:
    shapes = {(tuple(m), tuple(m["details"])) for m in models}  # type: ignore[arg-type]
    stamps = [parse_stamp(str(m["modified_at"]))[0] // 1_000_000_000 for m in models]
    zones = {str(m["modified_at"])[-6:] if not str(m["modified_at"]).endswith("Z") else "Z" for m in models}
    return len(shapes) == 1 and stamps == sorted(stamps, reverse=True) and len(zones) == 1


def _split() -> tuple[list[Path], list[Path]]:
    uniform = [p for p in _tag_captures() if _uniform(json.loads(p.read_text())["models"])]
    return uniform, [p for p in _tag_captures() if p not in uniform]


@pytest.mark.parametrize("path", _split()[0], ids=lambda p: p.stem)
def test_tags_capture_reproduced_byte_for_byte(path: Path) -> None:
    capture = json.loads(path.read_text())
    models = capture["models"]
    version = "0.5.7" if "model" in models[0] else "0.1.17"
    _, tz = parse_stamp(models[0]["modified_at"])
    v = view(version, tz, tuple(model_from(m) for m in models))
    assert get(v, "/api/tags") == dumps(capture)


@pytest.mark.parametrize("path", _split()[1], ids=lambda p: p.stem)
def test_mixed_capture_matches_no_single_version(path: Path) -> None:
    """Clone-farm captures mix entries of different versions or zones, or break the sort order: no
    genuine host of any version renders them, which is what a honeypot detector can rely on."""
    capture = json.loads(path.read_text())
    models = tuple(model_from(m) for m in capture["models"])
    for version in ("0.1.17", "0.1.30", "0.5.7", "0.12.6"):
        for tz in {parse_stamp(m["modified_at"])[1] for m in capture["models"]}:
            assert get(view(version, tz, models), "/api/tags") != dumps(capture)


def test_most_tag_captures_are_single_version() -> None:
    assert len(_split()[0]) >= 30


def test_ps_capture_reproduced() -> None:
    capture = json.loads((CAPTURES / "api_ps" / "74d4af1c518d.json").read_text())
    e = capture["models"][0]
    d = e["details"]
    exp_ns, tz = parse_stamp(e["expires_at"])
    m = ModelView(name=e["name"], digest=e["digest"], size=4109865159, modified_at_ns=0, format=d["format"],
                  family=d["family"], families=tuple(d["families"]), parameter_size=d["parameter_size"],
                  quantization_level=d["quantization_level"])
    r = RunningView(model=m, size=e["size"], size_vram=e["size_vram"], expires_at_ns=exp_ns, context_length=2048)
    for version in ("0.1.42", "0.5.7", "0.9.6"):  # every version before ps context_length
        assert get(view(version, tz, (m,), (r,)), "/api/ps") == dumps(capture)
    newer = json.loads(get(view("0.10.0", tz, (m,), (r,)), "/api/ps"))
    assert list(newer["models"][0])[-1] == "context_length"


def test_show_capture_reproduced() -> None:
    capture = json.loads((CAPTURES / "api_show" / "d540ababb6e4.json").read_text())
    mf = capture["modelfile"]
    blob = re.search(r"^FROM (\S+)$", mf, re.M)
    assert blob
    sd = ShowData(license=capture["license"], modelfile_from=blob.group(1), parameters=capture["parameters"],
                  template=capture["template"], system=None, model_info={}, projector_info=None,
                  capabilities=("completion",))
    d = capture["details"]
    m = ModelView(name="llama3:latest", digest="365c0bd3c000a25d28ddbf732fe1c6add414de7275464c4e4d1c3b5fcb5d8ad1",
                  size=4661224676, modified_at_ns=1_714_000_000_000_000_000, format=d["format"], family=d["family"],
                  families=tuple(d["families"]), parameter_size=d["parameter_size"],
                  quantization_level=d["quantization_level"], show=sd)
    # The capture predates model_info (v0.1.45) and uses the parser's quote() Modelfile format.
    body = get(view("0.1.38", -420, (m,)), "/api/show", "POST", b'{"name":"llama3"}')
    assert body == dumps(capture)


@pytest.mark.parametrize("path", sorted((CAPTURES / "api_version").glob("*.json")), ids=lambda p: p.stem)
def test_version_capture_reproduced(path: Path) -> None:
    capture = json.loads(path.read_text())
    assert get(view(capture["version"], 0), "/api/version") == dumps(capture)
