#!/usr/bin/python3
# How much is there to learn in RECO.RECOMMEND's candidate lists? A listwise ranker (softmax
# cross-entropy over each user's whole list, an MLP, PyTorch) trained on the lists reco-rank
# writes (--write-candidates), with the engine's candidate values alone and with two signals
# the request does not have: the item's popularity in the 60 days before the user's moment,
# and the cosine of the item to the mean of the user's last 10 training items (the
# training-part vectors, bias dimension dropped). Judged like reco-rank judges: NDCG@50 of
# the reordered lists of held-aside users (every 5th user id) against their next 10 items,
# next to the blend's order on the same lists. It bounds what a better loss or a bigger
# model could add over the candidate ranker, and what the two missing signals would.
#
#   build/reco-rank -p DIR --write-candidates /tmp/candidates.tsv
#   /usr/bin/python3 bench/candidate_signals.py /tmp/candidates.tsv DIR [--epochs 6]
import argparse
import bisect
import collections
import math

import numpy as np
import torch


def read_rows(path):
    with open(path) as f:
        next(f)
        for line in f:
            a = line.rstrip("\n").split("\t")
            yield int(a[0]), int(a[1]), int(a[4])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("candidates")
    ap.add_argument("prepared")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--window-days", type=float, default=60)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    with open(args.candidates) as f:
        header = f.readline().rstrip("\n").split("\t")
    names = header[3:]
    raw = np.genfromtxt(args.candidates, delimiter="\t", skip_header=1, dtype=np.float64,
                        missing_values="", filling_values=np.nan)
    user = raw[:, 0].astype(np.int64)
    item = raw[:, 1].astype(np.int64)
    label = raw[:, 2].astype(np.float32)
    values = raw[:, 3:]

    moment, next_items = {}, collections.defaultdict(set)
    for u, i, t in read_rows(f"{args.prepared}/test.tsv"):
        moment.setdefault(u, t)
        if len(next_items[u]) < 10:
            next_items[u].add(i)
    times, history = collections.defaultdict(list), collections.defaultdict(list)
    for u, i, t in read_rows(f"{args.prepared}/train.tsv"):
        times[i].append(t)
        history[u].append(i)
    for ts in times.values():
        ts.sort()
    window = args.window_days * 86400
    recent = np.array([math.log1p(bisect.bisect_left(times[i], moment[u]) -
                                  bisect.bisect_left(times[i], moment[u] - window))
                       for u, i in zip(user, item)])
    vec = np.load(f"{args.prepared}/train_part/item_factors.npy")[:, :-1]
    ids = [int(x) for x in open(f"{args.prepared}/train_part/item_ids.txt").read().split()]
    row = {i: r for r, i in enumerate(ids)}
    unit = vec / (np.linalg.norm(vec, axis=1, keepdims=True) + 1e-12)
    query = {}
    for u, h in history.items():
        rs = [row[i] for i in h[-10:] if i in row]
        if rs:
            m = unit[rs].mean(0)
            query[u] = m / (np.linalg.norm(m) + 1e-12)
    similar = np.array([unit[row[i]] @ query[u] if i in row and u in query else 0.0
                        for u, i in zip(user, item)])

    starts = np.r_[0, np.flatnonzero(np.diff(user)) + 1]
    ends = np.r_[starts[1:], len(user)]
    judge = np.array([user[s] % 5 == 0 for s in starts])
    width = int((ends - starts).max())
    discount = 1.0 / np.log2(np.arange(2, 52))

    def ndcg(scores, which):
        total, n = 0.0, 0
        for li in np.flatnonzero(which):
            s, e = starts[li], ends[li]
            top = np.argsort(-scores[s:e], kind="stable")[:50]
            rel = min(10, len(next_items[user[s]]))
            if rel == 0:
                continue
            total += (label[s:e][top] * discount[:len(top)]).sum() / discount[:rel].sum()
            n += 1
        return total / max(n, 1)

    def padded(features):
        x = np.zeros((len(starts), width, features.shape[1]), np.float32)
        y = np.zeros((len(starts), width), np.float32)
        mask = np.zeros((len(starts), width), bool)
        for li, (s, e) in enumerate(zip(starts, ends)):
            x[li, :e - s] = features[s:e]
            y[li, :e - s] = label[s:e]
            mask[li, :e - s] = True
        return torch.tensor(x), torch.tensor(y), torch.tensor(mask)

    def standard(cols):
        m = np.isnan(cols)
        filled = np.where(m, 0.0, cols)
        mu, sd = filled.mean(0), filled.std(0) + 1e-9
        return np.concatenate([(filled - mu) / sd, m[:, m.any(0)].astype(float)], 1)

    def run(title, features):
        torch.manual_seed(args.seed)
        x, y, mask = padded(standard(features))
        net = torch.nn.Sequential(torch.nn.Linear(x.shape[2], 32), torch.nn.ReLU(),
                                  torch.nn.Linear(32, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
        opt = torch.optim.Adam(net.parameters(), lr=args.lr)
        train = np.flatnonzero(~judge & (y.sum(1).numpy() > 0))
        rng = np.random.RandomState(args.seed)
        best = 0.0
        for _ in range(args.epochs):
            rng.shuffle(train)
            for b in range(0, len(train), 64):
                idx = torch.tensor(train[b:b + 64])
                out = net(x[idx]).squeeze(2).masked_fill(~mask[idx], -1e9)
                lp = torch.log_softmax(out, 1)
                loss = -((lp * y[idx]).sum(1) / y[idx].sum(1)).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            with torch.no_grad():
                out = net(x).squeeze(2).numpy()
            scores = np.concatenate([out[li, :e - s] for li, (s, e) in enumerate(zip(starts, ends))])
            best = max(best, ndcg(scores, judge))
        print(f"  {title:<58} NDCG@50 {best:.4f}  ({best / base:.3f}x the blend)", flush=True)

    base = ndcg(values[:, names.index("blend.score")], judge)
    print(f"{judge.sum()} judging lists of {len(starts)}, {len(user)} candidates; blend order NDCG@50 {base:.4f}")
    print(f"listwise MLP [32, 16], best of {args.epochs} epochs:")
    run("the engine's candidate values", values)
    run(f"+ the item's popularity in the {args.window_days:g} days before the moment",
        np.c_[values, recent])
    run("+ cosine to the user's last 10 training items", np.c_[values, similar])
    run("+ both", np.c_[values, recent, similar])


if __name__ == "__main__":
    main()
