# Import of a torchfm-style model (the original pipeline's layout) into RecoFM / a reco model file.
#
# torchfm (pytorch-fm) keeps one table for all fields, indexed by field offset + value index:
#   linear.fc.weight [N, 1], linear.bias [1]            FeaturesLinear
#   embedding.embedding.weight [N, d]                   FeaturesEmbedding (FM uses no weights)
#   mlp.mlp.<i>.weight/bias (+ running_mean/var)        MultiLayerPerceptron: Linear, BatchNorm1d,
#                                                       ReLU, Dropout per layer, then Linear(., 1)
# with N = sum of the field dims and the MLP reading the embeddings flattened field by field.
# The state_dict knows nothing of raw values, so a metadata JSON names them, per column in
# the model's field order:
#   {"fields": [{"name", "side", "kind": "categorical"|"multi", "source", "vocab": [raw value
#                of index 0, 1, ...] (null for an index no raw value maps to), "unknown": <the
#                index unknown and missing values take; optional>, "combiner"}],
#    "dense": [{"name", "side", "source", "mean", "std"}]   optional: values the MLP reads after
#                                                            the embeddings (x = (raw-mean)/std)
#    "fm": true, "output": "sigmoid"|"logit", "prefix": {"linear", "embedding", "mlp"}}
# The per-field slices become RecoFM's per-field tables; reco's row 0 (out of vocabulary) is the
# row of the "unknown" index, or zeros (no linear weight, no embedding) when there is none.
# A multi column pools its known values' rows with its combiner, linear and embedding alike;
# unknown values are skipped (the engine's rule). All fields form one FM group of dim d.
import json
import re
from typing import Dict, List, Tuple

import torch
from torch import nn

from .fields import Field
from .model import RecoFM, torch_load


def _load_state_dict(obj, trust: bool = False) -> Dict[str, torch.Tensor]:
    if isinstance(obj, str):
        obj = torch_load(obj, trust)
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError("expected a state_dict (a dict of tensors)")
    return obj


def _take(sd: Dict[str, torch.Tensor], key: str) -> torch.Tensor:
    if key not in sd:
        raise ValueError(f"state_dict has no {key!r} (keys: {', '.join(sorted(sd)[:12])} ...)")
    return sd[key].detach().double()


def _mlp_layers(sd: Dict[str, torch.Tensor], prefix: str) -> List[Tuple[str, int, Dict]]:
    """[(kind "linear"|"bn", index, tensors)] in Sequential order."""
    pat = re.compile(re.escape(prefix) + r"\.(\d+)\.(\w+)$")
    by_index: Dict[int, Dict[str, torch.Tensor]] = {}
    for k, v in sd.items():
        m = pat.match(k)
        if m:
            by_index.setdefault(int(m.group(1)), {})[m.group(2)] = v.detach()
    out = []
    for i in sorted(by_index):
        t = by_index[i]
        if "running_mean" in t:
            out.append(("bn", i, t))
        elif "weight" in t and t["weight"].dim() == 2:
            out.append(("linear", i, t))
        else:
            raise ValueError(f"{prefix}.{i}: neither a Linear nor a BatchNorm1d")
    return out


def import_torchfm(state_dict, meta, trust: bool = False) -> RecoFM:
    """A RecoFM (eval mode) that scores raw values as the torchfm model scores their indices.
    state_dict: a dict of tensors, a module, or the path of a torch.save file (trust: allow any
    pickle in it); meta: the metadata dict or the path of its JSON file."""
    sd = _load_state_dict(state_dict, trust)
    if isinstance(meta, str):
        with open(meta) as f:
            meta = json.load(f)
    prefix = {"linear": "linear", "embedding": "embedding", "mlp": "mlp.mlp"}
    prefix.update(meta.get("prefix", {}))
    cols = meta.get("fields")
    if not cols:
        raise ValueError("metadata has no fields")
    lin = _take(sd, prefix["linear"] + ".fc.weight")
    lin_bias = _take(sd, prefix["linear"] + ".bias")
    emb = _take(sd, prefix["embedding"] + ".embedding.weight")
    if lin.dim() != 2 or lin.shape[1] != 1:
        raise ValueError(f"{prefix['linear']}.fc.weight has shape {list(lin.shape)}, expected [N, 1]")
    dims = [len(c.get("vocab", [])) for c in cols]
    total = sum(dims)
    if lin.shape[0] != total or emb.shape[0] != total:
        raise ValueError(f"the metadata's vocabularies hold {total} values in all, the state_dict's "
                         f"tables {lin.shape[0]} (linear) and {emb.shape[0]} (embedding) rows")
    d = int(emb.shape[1])
    use_fm = bool(meta.get("fm", True))

    fields: List[Field] = []
    slices = []  # per column: (reco row -> torchfm global index or None for zeros)
    offset = 0
    for c, n in zip(cols, dims):
        kind = c.get("kind", "categorical")
        if kind not in ("categorical", "multi"):
            raise ValueError(f"field {c.get('name')!r}: a torchfm column is categorical or multi")
        unk = c.get("unknown")
        if unk is not None and not 0 <= int(unk) < n:
            raise ValueError(f"field {c.get('name')!r}: unknown index {unk} is outside 0..{n - 1}")
        vocab, rows = [], [None if unk is None else offset + int(unk)]
        for j, v in enumerate(c["vocab"]):
            if unk is not None and j == int(unk):
                continue
            if v is None:
                continue
            vocab.append(str(v))
            rows.append(offset + j)
        f = Field(name=c["name"], side=c["side"], kind=kind, source=c.get("source"), vocab=vocab,
                  combiner=c.get("combiner", "mean"), group="fm" if use_fm else None,
                  embed_dim=d)
        fields.append(f)
        slices.append(rows)
        offset += n

    dense = [Field(name=c["name"], side=c["side"], kind="dense", source=c.get("source"),
                   mean=float(c.get("mean", 0.0)), std=float(c.get("std", 1.0)))
             for c in meta.get("dense", [])]

    layers = _mlp_layers(sd, prefix["mlp"])
    hidden, bns = [], []
    for kind, i, t in layers:
        if kind == "linear":
            hidden.append(t)
            bns.append(None)
        else:
            if not hidden or bns[-1] is not None:
                raise ValueError(f"{prefix['mlp']}.{i}: a BatchNorm1d must follow a Linear")
            bns[-1] = t
    mlp_inputs = []
    if hidden:
        mlp_inputs = [(f.name, "embedding") for f in fields] + [(f.name, "value") for f in dense]
        width = len(fields) * d + len(dense)
        if hidden[0]["weight"].shape[1] != width:
            raise ValueError(f"the MLP's first layer reads {hidden[0]['weight'].shape[1]} values; "
                             f"{len(fields)} fields x {d} + {len(dense)} dense = {width}")
        if hidden[-1]["weight"].shape[0] != 1 or bns[-1] is not None:
            raise ValueError("the MLP must end with a Linear(., 1)")
        with_bn = [b is not None for b in bns[:-1]]
        if any(with_bn) and not all(with_bn):
            raise ValueError("every hidden layer or none must have a BatchNorm1d")
        batch_norm = all(with_bn) and bool(with_bn)
    else:
        batch_norm = False
    if not use_fm and not hidden:
        raise ValueError("metadata says fm: false and the state_dict has no MLP")

    model = RecoFM(fields + dense, {"fm": d} if use_fm else {}, mlp_inputs,
                   [int(t["weight"].shape[0]) for t in hidden[:-1]], batch_norm=batch_norm,
                   output=meta.get("output", "sigmoid"))
    with torch.no_grad():
        model.bias.copy_(lin_bias.reshape(1).float())
        for f, rows in zip(fields, slices):
            w = torch.zeros(len(rows), dtype=torch.float64)
            e = torch.zeros(len(rows), d, dtype=torch.float64)
            for r, g in enumerate(rows):
                if g is not None:
                    w[r] = lin[g, 0]
                    e[r] = emb[g]
            model.linear_weight(f.name).copy_(w.float())
            model.embed_weight(f.name).copy_(e.float())
        for f in dense:
            model.linear_weight(f.name).zero_()
        if hidden:
            mods = [m for m in model.mlp if isinstance(m, (nn.Linear, nn.BatchNorm1d))]
            src = []
            for t, b in zip(hidden, bns):
                src.append(("linear", t))
                if b is not None:
                    src.append(("bn", b))
            for m, (kind, t) in zip(mods, src):
                if kind == "linear":
                    if m.weight.shape != t["weight"].shape:
                        raise ValueError("MLP layer shapes do not chain")
                    m.weight.copy_(t["weight"])
                    m.bias.copy_(t["bias"] if "bias" in t else torch.zeros_like(m.bias))
                else:
                    for name in ("weight", "bias", "running_mean", "running_var"):
                        if name in t:
                            getattr(m, name).copy_(t[name])
    model.eval()
    return model


def raw_to_torchfm(meta: dict, row: Dict[str, object]) -> List[List[int]]:
    """The torchfm indices (within each field) a raw row maps to, per field: categorical one
    index, multi the known values' indices; an unknown value takes the "unknown" index, or
    nothing when the field has none. For checking an import against the original model."""
    out = []
    for c in meta["fields"]:
        index = {str(v): j for j, v in enumerate(c["vocab"])
                 if v is not None and j != c.get("unknown")}
        raw = row.get(c["name"])
        if c.get("kind", "categorical") == "categorical":
            vals = [] if raw is None else [str(raw)]
        else:
            vals = [] if raw is None else (raw.split("|") if isinstance(raw, str) else list(raw))
        known = [index[str(v)] for v in vals if str(v) in index]
        if c.get("kind", "categorical") == "categorical":
            known = known[:1]
        if not known and c.get("unknown") is not None:
            known = [int(c["unknown"])]
        out.append(known)
    return out
