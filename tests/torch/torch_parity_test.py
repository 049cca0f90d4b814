# Torch parity: a RecoFM trained in PyTorch scores the same in torch and through the live module.
#
# usage: /usr/bin/python3 torch_parity_test.py <path of reco.so>
#
# The model uses every part the exporter writes: two FM groups of different dims, categorical,
# multi (mean and sum) and dense fields on the user, item and context sides, id and terms
# sources, a field with an embedding of its own width outside any group, and an MLP with
# BatchNorm and dropout, trained a little so that BatchNorm's running statistics are not the
# identity. Its users, items and requests carry unknown values in every categorical and multi
# field, missing features, unparsable numbers and cold (absent) user keys. 4,000 (user, item,
# context) rows are scored by RECO.SCORE and by the torch forward pass in eval mode, for a
# sigmoid and a logit export; the largest difference must be below 1e-5. Two controls show the
# comparison can fail: the forward pass without BatchNorm, and the weights moved by 1e-4, both
# differ by far more. Finally the command line (reco-torch export --put --activate) puts a
# checkpoint on the catalog and the active version scores the same rows; read_model_file
# brings the exported file back into torch with the same scores.
import os
import random
import subprocess
import sys
import zlib

import live

live.require_packages()

import torch  # noqa: E402
from torch import nn  # noqa: E402

import reco_torch  # noqa: E402
from reco_torch import Field, RecoFM  # noqa: E402

TOL = 1e-5
CATALOG = "shop"


def fields():
    return [
        Field("user_id", "user", "categorical", source="id", vocab=[f"u{i}" for i in range(200)], group="a"),
        Field("gender", "user", "categorical", vocab=["F", "M"], group="a"),
        Field("age", "user", "dense", mean=35.0, std=12.0, group="b"),
        Field("langs", "user", "multi", vocab=["en", "fr", "de", "es"], combiner="sum", group="b"),
        Field("user_terms", "user", "multi", source="terms", vocab=[f"t{i}" for i in range(20)],
              embed_dim=3),
        Field("item_id", "item", "categorical", source="id", vocab=[f"i{i}" for i in range(300)], group="a"),
        Field("brand", "item", "categorical", source="feature:maker", vocab=[f"b{i}" for i in range(12)],
              group="b"),
        Field("genres", "item", "multi", vocab=[f"g{i}" for i in range(10)], group="a"),
        Field("price", "item", "dense", mean=20.0, std=5.0),
        Field("item_terms", "item", "multi", source="terms", vocab=[f"k{i}" for i in range(30)],
              combiner="sum", group="b"),
        Field("hour", "context", "categorical", vocab=[str(h) for h in range(24)], group="a"),
        Field("dist", "context", "dense", mean=3.0, std=2.0),
        Field("device", "context", "multi", vocab=["ios", "android", "web"], group="b"),
    ]


MLP_INPUTS = [("user_id", "embedding"), ("gender", "embedding"), ("age", "value"), ("age", "embedding"),
              ("user_terms", "embedding"), ("item_id", "embedding"), ("genres", "embedding"),
              ("price", "value"), ("hour", "embedding"), ("dist", "value"), ("device", "embedding")]


def make_data(rng):
    """Users and items as the server stores them, and the raw values the engine reads."""
    users = {}
    for i in range(250):  # u200..u249: ids outside the vocabulary
        feats, raw = [], {}
        g = rng.choice(["F", "M", "X", None])  # X: unknown; None: no feature
        if g:
            feats += ["gender", g]
            raw["gender"] = g
        a = rng.choice([str(rng.randint(15, 80)), f"+{rng.randint(15, 80)}", f"{rng.uniform(15, 80):.3f}",
                        "n/a", "1e400", None])
        if a is not None:
            feats += ["age", a]
            raw["age"] = a
        if rng.random() < 0.8:
            langs = "|".join(rng.choice(["en", "fr", "de", "es", "xx", "en"]) for _ in range(rng.randint(1, 3)))
            feats += ["langs", langs]
            raw["langs"] = langs
        terms = rng.sample([f"t{k}" for k in range(25)], rng.randint(0, 5))  # t20..t24 unknown
        raw["user_terms"] = terms
        users[f"u{i}"] = (feats, terms, raw)
    items = {}
    for i in range(400):  # i300..i399: ids outside the vocabulary
        feats, raw = [], {}
        if rng.random() < 0.9:
            b = f"b{rng.randint(0, 14)}"  # b12..b14 unknown
            feats += ["maker", b]
            raw["brand"] = b
        if rng.random() < 0.9:
            genres = "|".join(f"g{rng.randint(0, 11)}" for _ in range(rng.randint(1, 4)))  # g10, g11 unknown
            feats += ["genres", genres]
            raw["genres"] = genres
        p = rng.choice([f"{rng.uniform(1, 60):.2f}", "free", None, str(rng.randint(1, 60))])
        if p is not None:
            feats += ["price", p]
            raw["price"] = p
        terms = rng.sample([f"k{k}" for k in range(34)], rng.randint(0, 6))  # k30..k33 unknown
        raw["item_terms"] = terms
        items[f"i{i}"] = (feats, terms, raw)
    return users, items


def load_catalog(client, users, items):
    client.execute_command("RECO.CATALOG.CREATE", CATALOG, "DIM", 2)
    pipe = client.pipeline(transaction=False)
    for iid, (feats, terms, _) in items.items():
        args = ["RECO.ITEM.SET", CATALOG, iid, "VALUES", 2, 1.0, 0.5]
        if terms:
            args += ["TERMS", len(terms), *terms]
        if feats:
            args += ["FEATURES", len(feats) // 2, *feats]
        pipe.execute_command(*args)
    for uid, (feats, terms, _) in users.items():
        args = ["RECO.USER.SET", uid]
        if terms:
            args += ["TERMS", len(terms)]
            for t in terms:
                args += [t, 1.0]
        if feats:
            args += ["FEATURES", len(feats) // 2, *feats]
        pipe.execute_command(*args)
    pipe.execute()


def make_requests(rng, users, items, n_requests=200, per_request=20):
    """[(user key, items, context)] and the raw rows the torch side scores, in the same order."""
    requests, rows = [], []
    keys = list(users) + [f"ghost{i}" for i in range(30)]  # ghosts: keys that do not exist
    for _ in range(n_requests):
        user = rng.choice(keys)
        ctx = {}
        if rng.random() < 0.85:
            ctx["hour"] = str(rng.randint(0, 27))  # 24..27 unknown
        if rng.random() < 0.85:
            ctx["dist"] = rng.choice([f"{rng.uniform(0, 10):.2f}", "far"])
        if rng.random() < 0.7:
            ctx["device"] = "|".join(rng.choice(["ios", "android", "web", "tv"]) for _ in range(rng.randint(1, 2)))
        its = rng.sample(list(items), per_request)
        requests.append((user, its, ctx))
        for iid in its:
            raw = {"user_id": user, "item_id": iid}
            if user in users:
                raw.update(users[user][2])
            raw.update(items[iid][2])
            raw.update(ctx)
            rows.append(raw)
    return requests, rows


def train(model, rows, steps=150, batch=256):
    gen = torch.Generator().manual_seed(7)
    labels = torch.tensor([float((zlib.crc32((r["user_id"] + r["item_id"]).encode()) & 3) == 0) for r in rows])
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    model.train()
    for _ in range(steps):
        pick = torch.randint(0, len(rows), (batch,), generator=gen).tolist()
        x = model.encode([rows[i] for i in pick])
        loss = nn.functional.binary_cross_entropy(model(x), labels[pick])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()


def unknown_counts(model, rows):
    enc = model.encode(rows)
    out = {}
    for f in model.fields:
        if f.kind == "categorical":
            out[f.name] = int((enc[f.name] == 0).sum())
        elif f.kind == "multi":
            idx, w = enc[f.name]
            out[f.name] = int(((idx[:, 0] == 0) & (w[:, 0] > 0)).sum())  # no known value: row 0
    return out


def max_diff(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def main():
    module = sys.argv[1]
    rng = random.Random(13)
    torch.manual_seed(13)
    users, items = make_data(rng)
    requests, rows = make_requests(rng, users, items)
    model = RecoFM(fields(), {"a": 8, "b": 4}, MLP_INPUTS, [16, 8], batch_norm=True, dropout=0.1,
                   init_std=0.15)
    train(model, rows)
    with torch.no_grad():  # BatchNorm's affine part away from (1, 0), so folding it is visible
        for m in model.mlp:
            if isinstance(m, nn.BatchNorm1d):
                m.weight.mul_(torch.empty_like(m.weight).uniform_(0.5, 2.0))
                m.bias.add_(torch.empty_like(m.bias).uniform_(-0.5, 0.5))
    unknown = unknown_counts(model, rows)
    print(f"rows: {len(rows)} in {len(requests)} RECO.SCORE calls; rows whose value is out of the "
          f"vocabulary (multi: no known value): {unknown}")
    for name in ("user_id", "gender", "item_id", "brand", "hour", "langs", "user_terms", "genres",
                 "item_terms", "device"):
        assert unknown[name] > 0, f"no row has an unknown {name}"

    failures = []
    with live.Server(module) as srv:
        c = srv.client
        load_catalog(c, users, items)
        results = {}
        for output in ("sigmoid", "logit"):
            model.output = output
            reco_torch.put(c, CATALOG, output, reco_torch.export_bytes(model))
            want = model.score_rows(rows).tolist()
            got = live.score_requests(c, CATALOG, output, requests)
            d = max_diff(want, got)
            results[output] = (want, got)
            print(f"{output}: max |torch - RECO.SCORE| = {d:.3g} over {len(got)} rows "
                  f"(scores {min(want):.4g}..{max(want):.4g})")
            if d >= TOL:
                failures.append(f"{output}: max abs diff {d:.3g} >= {TOL}")

        # Controls: the same comparison notices a model that is slightly off.
        want, got = results["logit"]
        model.output = "logit"
        no_bn = RecoFM.from_config(model.config())
        no_bn.load_state_dict(model.state_dict())
        no_bn.mlp = nn.Sequential(*[m for m in model.mlp if not isinstance(m, nn.BatchNorm1d)])
        d_bn = max_diff(no_bn.score_rows(rows).tolist(), got)
        moved = RecoFM.from_config(model.config())
        moved.load_state_dict(model.state_dict())
        with torch.no_grad():
            for p in moved.parameters():
                p.add_(1e-4)
        d_moved = max_diff(moved.score_rows(rows).tolist(), got)
        print(f"controls: without BatchNorm {d_bn:.3g}, weights + 1e-4 {d_moved:.3g} (both must be >= {TOL})")
        if d_bn < TOL or d_moved < TOL:
            failures.append("a control model agrees with the server: the comparison cannot fail")

        # The file read back into torch (BatchNorm folded away) scores as the module did.
        back = reco_torch.read_model_file(reco_torch.export_bytes(model))
        d_back = max_diff(back.score_rows(rows).tolist(), want)
        print(f"read back: max diff {d_back:.3g} (logit)")
        if d_back >= TOL:
            failures.append(f"read_model_file: max diff {d_back:.3g}")

        # The one command: a checkpoint onto the catalog, activated.
        model.output = "sigmoid"
        ckpt = os.path.join(srv.dir, "model.pt")
        reco_torch.save(model, ckpt)
        tool = os.path.join(live.HERE, "..", "..", "loaders", "torch", "reco-torch")
        r = subprocess.run([sys.executable, tool, "export", ckpt, "-o", os.path.join(srv.dir, "m.safetensors"),
                            "--put", CATALOG, "cli", "--activate", "--socket", srv.sock],
                           capture_output=True, text=True)
        print("reco-torch:", r.stdout.strip(), r.stderr.strip())
        if r.returncode != 0:
            failures.append(f"reco-torch exited {r.returncode}")
        else:
            info = c.execute_command("RECO.MODEL.LIST", CATALOG)
            active = [v for v, s in info if s == b"active"]
            pipe = c.pipeline(transaction=False)
            for user, its, ctx in requests[:50]:
                args = ["RECO.SCORE", CATALOG, user, len(its), *its]
                if ctx:
                    args += ["CONTEXT", len(ctx)] + [x for kv in ctx.items() for x in kv]
                pipe.execute_command(*args)
            got = [float(v) for reply in pipe.execute() for v in reply]
            d = max_diff(results["sigmoid"][0][:len(got)], got)
            print(f"active version {active}: max diff {d:.3g} over {len(got)} rows")
            if active != [b"cli"] or d >= TOL:
                failures.append(f"the CLI's version: active {active}, max diff {d:.3g}")

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
