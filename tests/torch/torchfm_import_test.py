# torchfm import: a torchfm-layout DeepFM's state_dict, imported with its feature metadata,
# scores through the live module as the torchfm model's own forward pass does.
#
# usage: /usr/bin/python3 torchfm_import_test.py <path of reco.so>
#
# The DeepFM below is written for this test in torchfm's layout (one offset-indexed table for
# FeaturesLinear and one for FeaturesEmbedding, FM without weights, MultiLayerPerceptron as
# Linear/BatchNorm1d/ReLU/Dropout then Linear(., 1)), so its state_dict has torchfm's keys.
# Its weights and BatchNorm statistics are random. Case 1, categorical columns only: the
# state_dict goes through the command line (reco-torch torchfm ... --put --activate) and
# RECO.SCORE is compared with DeepFM.forward on index tensors, unknown values mapping to the
# metadata's "unknown" index. Case 2 adds a multi column (mean of its values' rows) and dense
# values after the embeddings in the MLP, through the Python API. Both within 1e-5.
import json
import os
import random
import subprocess
import sys

import live

live.require_packages()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import reco_torch  # noqa: E402

TOL = 1e-5
CATALOG = "films"


class FeaturesLinear(nn.Module):
    def __init__(self, field_dims):
        super().__init__()
        self.fc = nn.Embedding(sum(field_dims), 1)
        self.bias = nn.Parameter(torch.zeros((1,)))
        self.offsets = np.array((0, *np.cumsum(field_dims)[:-1]), dtype=np.int64)

    def forward(self, x):
        x = x + x.new_tensor(self.offsets).unsqueeze(0)
        return torch.sum(self.fc(x), dim=1) + self.bias


class FeaturesEmbedding(nn.Module):
    def __init__(self, field_dims, embed_dim):
        super().__init__()
        self.embedding = nn.Embedding(sum(field_dims), embed_dim)
        self.offsets = np.array((0, *np.cumsum(field_dims)[:-1]), dtype=np.int64)

    def forward(self, x):
        return self.embedding(x + x.new_tensor(self.offsets).unsqueeze(0))


class FactorizationMachine(nn.Module):
    def forward(self, x):  # [B, F, d] -> [B, 1]
        square_of_sum = torch.sum(x, dim=1) ** 2
        sum_of_square = torch.sum(x ** 2, dim=1)
        return 0.5 * torch.sum(square_of_sum - sum_of_square, dim=1, keepdim=True)


class MultiLayerPerceptron(nn.Module):
    def __init__(self, input_dim, embed_dims, dropout):
        super().__init__()
        layers = []
        for d in embed_dims:
            layers += [nn.Linear(input_dim, d), nn.BatchNorm1d(d), nn.ReLU(), nn.Dropout(p=dropout)]
            input_dim = d
        layers.append(nn.Linear(input_dim, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x):
        return self.mlp(x)


class DeepFM(nn.Module):
    def __init__(self, field_dims, embed_dim, mlp_dims, dropout, n_dense=0):
        super().__init__()
        self.field_dims = field_dims
        self.linear = FeaturesLinear(field_dims)
        self.fm = FactorizationMachine()
        self.embedding = FeaturesEmbedding(field_dims, embed_dim)
        self.embed_output_dim = len(field_dims) * embed_dim
        self.mlp = MultiLayerPerceptron(self.embed_output_dim + n_dense, mlp_dims, dropout)

    def forward(self, x):  # torchfm's: x LongTensor [B, F] of indices within each field
        embed_x = self.embedding(x)
        x = self.linear(x) + self.fm(embed_x) + self.mlp(embed_x.view(-1, self.embed_output_dim))
        return torch.sigmoid(x.squeeze(1))

    def forward_pooled(self, index_lists, dense):
        """The multi-hot extension: per row and field a list of indices, pooled by their mean
        (linear and embedding), dense values appended to the MLP input."""
        offsets = np.array((0, *np.cumsum(self.field_dims)[:-1]))
        lin_rows, emb_rows = [], []
        for row in index_lists:
            lin = self.linear.bias.clone()
            embs = []
            for f, idx in enumerate(row):
                g = torch.tensor([offsets[f] + i for i in idx], dtype=torch.long)
                if len(idx):
                    lin = lin + self.linear.fc(g).mean(0)
                    embs.append(self.embedding.embedding(g).mean(0))
                else:
                    embs.append(torch.zeros(self.embedding.embedding.weight.shape[1]))
            lin_rows.append(lin)
            emb_rows.append(torch.stack(embs))
        embed_x = torch.stack(emb_rows)
        z = torch.cat([embed_x.view(-1, self.embed_output_dim), dense], 1)
        x = torch.stack(lin_rows) + self.fm(embed_x) + self.mlp(z)
        return torch.sigmoid(x.squeeze(1))


def randomize(model):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.copy_(torch.randn_like(m.running_mean) * 0.5)
                m.running_var.copy_(torch.rand_like(m.running_var) * 2 + 0.2)
    model.eval()


def setup(client, rng):
    client.execute_command("RECO.CATALOG.CREATE", CATALOG, "DIM", 2)
    users, items = {}, {}
    pipe = client.pipeline(transaction=False)
    for i in range(120):
        occ = str(rng.randint(0, 5))
        users[f"u{i}"] = {"occupation": occ}
        pipe.execute_command("RECO.USER.SET", f"u{i}", "FEATURES", 1, "occupation", occ)
    for i in range(150):
        genres = "|".join(rng.sample(["Action", "Comedy", "Drama", "Horror", "Noir", "Western"], rng.randint(1, 3)))
        items[f"m{i}"] = {"genres": genres}
        pipe.execute_command("RECO.ITEM.SET", CATALOG, f"m{i}", "VALUES", 2, 1, 0, "FEATURES", 1, "genres", genres)
    pipe.execute()
    return users, items


def requests_and_rows(rng, users, items, with_dense):
    reqs, rows = [], []
    for _ in range(150):
        user = rng.choice(list(users))
        ctx = {"hour": str(rng.randint(0, 29))}  # 24..29: unknown hours
        if with_dense:
            ctx["temp"] = f"{rng.uniform(-5, 35):.1f}"
        its = rng.sample(list(items), 20)
        reqs.append((user, its, ctx))
        for it in its:
            rows.append({"user_id": user, "item_id": it, **users[user], **items[it], **ctx})
    return reqs, rows


def main():
    module = sys.argv[1]
    rng = random.Random(5)
    torch.manual_seed(5)
    failures = []
    # user ids u0..u89 are known (u90.. unknown, index 0); items m0..m99 known (unknown: last).
    meta1 = {"fields": [
        {"name": "user_id", "side": "user", "source": "id", "vocab": [None] + [f"u{i}" for i in range(90)],
         "unknown": 0},
        {"name": "occupation", "side": "user", "vocab": [str(k) for k in range(6)]},
        {"name": "item_id", "side": "item", "source": "id", "vocab": [f"m{i}" for i in range(100)] + ["<unk>"],
         "unknown": 100},
        {"name": "hour", "side": "context", "vocab": ["?"] + [str(h) for h in range(24)], "unknown": 0}]}
    with live.Server(module) as srv:
        c = srv.client
        users, items = setup(c, rng)

        # Case 1: plain torchfm, through the command line.
        dims = [len(f["vocab"]) for f in meta1["fields"]]
        tfm = DeepFM(dims, 6, [16, 8], 0.2)
        randomize(tfm)
        sd_path, meta_path = os.path.join(srv.dir, "deepfm.pt"), os.path.join(srv.dir, "meta.json")
        torch.save(tfm.state_dict(), sd_path)
        with open(meta_path, "w") as f:
            json.dump(meta1, f)
        print("state_dict keys:", ", ".join(tfm.state_dict().keys()))
        tool = os.path.join(live.HERE, "..", "..", "loaders", "torch", "reco-torch")
        r = subprocess.run([sys.executable, tool, "torchfm", sd_path, meta_path, "--put", CATALOG, "tf1",
                            "--activate", "--socket", srv.sock], capture_output=True, text=True)
        print("reco-torch:", r.stdout.strip(), r.stderr.strip())
        if r.returncode != 0:
            failures.append(f"reco-torch torchfm exited {r.returncode}")
        else:
            reqs, rows = requests_and_rows(rng, users, items, with_dense=False)
            x = torch.tensor([[idx[0] for idx in reco_torch.raw_to_torchfm(meta1, row)] for row in rows])
            unknown = int((x[:, 0] == 0).sum()), int((x[:, 2] == 100).sum()), int((x[:, 3] == 0).sum())
            with torch.no_grad():
                want = tfm(x).tolist()
            got = live.score_requests(c, CATALOG, "tf1", reqs)
            d = max(abs(a - b) for a, b in zip(want, got))
            print(f"case 1 (torchfm forward): max diff {d:.3g} over {len(got)} rows; rows with an "
                  f"unknown user id / item id / hour: {unknown}")
            if d >= TOL or min(unknown) == 0:
                failures.append(f"case 1: max diff {d:.3g}, unknown rows {unknown}")
            active = [v for v, s in c.execute_command("RECO.MODEL.LIST", CATALOG) if s == b"active"]
            if active != [b"tf1"]:
                failures.append(f"case 1: active versions {active}")
            # occupation has no "unknown" index: its row 0 is zeros.
            imported = reco_torch.import_torchfm(sd_path, meta_path)
            if imported.linear_weight("occupation")[0] != 0 or imported.embed_weight("occupation")[0].abs().sum() != 0:
                failures.append("case 1: occupation's out-of-vocabulary row is not zero")

        # Case 2: a multi column (genres, mean) and dense values (temp) in the MLP.
        meta2 = json.loads(json.dumps(meta1))
        meta2["fields"].insert(3, {"name": "genres", "side": "item", "kind": "multi", "combiner": "mean",
                                   "vocab": ["Action", "Comedy", "Drama", "Horror"]})  # Noir, Western unknown
        meta2["dense"] = [{"name": "temp", "side": "context", "mean": 15.0, "std": 10.0}]
        dims = [len(f["vocab"]) for f in meta2["fields"]]
        tfm2 = DeepFM(dims, 5, [12], 0.0, n_dense=1)
        randomize(tfm2)
        model2 = reco_torch.import_torchfm(tfm2.state_dict(), meta2)
        reco_torch.put(c, CATALOG, "tf2", reco_torch.export_bytes(model2))
        reqs, rows = requests_and_rows(rng, users, items, with_dense=True)
        lists = [reco_torch.raw_to_torchfm(meta2, row) for row in rows]
        dense = torch.tensor([[(float(row["temp"]) - 15.0) / 10.0] for row in rows])
        no_genre = sum(1 for li in lists if not li[3])
        with torch.no_grad():
            want = tfm2.forward_pooled(lists, dense).tolist()
            mine = model2.score_rows(rows).tolist()
        got = live.score_requests(c, CATALOG, "tf2", reqs)
        d = max(abs(a - b) for a, b in zip(want, got))
        d_mine = max(abs(a - b) for a, b in zip(want, mine))
        print(f"case 2 (multi + dense): max diff {d:.3g} (RecoFM import vs torchfm: {d_mine:.3g}) over "
              f"{len(got)} rows; {no_genre} rows with no known genre")
        if d >= TOL or d_mine >= TOL or no_genre == 0:
            failures.append(f"case 2: max diff {d:.3g} / {d_mine:.3g}, rows without a known genre {no_genre}")

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
