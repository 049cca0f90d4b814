# RecoFM: reco's ranking model family as a torch module, to train in PyTorch and serve in reco.
#
# The parts are the ones the model file can hold (README, "Ranking models"): a global bias and
# one linear term per field (FeaturesLinear), FM groups that each have their own embedding size
# (a field belongs to at most one group; the pairwise term runs inside a group), and an optional
# MLP over chosen fields' embeddings and dense values, built like the original ranker's:
# Linear -> BatchNorm1d -> ReLU -> Dropout per hidden layer, then Linear(., 1). BatchNorm and
# dropout exist only for training: export.py folds BatchNorm's running statistics into the
# Linear before it (which is why BatchNorm must follow a Linear directly) and drops dropout.
#
# Tables are kept per field (not one offset table as torchfm does) because that is the file's
# layout: row 0 of each is the field's out-of-vocabulary row, which the engine uses for
# unknown and missing values; encode() (fields.py) produces exactly those rows.
import json
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from .fields import Field, encode

MlpInput = Tuple[str, str]  # (field name, "embedding" | "value")


class RecoFM(nn.Module):
    def __init__(self, fields: Sequence[Field], groups: Dict[str, int],
                 mlp_inputs: Optional[Sequence[MlpInput]] = None,
                 mlp_layers: Sequence[int] = (), batch_norm: bool = True, dropout: float = 0.0,
                 output: str = "sigmoid", init_std: float = 0.01):
        super().__init__()
        if output not in ("sigmoid", "logit"):
            raise ValueError("output must be sigmoid or logit")
        self.fields = list(fields)
        self.groups = dict(groups)
        self.output = output
        self.mlp_inputs = [tuple(m) for m in (mlp_inputs or [])]
        self.mlp_layers = [int(h) for h in mlp_layers]
        self.batch_norm = bool(batch_norm)
        self.dropout = float(dropout)
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique")
        self._index = {f.name: i for i, f in enumerate(self.fields)}
        for g, d in self.groups.items():
            if not 1 <= int(d) <= 4096:
                raise ValueError(f"group {g!r}: dim must be within 1..4096")
        emb_inputs = {n for n, part in self.mlp_inputs if part == "embedding"}
        for n, part in self.mlp_inputs:
            if n not in self._index:
                raise ValueError(f"mlp input names unknown field {n!r}")
            if part not in ("embedding", "value"):
                raise ValueError(f"mlp input {n!r}: part must be embedding or value")
            if part == "value" and self.fields[self._index[n]].kind != "dense":
                raise ValueError(f"mlp input {n!r}: part value needs a dense field")
        if len(set(self.mlp_inputs)) != len(self.mlp_inputs):
            raise ValueError("an mlp input is repeated")

        self.bias = nn.Parameter(torch.zeros(1))
        self.linear = nn.ParameterList()
        self.embed = nn.ParameterList()
        self._embed_of: Dict[str, int] = {}
        self._dim: Dict[str, int] = {}
        for f in self.fields:
            self.linear.append(nn.Parameter(torch.zeros(f.rows)))
            if f.group is not None:
                if f.group not in self.groups:
                    raise ValueError(f"field {f.name!r} names unknown group {f.group!r}")
                if f.embed_dim is not None and f.embed_dim != self.groups[f.group]:
                    raise ValueError(f"field {f.name!r}: embed_dim differs from its group's dim")
                d = int(self.groups[f.group])
            elif f.name in emb_inputs:
                if not f.embed_dim:
                    raise ValueError(f"field {f.name!r} feeds the MLP an embedding: it needs "
                                     "a group or an embed_dim")
                d = int(f.embed_dim)
            else:
                continue
            self._embed_of[f.name] = len(self.embed)
            self._dim[f.name] = d
            self.embed.append(nn.Parameter(torch.randn(f.rows, d) * init_std))

        self.mlp = None
        if self.mlp_inputs:
            width = sum(self._dim[n] if part == "embedding" else 1 for n, part in self.mlp_inputs)
            layers: List[nn.Module] = []
            for h in self.mlp_layers:
                layers.append(nn.Linear(width, h))
                if self.batch_norm:
                    layers.append(nn.BatchNorm1d(h))
                layers.append(nn.ReLU())
                if self.dropout > 0:
                    layers.append(nn.Dropout(self.dropout))
                width = h
            layers.append(nn.Linear(width, 1))
            self.mlp = nn.Sequential(*layers)

    # -- the pieces the exporter reads ------------------------------------------------------
    def field(self, name: str) -> Field:
        return self.fields[self._index[name]]

    def linear_weight(self, name: str) -> torch.Tensor:
        return self.linear[self._index[name]]

    def embed_weight(self, name: str) -> Optional[torch.Tensor]:
        i = self._embed_of.get(name)
        return None if i is None else self.embed[i]

    def config(self) -> dict:
        """What the constructor needs (with the state_dict: a checkpoint, see save/load)."""
        return {"fields": [f.to_dict() for f in self.fields], "groups": self.groups,
                "mlp_inputs": [list(m) for m in self.mlp_inputs], "mlp_layers": self.mlp_layers,
                "batch_norm": self.batch_norm, "dropout": self.dropout, "output": self.output}

    @staticmethod
    def from_config(cfg: dict) -> "RecoFM":
        return RecoFM([Field.from_dict(f) for f in cfg["fields"]], cfg["groups"],
                      [tuple(m) for m in cfg.get("mlp_inputs", [])], cfg.get("mlp_layers", []),
                      cfg.get("batch_norm", True), cfg.get("dropout", 0.0),
                      cfg.get("output", "sigmoid"))

    def encode(self, rows):
        return encode(self.fields, rows)

    # -- forward ----------------------------------------------------------------------------
    def _pool(self, f: Field, table: torch.Tensor, x) -> torch.Tensor:
        """[B, width] pooled rows of `table` ([rows, width]) for field f's input x."""
        if f.kind == "categorical":
            return table[x]
        if f.kind == "dense":
            return x.unsqueeze(1) * table[0].unsqueeze(0)
        idx, w = x
        return (table[idx] * w.unsqueeze(2)).sum(1)

    def forward(self, batch: Dict[str, object]) -> torch.Tensor:
        """Scores [B] (sigmoid, or the logit when output = "logit") of encoded rows."""
        logit = None
        emb: Dict[str, torch.Tensor] = {}
        for f in self.fields:
            x = batch[f.name]
            lin = self._pool(f, self.linear_weight(f.name).unsqueeze(1), x).squeeze(1)
            logit = lin if logit is None else logit + lin
            e = self.embed_weight(f.name)
            if e is not None:
                emb[f.name] = self._pool(f, e, x)
        logit = logit + self.bias
        for g in self.groups:
            members = [emb[f.name] for f in self.fields if f.group == g]
            if not members:
                continue
            s = torch.stack(members, 1)  # [B, F_g, d]
            logit = logit + 0.5 * (s.sum(1).pow(2).sum(1) - s.pow(2).sum((1, 2)))
        if self.mlp is not None:
            parts = []
            for n, part in self.mlp_inputs:
                parts.append(emb[n] if part == "embedding" else batch[n].unsqueeze(1))
            logit = logit + self.mlp(torch.cat(parts, 1)).squeeze(1)
        return torch.sigmoid(logit) if self.output == "sigmoid" else logit

    def score_rows(self, rows) -> torch.Tensor:
        """Scores of raw rows in eval mode (what RECO.SCORE should give for them)."""
        was = self.training
        self.eval()
        try:
            with torch.no_grad():
                return self.forward(self.encode(rows))
        finally:
            self.train(was)


def torch_load(path: str, trust: bool = False):
    """torch.load restricted to tensors and plain containers (a pickle can run code), unless the
    file is trusted."""
    import pickle
    if trust:
        return torch.load(path, map_location="cpu")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # a torch without weights_only (before 1.13)
        raise ValueError(f"{path}: this torch cannot load a file restricted to tensors; if the "
                         "file is trusted, load it with trust=True (--trust-pickle)")
    except pickle.UnpicklingError as e:
        raise ValueError(f"{path}: holds more than tensors and plain containers; if the file is "
                         f"trusted, load it with trust=True (--trust-pickle): {str(e)[-120:]}")


def save(model: RecoFM, path: str) -> None:
    """A checkpoint the command line reads: the config (as JSON text) and the state_dict."""
    torch.save({"reco_torch": 1, "config": json.dumps(model.config()),
                "state_dict": model.state_dict()}, path)


def load(path: str, trust: bool = False) -> RecoFM:
    ck = torch_load(path, trust)
    if not isinstance(ck, dict) or "config" not in ck or "state_dict" not in ck:
        raise ValueError(f"{path}: not a reco_torch checkpoint (reco_torch.save writes one)")
    cfg = ck["config"]
    m = RecoFM.from_config(json.loads(cfg) if isinstance(cfg, str) else cfg)
    m.load_state_dict(ck["state_dict"])
    m.eval()
    return m
