# Export of a RecoFM to reco's model file, and putting it on a catalog.
#
# The file is safetensors (README, "Ranking models"): u64 little-endian header length, a JSON
# header whose __metadata__ "reco" holds the schema as a string, then the F32 tensors tiling
# the data area. It is written here directly (a few lines; Debian has no safetensors package)
# and checked against the engine's rules before it leaves: every value finite, shapes as the
# schema implies. BatchNorm is folded into the Linear before it, from the running statistics
# (W' = W * g, b' = (b - mean) * g + beta with g = gamma / sqrt(var + eps)), in double
# precision; dropout and ReLU need no weights. The file then scores as the module does in
# eval mode. read_model_file goes the other way (any reco model file to a BatchNorm-free RecoFM).
import json
import os
import struct
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import nn

from .fields import Field
from .model import RecoFM


def fold_mlp(mlp: nn.Sequential) -> List[Tuple[np.ndarray, np.ndarray]]:
    """The MLP as (weight [out, in], bias [out]) per layer, BatchNorm folded, in float64.
    Accepts Linear, BatchNorm1d (right after a Linear), ReLU (between layers) and Dropout."""
    layers: List[Tuple[np.ndarray, np.ndarray]] = []
    pending_relu = False
    for m in mlp:
        if isinstance(m, nn.Linear):
            if layers and not pending_relu:
                raise ValueError("two Linear layers without a ReLU between them")
            w = m.weight.detach().double().cpu().numpy()
            b = (m.bias.detach().double().cpu().numpy() if m.bias is not None
                 else np.zeros(w.shape[0]))
            layers.append((w, b))
            pending_relu = False
        elif isinstance(m, nn.BatchNorm1d):
            if not layers or pending_relu:
                raise ValueError("BatchNorm1d can be folded only right after a Linear")
            if m.running_mean is None or m.running_var is None:
                raise ValueError("BatchNorm1d without running statistics cannot be folded")
            mean = m.running_mean.detach().double().cpu().numpy()
            var = m.running_var.detach().double().cpu().numpy()
            gamma = (m.weight.detach().double().cpu().numpy() if m.weight is not None
                     else np.ones_like(mean))
            beta = (m.bias.detach().double().cpu().numpy() if m.bias is not None
                    else np.zeros_like(mean))
            g = gamma / np.sqrt(var + m.eps)
            w, b = layers[-1]
            layers[-1] = (w * g[:, None], (b - mean) * g + beta)
        elif isinstance(m, nn.ReLU):
            if not layers:
                raise ValueError("the MLP starts with a ReLU")
            pending_relu = True
        elif isinstance(m, nn.Dropout):
            continue
        else:
            raise ValueError(f"cannot export MLP layer {type(m).__name__}")
    if not layers or pending_relu or layers[-1][0].shape[0] != 1:
        raise ValueError("the MLP must end with a Linear(., 1)")
    return layers


def _f32(a, name: str) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().double().cpu().numpy()
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float64).astype("<f4"))
    if not np.isfinite(a).all():
        raise ValueError(f"tensor {name} has a non-finite value")
    return a


def model_tensors(model: RecoFM) -> Tuple[dict, Dict[str, np.ndarray]]:
    """The schema (a dict) and the tensors (name -> float32 array) of the model file."""
    tensors: Dict[str, np.ndarray] = {"bias": _f32(model.bias, "bias").reshape(1)}
    for f in model.fields:
        tensors["linear." + f.name] = _f32(model.linear_weight(f.name), "linear." + f.name)
        e = model.embed_weight(f.name)
        if e is not None:
            tensors["embed." + f.name] = _f32(e, "embed." + f.name)
    schema = {"format": "reco.fm", "version": 1, "output": model.output,
              "groups": [{"name": g, "dim": int(d)} for g, d in model.groups.items()
                         if any(f.group == g for f in model.fields)],
              "fields": [f.to_schema() for f in model.fields]}
    if model.mlp is not None:
        layers = fold_mlp(model.mlp)
        schema["mlp"] = {"inputs": [{"field": n, "part": p} for n, p in model.mlp_inputs],
                         "layers": [int(w.shape[0]) for w, _ in layers[:-1]]}
        for i, (w, b) in enumerate(layers):
            tensors[f"mlp.{i}.weight"] = _f32(w, f"mlp.{i}.weight")
            tensors[f"mlp.{i}.bias"] = _f32(b, f"mlp.{i}.bias")
    schema["trainer"] = "reco_torch"
    return schema, tensors


def model_file_bytes(schema: dict, tensors: Dict[str, np.ndarray],
                     metadata: Optional[Dict[str, str]] = None) -> bytes:
    """A safetensors file: the schema under __metadata__ "reco", tensors in the given order."""
    meta = {"reco": json.dumps(schema, separators=(",", ":"), allow_nan=False)}
    for k, v in (metadata or {}).items():
        if k == "reco":
            raise ValueError('metadata key "reco" is the schema')
        meta[k] = str(v)
    header: Dict[str, object] = {"__metadata__": meta}
    offset = 0
    for name, a in tensors.items():
        if name == "__metadata__":
            raise ValueError("a tensor cannot be named __metadata__")
        n = a.nbytes
        header[name] = {"dtype": "F32", "shape": [int(s) for s in a.shape],
                        "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(a.tobytes() for a in tensors.values())


def export_bytes(model: RecoFM, metadata: Optional[Dict[str, str]] = None) -> bytes:
    schema, tensors = model_tensors(model)
    return model_file_bytes(schema, tensors, metadata)


def export_file(model: RecoFM, path: str, metadata: Optional[Dict[str, str]] = None) -> int:
    """Writes the model file (beside the target, then renamed); returns its size."""
    data = export_bytes(model, metadata)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return len(data)


def read_model_file(data) -> RecoFM:
    """A reco model file (bytes or a path) as a RecoFM in eval mode, BatchNorm-free (a folded
    file has none): to fine-tune in torch a model trained elsewhere, e.g. by reco-rank."""
    if isinstance(data, str):
        with open(data, "rb") as f:
            data = f.read()
    if len(data) < 8:
        raise ValueError("model file: too short")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError("model file: header length exceeds the file")
    header = json.loads(data[8:8 + n])
    body = memoryview(data)[8 + n:]
    meta = header.pop("__metadata__", {})
    if "reco" not in meta:
        raise ValueError('model file: no __metadata__ "reco" schema')
    schema = json.loads(meta["reco"])
    tensors = {}
    for name, e in header.items():
        if e.get("dtype") != "F32":
            raise ValueError(f"model file: tensor {name} is not F32")
        b, end = e["data_offsets"]
        shape = [int(x) for x in e["shape"]]
        tensors[name] = torch.from_numpy(np.frombuffer(body[b:end], dtype="<f4").copy()).reshape(shape)
    groups = {g["name"]: int(g["dim"]) for g in schema.get("groups", [])}
    fields = []
    for j in schema["fields"]:
        kw = {k: j[k] for k in ("source", "vocab", "combiner", "mean", "std", "group") if k in j}
        e = tensors.get("embed." + j["name"])
        if e is not None and j.get("group") is None:
            kw["embed_dim"] = int(e.shape[1])
        fields.append(Field(j["name"], j["side"], j["kind"], **kw))
    mlp = schema.get("mlp")
    inputs = [(m["field"], m["part"]) for m in mlp["inputs"]] if mlp else []
    model = RecoFM(fields, groups, inputs, mlp.get("layers", []) if mlp else [], batch_norm=False,
                   output=schema.get("output", "sigmoid"))
    with torch.no_grad():
        model.bias.copy_(tensors["bias"].reshape(1))
        for f in fields:
            model.linear_weight(f.name).copy_(tensors["linear." + f.name])
            if model.embed_weight(f.name) is not None:
                model.embed_weight(f.name).copy_(tensors["embed." + f.name])
        if model.mlp is not None:
            for i, lin in enumerate(m for m in model.mlp if isinstance(m, nn.Linear)):
                lin.weight.copy_(tensors[f"mlp.{i}.weight"])
                lin.bias.copy_(tensors[f"mlp.{i}.bias"])
    model.eval()
    return model


def connect(url: Optional[str] = None, socket: Optional[str] = None):
    import redis  # python3-redis
    if socket:
        return redis.Redis(unix_socket_path=socket)
    return redis.Redis.from_url(url or "redis://localhost:6379")


def put(client, catalog: str, version: str, data: bytes, activate: bool = False):
    """RECO.MODEL.PUT (and ACTIVATE): the server validates the file and says why if it refuses."""
    args = ["RECO.MODEL.PUT", catalog, version, data]
    if activate:
        args.append("ACTIVATE")
    return client.execute_command(*args)


def score(client, catalog: str, user: str, items, model: Optional[str] = None,
          context: Optional[Dict[str, str]] = None) -> List[Optional[float]]:
    """RECO.SCORE for one user and its items; None for an item the catalog does not hold."""
    args = ["RECO.SCORE", catalog, user, len(items), *items]
    if model is not None:
        args += ["MODEL", model]
    if context:
        args += ["CONTEXT", len(context)]
        for k, v in context.items():
            args += [k, v]
    return [None if v is None else float(v) for v in client.execute_command(*args)]

