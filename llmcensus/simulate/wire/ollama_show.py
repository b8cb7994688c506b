"""``POST /api/show`` for a genuine Ollama: request decoding the way Go's ``encoding/json`` reports
errors, model-name normalisation (``types/model/name.go``), and the version-gated response body."""

from __future__ import annotations

import hashlib
import json
import re
import threading

from llmcensus.reference.library import library
from llmcensus.simulate.views import HostView, ModelView, ShowData
from llmcensus.simulate.wire.gojson import (
    RawJSON,
    dumps,
    dumps_str,
    go_quote,
    go_sprint,
    go_unquote,
    rfc3339nano,
)
from llmcensus.simulate.wire.showdata import build_show
from llmcensus.simulate.wire.versions import Features

DEFAULT_HOST = "registry.ollama.ai"
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,79}")
_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,349}")
_NS = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,79}")


class ShowRequestError(Exception):
    """A request Ollama answers with 400; the message is the exact ``error`` string."""


def normalise_name(text: str) -> str | None:
    """Display-shortest form (``model:tag``, ``ns/model:tag``, ``host/ns/model:tag``); None if invalid."""
    text = text.split("@", 1)[0]
    parts = text.split("/")
    if len(parts) > 3 or not parts[-1]:
        return None
    model_tag = parts[-1]
    model, _, tag = model_tag.partition(":")
    tag = tag or "latest"
    host = parts[0] if len(parts) == 3 else DEFAULT_HOST
    ns = parts[-2] if len(parts) >= 2 else "library"
    if not (_PART.fullmatch(model) and _PART.fullmatch(tag) and _NS.fullmatch(ns) and _HOST.fullmatch(host)):
        return None
    if host == DEFAULT_HOST:
        return f"{model}:{tag}" if ns == "library" else f"{ns}/{model}:{tag}"
    return f"{host}/{ns}/{model}:{tag}"


def namespace(display: str) -> str:
    """``owned_by`` of /v1/models: ``library`` for official models, else the namespace (HF org)."""
    parts = display.split("/")
    return "library" if len(parts) == 1 else parts[-2]


def find_model(view: HostView, display: str) -> ModelView | None:
    want = display.casefold()
    for m in view.models:
        if m.name.casefold() == want:
            return m
    return None


_GO_TYPES = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}
_PY_TO_GO_SYNTAX = {
    "Expecting value": "looking for beginning of value",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Expecting ':' delimiter": "after object key",
    "Expecting ',' delimiter": "after object key:value pair",
    "Invalid control character at": "in string literal",
    "Invalid \\escape": "in string escape code",
}


def _go_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    return "'" + go_quote(c)[1:-1] + "'"


def _reject_constant(name: str) -> object:
    raise ValueError(name)


def decode_show_request(body: bytes, feats: Features) -> str:
    """The model name as sent, or ShowRequestError carrying Go's message."""
    text = body.decode("utf-8", errors="replace")
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        raise ShowRequestError("missing request body")
    objects: list[list[tuple[str, object]]] = []  # every object's pairs, innermost first, top level last

    def hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        objects.append(pairs)
        return dict(pairs)

    decoder = json.JSONDecoder(object_pairs_hook=hook, parse_constant=_reject_constant)
    try:
        value, _ = decoder.raw_decode(stripped)
    except ValueError as exc:
        raise ShowRequestError(_go_syntax_error(exc, stripped)) from None
    if not isinstance(value, dict):
        kind = "null" if value is None else _GO_TYPES.get(type(value), "value")
        if value is None:
            raise ShowRequestError("model is required" if feats.model_key else "name is required")
        raise ShowRequestError(f"json: cannot unmarshal {kind} into Go value of type api.ShowRequest")
    fields = {"model": "", "name": ""}
    type_error = None
    # Go matches keys case-insensitively and the last occurrence wins; type errors are reported first-seen.
    for key, v in objects[-1]:
        k = key.lower()
        known = ("model", "name", "verbose") if feats.model_key else ("name",)
        if k not in known or v is None:
            continue
        want = bool if k == "verbose" else str
        if type(v) is not want:
            if type_error is None:
                type_error = (f"json: cannot unmarshal {_GO_TYPES.get(type(v), 'value')} into Go struct field "
                              f"ShowRequest.{k} of type {'bool' if want is bool else 'string'}")
            continue
        if k != "verbose":
            fields[k] = str(v)
    if type_error:
        raise ShowRequestError(type_error)
    sent = fields["model"] or fields["name"]
    if not sent:
        raise ShowRequestError("model is required" if feats.model_key else "name is required")
    return sent


def _go_syntax_error(exc: ValueError, text: str) -> str:
    if isinstance(exc, json.JSONDecodeError):
        if exc.pos >= len(text.rstrip(" \t\r\n")):
            return "unexpected EOF"
        for py, go in _PY_TO_GO_SYNTAX.items():
            if exc.msg.startswith(py):
                return f"invalid character {_go_char(text[exc.pos])} {go}"
        return f"invalid character {_go_char(text[exc.pos])} looking for beginning of value"
    # NaN/Infinity: Go has no such literals.
    return f"invalid character {_go_char(str(exc)[:1] or 'N')} looking for beginning of value"


# --- rendering -------------------------------------------------------------------------------------

_TENSOR_TYPES = {"Q4_K_M": "Q4_K", "Q4_K_S": "Q4_K", "Q5_K_M": "Q5_K", "Q5_K_S": "Q5_K", "Q3_K_M": "Q3_K",
                 "Q3_K_S": "Q3_K", "Q3_K_L": "Q3_K", "Q2_K": "Q2_K", "Q6_K": "Q6_K", "Q8_0": "Q8_0",
                 "Q4_0": "Q4_0", "Q4_1": "Q4_1", "Q5_0": "Q5_0", "Q5_1": "Q5_1", "F16": "F16", "BF16": "BF16",
                 "F32": "F32"}


def _int(info: dict[str, object], key: str, default: int) -> int:
    v = info.get(key)
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def tensors(sd: ShowData, quant: str) -> list[dict[str, object]]:
    """A short, plausible GGUF tensor list (first two blocks only; real servers list every tensor)."""
    info = sd.model_info
    arch = str(info.get("general.architecture", "llama"))
    emb = _int(info, f"{arch}.embedding_length", 4096)
    vocab = _int(info, f"{arch}.vocab_size", 32000)
    ffn = _int(info, f"{arch}.feed_forward_length", emb * 3)
    heads = _int(info, f"{arch}.attention.head_count", 32)
    kv = emb // max(1, heads) * _int(info, f"{arch}.attention.head_count_kv", heads)
    qt = _TENSOR_TYPES.get(quant.upper(), "Q4_K")
    out: list[dict[str, object]] = [{"name": "token_embd.weight", "type": qt, "shape": [emb, vocab]}]
    for b in range(min(2, _int(info, f"{arch}.block_count", 2))):
        for name, typ, shape in (
            ("attn_k.weight", qt, [emb, kv]), ("attn_norm.weight", "F32", [emb]),
            ("attn_output.weight", qt, [emb, emb]), ("attn_q.weight", qt, [emb, emb]),
            ("attn_v.weight", "Q6_K" if qt.endswith("_K") else qt, [emb, kv]),
            ("ffn_down.weight", "Q6_K" if qt.endswith("_K") else qt, [ffn, emb]),
            ("ffn_gate.weight", qt, [emb, ffn]), ("ffn_norm.weight", "F32", [emb]), ("ffn_up.weight", qt, [emb, ffn]),
        ):
            out.append({"name": f"blk.{b}.{name}", "type": typ, "shape": shape})
    out.append({"name": "output.weight", "type": "Q6_K" if qt.endswith("_K") else qt, "shape": [emb, vocab]})
    out.append({"name": "output_norm.weight", "type": "F32", "shape": [emb]})
    return out


def _quote(s: str) -> str:
    """Ollama parser's quote(): multi-line or space-padded args are quoted, triple quotes if they hold '"'."""
    if "\n" in s or s.startswith(" ") or s.endswith(" "):
        return f'"""{s}"""' if '"' in s else f'"{s}"'
    return s


def _param_pairs(parameters: str) -> list[tuple[str, str]]:
    out = []
    for line in parameters.split("\n"):
        if not line.strip():
            continue
        key, _, value = line.partition(" ")
        out.append((key, go_unquote(value.strip())))
    return out


def modelfile(m: ModelView, sd: ShowData, feats: Features) -> str:
    params = _param_pairs(sd.parameters)
    cloud = bool(m.remote_model)
    if not feats.new_modelfile:
        lines = ['# Modelfile generated by "ollama show"',
                 "# To build a new Modelfile based on this one, replace the FROM line with:", f"# FROM {m.name}", "",
                 f"FROM {sd.modelfile_from}", f'TEMPLATE """{sd.template}"""']
        if sd.system:
            lines.append(f'SYSTEM """{sd.system}"""')
        lines.extend(f"PARAMETER {k} {v}" for k, v in params)
        return "\n".join(lines)
    head = ('# Modelfile generated by "ollama show"\n# To build a new Modelfile based on this, replace FROM with:\n'
            f"# FROM {m.name}\n\n")
    cmds = [f"FROM {m.name if cloud else sd.modelfile_from}"]
    if sd.template:
        cmds.append(f"TEMPLATE {_quote(sd.template)}")
    if sd.system:
        cmds.append(f"SYSTEM {_quote(sd.system)}")
    cmds.extend(f"PARAMETER {k} {_quote(go_sprint(v))}" for k, v in params)
    if sd.license:
        cmds.append(f"LICENSE {_quote(sd.license)}")
    return head + "".join(c + "\n" for c in cmds)


def show_data_for(m: ModelView) -> ShowData:
    """The view's ShowData, or one synthesised from the tags entry (cloud stubs get Ollama's synthetic info)."""
    if m.show is not None:
        return m.show
    return _synth(m)


_SYNTH: dict[tuple[object, ...], ShowData] = {}
_LOCK = threading.Lock()


def _synth(m: ModelView) -> ShowData:
    key = (m.name, m.digest, m.family, m.families, m.parameter_size, m.quantization_level, m.capabilities,
           m.remote_model, m.context_length, m.embedding_length)
    with _LOCK:
        hit = _SYNTH.get(key)
    if hit is not None:
        return hit
    if m.remote_model:
        fam = m.family or "unknown"
        info: dict[str, object] = {"general.architecture": fam, "general.basename": m.remote_model.split(":")[0]}
        if m.context_length:
            info[f"{fam}.context_length"] = m.context_length
        if m.embedding_length:
            info[f"{fam}.embedding_length"] = m.embedding_length
        sd = ShowData(license="", modelfile_from=m.name, parameters="", template="", system=None, model_info=info,
                      projector_info=None, capabilities=m.capabilities or ("completion",))
    else:
        sd = build_show(m.name, m.family, m.families, m.parameter_size, m.quantization_level,
                        m.capabilities or library_capabilities(m.name), digest=m.digest,
                        context_length=m.context_length, embedding_length=m.embedding_length)
    with _LOCK:
        if len(_SYNTH) > 20000:
            _SYNTH.clear()
        _SYNTH[key] = sd
    return sd


def library_capabilities(display: str) -> tuple[str, ...]:
    """Capabilities of a library model from its ollama.com badges (for views that leave them empty)."""
    if "/" in display:
        return ("completion",)
    entry = library().get(display.split(":", 1)[0])
    badges = set(entry.badges) if entry else set()
    base = ("embedding",) if "embedding" in badges else ("completion",)
    return base + tuple(c for c in ("vision", "tools", "thinking") if c in badges)


def show_capabilities(sd: ShowData, m: ModelView, feats: Features) -> list[str]:
    """The newest capability list cut down to what this version could compute."""
    in_file_vision = any(k.endswith(".vision.block_count") for k in sd.model_info)
    projector = bool(m.families and "clip" in m.families) or sd.projector_info is not None
    out = []
    for c in sd.capabilities:
        if (c == "thinking" and not feats.thinking) or (c == "image" and not feats.image_cap):
            continue
        if c == "audio" and not feats.audio_cap:
            continue
        if c == "vision" and not in_file_vision and projector and not feats.projector_vision:
            continue
        out.append(c)
    return out


# Heavy, host-independent fragments (sorted model_info, projector_info, tensors) cached per
# (feature class, ShowData identity); the entry keeps the ShowData alive so its id() stays unique.
_FRAGMENTS: dict[tuple[object, ...], tuple[ShowData, RawJSON, RawJSON | None, RawJSON | None]] = {}


def _fragments(sd: ShowData, m: ModelView, feats: Features) -> tuple[RawJSON, RawJSON | None, RawJSON | None]:
    key = (feats.tensors, id(sd), m.quantization_level, m.format)
    with _LOCK:
        hit = _FRAGMENTS.get(key)
    if hit is not None and hit[0] is sd:
        return hit[1], hit[2], hit[3]
    mi = RawJSON(dumps_str(dict(sorted(sd.model_info.items()))))
    pi = RawJSON(dumps_str(dict(sorted(sd.projector_info.items())))) if sd.projector_info else None
    te = RawJSON(dumps_str(tensors(sd, m.quantization_level))) if feats.tensors and m.format == "gguf" else None
    with _LOCK:
        if len(_FRAGMENTS) > 20000:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = (sd, mi, pi, te)
    return mi, pi, te


def details(m: ModelView, feats: Features, in_tags: bool) -> dict[str, object]:
    d: dict[str, object] = {}
    if feats.model_key:
        d["parent_model"] = m.parent_model if (in_tags and feats.tags_v30) else ""
    d["format"] = m.format
    d["family"] = m.family
    d["families"] = list(m.families) if m.families is not None else None
    d["parameter_size"] = m.parameter_size
    d["quantization_level"] = m.quantization_level
    if in_tags and feats.tags_v30:
        if m.context_length:
            d["context_length"] = m.context_length
        if m.embedding_length:
            d["embedding_length"] = m.embedding_length
    return d


def show_body(view: HostView, m: ModelView, feats: Features) -> bytes:
    sd = show_data_for(m)
    d: dict[str, object] = {}
    if sd.license:
        d["license"] = sd.license
    d["modelfile"] = modelfile(m, sd, feats)
    if sd.parameters:
        d["parameters"] = sd.parameters
    if sd.template:
        d["template"] = sd.template
    if sd.system:
        d["system"] = sd.system
    if feats.remote and sd.renderer:
        d["renderer"] = sd.renderer
    if feats.remote and sd.parser:
        d["parser"] = sd.parser
    if feats.details:
        d["details"] = details(m, feats, in_tags=False)
    if feats.remote and m.remote_model:
        d["remote_model"] = m.remote_model
        d["remote_host"] = m.remote_host or "https://ollama.com:443"
    if feats.model_info:
        mi, pi, te = _fragments(sd, m, feats)
        if sd.model_info or feats.model_info_always:
            d["model_info"] = mi
        if pi is not None:
            d["projector_info"] = pi
        if te is not None:
            d["tensors"] = te
    if feats.show_capabilities:
        caps = show_capabilities(sd, m, feats)
        if caps:
            d["capabilities"] = caps
    if feats.model_info:
        d["modified_at"] = rfc3339nano(m.modified_at_ns, view.tz_offset_min)
    return dumps(d)


def blob_digests(view: HostView) -> set[str]:
    """``sha256:<hex>`` of the weight blobs a host has (for ``HEAD /api/blobs/:digest``)."""
    out = set()
    for m in view.models:
        path = show_data_for(m).modelfile_from
        if "sha256-" in path:
            out.add("sha256:" + path.rsplit("sha256-", 1)[1])
        out.add("sha256:" + hashlib.sha256(m.digest.encode()).hexdigest())
    return out
