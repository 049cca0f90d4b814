# Fields of a reco ranking model and how raw values become model inputs.
#
# A Field is one entry of the model file's schema ("fields" in README's "Ranking models"),
# with the same names and defaults, so that a model built here exports to exactly the schema
# the engine reads. encode() turns raw values into the tensors RecoFM.forward takes, with the
# engine's rules for raw values: row 0 is out-of-vocabulary, a multi field keeps its known
# values only (row 0 once when none is known), a dense value that is missing or not a decimal
# number is the mean (x = 0). Training on encode()'s output is what makes the scores in
# torch and in the engine agree, unknown values included.
import math
import re
from dataclasses import dataclass, field as dc_field
from typing import Dict, List, Optional, Sequence

import torch

SIDES = ("user", "item", "context", "candidate")
# What a candidate field may read (README, "Candidate fields"): values recall computes per
# candidate; a row gives them under the field's name, like any raw value.
CANDIDATE_VALUES = ("vector.rank", "term.rank", "session.rank", "popular.rank", "vector.score",
                    "term.score", "session.score", "blend.score", "popularity", "age",
                    "user.popularity", "user.seen")
KINDS = ("categorical", "multi", "dense")
COMBINERS = ("mean", "sum")


@dataclass
class Field:
    name: str
    side: str
    kind: str
    source: Optional[str] = None      # "feature:<name>" (default), "id", "terms", "candidate:<value>"
    vocab: List[str] = dc_field(default_factory=list)
    combiner: str = "mean"            # multi only
    mean: float = 0.0                 # dense only
    std: float = 1.0                  # dense only
    group: Optional[str] = None       # FM group, None = linear term only
    embed_dim: Optional[int] = None   # embedding width of a field without a group (MLP input)

    def __post_init__(self):
        if not self.name:
            raise ValueError("a field needs a name")
        if self.side not in SIDES:
            raise ValueError(f"field {self.name!r}: side must be one of {SIDES}")
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name!r}: kind must be one of {KINDS}")
        if self.combiner not in COMBINERS:
            raise ValueError(f"field {self.name!r}: combiner must be mean or sum")
        src = self.source
        if self.side == "candidate":
            value = (src or "candidate:" + self.name)[len("candidate:"):]
            if not (src or "candidate:").startswith("candidate:") or value not in CANDIDATE_VALUES:
                raise ValueError(f"field {self.name!r}: a candidate field reads candidate:<value>, "
                                 f"one of {CANDIDATE_VALUES}")
            if self.kind != "dense" or self.group is not None or self.embed_dim is not None:
                raise ValueError(f"field {self.name!r}: a candidate field is dense, in no group, "
                                 "and enters the MLP by value only")
        elif src is not None and src.startswith("candidate:"):
            raise ValueError(f"field {self.name!r}: source {src} needs side candidate")
        elif src is not None and src not in ("id", "terms") and not src.startswith("feature:"):
            raise ValueError(f"field {self.name!r}: source must be feature:<name>, id or terms")
        if self.side == "context" and src not in (None, "feature:" + self.name):
            raise ValueError(f"field {self.name!r}: a context field takes no source")
        if src == "id" and self.kind != "categorical":
            raise ValueError(f"field {self.name!r}: source id needs kind categorical")
        if src == "terms" and self.kind != "multi":
            raise ValueError(f"field {self.name!r}: source terms needs kind multi")
        if self.kind == "dense":
            if self.vocab:
                raise ValueError(f"field {self.name!r}: a dense field takes no vocab")
            if not (math.isfinite(self.mean) and math.isfinite(self.std) and self.std > 0):
                raise ValueError(f"field {self.name!r}: mean must be finite and std > 0")
        self.vocab = [str(v) for v in self.vocab]
        if len(set(self.vocab)) != len(self.vocab):
            raise ValueError(f"field {self.name!r}: vocab has duplicate values")
        self._rows = {v: i + 1 for i, v in enumerate(self.vocab)}

    @property
    def rows(self) -> int:
        """Rows of its linear and embedding tables: V + 1 (row 0 = unknown), dense 1."""
        return 1 if self.kind == "dense" else len(self.vocab) + 1

    def row(self, raw) -> int:
        return self._rows.get(str(raw), 0)

    def to_schema(self) -> dict:
        j = {"name": self.name, "side": self.side, "kind": self.kind}
        if self.source is not None and self.side != "context":
            j["source"] = self.source
        if self.kind == "dense":
            j["mean"] = float(self.mean)
            j["std"] = float(self.std)
        else:
            j["vocab"] = list(self.vocab)
        if self.kind == "multi":
            j["combiner"] = self.combiner
        if self.group is not None:
            j["group"] = self.group
        return j

    @staticmethod
    def from_dict(d: dict) -> "Field":
        return Field(**d)

    def to_dict(self) -> dict:
        return {"name": self.name, "side": self.side, "kind": self.kind, "source": self.source,
                "vocab": list(self.vocab), "combiner": self.combiner, "mean": self.mean,
                "std": self.std, "group": self.group, "embed_dim": self.embed_dim}


# The engine's dense parse: an optional leading '+', then a decimal number (std::from_chars,
# general format); anything else, and a non-finite number, gives x = 0.
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_dense(raw) -> Optional[float]:
    if raw is None:
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        v = float(raw)
        return v if math.isfinite(v) else None
    s = str(raw)
    if s.startswith("+"):
        s = s[1:]
    if not _NUMBER.fullmatch(s):
        return None
    v = float(s)
    return v if math.isfinite(v) else None


def _values(f: Field, raw) -> List[str]:
    """The raw values of a multi field: a list as given, or a string split on '|'."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return raw.split("|")
    return [str(v) for v in raw]


def encode(fields: Sequence[Field], rows: Sequence[Dict[str, object]]) -> Dict[str, object]:
    """Raw values -> model inputs, one entry per field:
    categorical: LongTensor [B] of rows; multi: (LongTensor [B, L] rows, FloatTensor [B, L]
    weights, already divided by the count for "mean", 0 on padding); dense: FloatTensor [B]
    of x = (raw - mean) / std. A row is a dict field name -> raw value (missing = absent):
    categorical a string, multi a list of strings or an "a|b" string, dense a number or a
    string."""
    out = {}
    n = len(rows)
    for f in fields:
        if f.kind == "categorical":
            idx = [f.row(r[f.name]) if r.get(f.name) is not None else 0 for r in rows]
            out[f.name] = torch.tensor(idx, dtype=torch.long)
        elif f.kind == "dense":
            xs = []
            for r in rows:
                v = parse_dense(r.get(f.name))
                xs.append(0.0 if v is None else (v - f.mean) / f.std)
            out[f.name] = torch.tensor(xs, dtype=torch.float64).to(torch.float32)
        else:
            per_row = []
            for r in rows:
                known = [f.row(v) for v in _values(f, r.get(f.name))]
                known = [k for k in known if k]
                per_row.append(known if known else [0])
            width = max((len(k) for k in per_row), default=1)
            idx = torch.zeros((n, width), dtype=torch.long)
            w = torch.zeros((n, width), dtype=torch.float32)
            for i, k in enumerate(per_row):
                idx[i, :len(k)] = torch.tensor(k, dtype=torch.long)
                scale = 1.0 / len(k) if f.combiner == "mean" else 1.0
                w[i, :len(k)] = scale
            out[f.name] = (idx, w)
    return out
