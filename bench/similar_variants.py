#!/usr/bin/python3
# Offline side check for bench/RESULTS.md ("Item-to-item"): next-item hit rate@10 of other
# item-to-item scores over the same trained vectors, on a random sample of held-out users
# (pure Python, standard library only, so it is slow: about 5 minutes for 600 users).
#   bench/similar_variants.py <prepared dir> [users] [seed]
# Same definitions as `reco-eval similar`: the list of each user's last item before the
# held-out part (latest time, ties to the later row of train.tsv + test.tsv), a hit when it
# holds any of the user's held-out items; the query item itself is never listed.
import array, math, random, struct, sys

d = sys.argv[1].rstrip('/') + '/'
sample = int(sys.argv[2]) if len(sys.argv) > 2 else 600
random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
raw = open(d + 'item_factors.npy', 'rb').read()
hl = struct.unpack('<H', raw[8:10])[0]
hdr = raw[10:10 + hl].decode()
assert "'<f4'" in hdr and 'False' in hdr, hdr
ids = [l.strip() for l in open(d + 'item_ids.txt')]
n = len(ids)
dim = int(hdr.split('shape')[1].split(',')[1].strip(' )'))
a = array.array('f')
a.frombytes(raw[10 + hl:10 + hl + n * dim * 4])
T = [a[i * dim:(i + 1) * dim - 1] for i in range(n)]  # taste dims
B = [a[(i + 1) * dim - 1] for i in range(n)]          # the bias (last dim)
N = [math.sqrt(sum(x * x for x in t)) for t in T]
idx = {s: i for i, s in enumerate(ids)}
pop = {l.split('\t')[0]: float(l.split('\t')[3]) for l in open(d + 'items.tsv').readlines()[1:]}


def rows(fn):
    return [(f[0], f[1], int(f[4])) for f in (l.split('\t') for l in open(d + fn).readlines()[1:])]


last, later = {}, {}
for u, i, t in rows('train.tsv') + rows('test.tsv'):
    if u not in last or t >= last[u][1]:
        last[u] = (i, t)
for u, i, t in rows('holdout.tsv'):
    later.setdefault(u, set()).add(i)
users = random.sample(sorted(u for u in later if u in last), sample)
by_pop = sorted(range(n), key=lambda j: -pop[ids[j]])
cache = {}


def dots(q):
    if q not in cache:
        cache[q] = [sum(x * y for x, y in zip(T[q], T[j])) for j in range(n)]
    return cache[q]


def hr(score):
    h = 0
    for u in users:
        q = idx[last[u][0]]
        s = score(q)
        s[q] = -1e30
        h += any(ids[j] in later[u] for j in sorted(range(n), key=lambda j: -s[j])[:10])
    return h / len(users)


p = sum(any(ids[j] in later[u] for j in [x for x in by_pop if x != idx[last[u][0]]][:10]) for u in users)
print(f'{len(users)} users; popularity HR@10 {p / len(users):.4f}', flush=True)
variants = [
    ('cosine over the taste dims (RECO.SIMILAR)', lambda q: [dots(q)[j] / (N[q] * N[j] + 1e-9) for j in range(n)]),
    ('inner product with the bias (old SIMILAR)', lambda q: [dots(q)[j] + B[q] * B[j] for j in range(n)]),
    ('inner product, bias zeroed', lambda q: dots(q)),
    ('item as a user: [q_i, 1] . [q_j, b_j]', lambda q: [dots(q)[j] + B[j] for j in range(n)]),
]
for w in (0.1, 0.2, 0.4):
    variants.append((f'cosine + {w} b_j', lambda q, w=w: [dots(q)[j] / (N[q] * N[j] + 1e-9) + w * B[j] for j in range(n)]))
for name, f in variants:
    print(f'{name:<45} HR@10 {hr(f):.4f}', flush=True)
