#!/usr/bin/python3
# Offline side check for bench/RESULTS.md ("Item-to-item"): does the generated data carry an
# item-to-item signal that beats popularity at all? Classic item-kNN from the ratings
# themselves (no vectors): for each sampled held-out user's last item before the held-out
# part, the 10 items most often co-rated with it (cosine-normalised counts), or rated within
# the next W ratings of the same users (a sequential co-occurrence). Standard library only.
#   bench/similar_cooccurrence.py <prepared dir> [users] [seed]
# Definitions as in `reco-eval similar` (hit: any held-out item among the first 10).
import collections, math, random, sys

d = sys.argv[1].rstrip('/') + '/'
sample = int(sys.argv[2]) if len(sys.argv) > 2 else 600
random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
def rows(fn):
    return [(f[0], f[1], int(f[4])) for f in (l.split('\t') for l in open(d + fn).readlines()[1:])]
before=rows('train.tsv')+rows('test.tsv')
hist=collections.defaultdict(list)
for k,(u,i,t) in enumerate(before): hist[u].append((t,k,i))
for u in hist: hist[u].sort()
last={u:h[-1][2] for u,h in hist.items()}
later=collections.defaultdict(set)
for u,i,t in rows('holdout.tsv'): later[u].add(i)
pop=collections.Counter(i for u,i,t in before)

users=random.sample(sorted(u for u in later if u in last),sample)
raters=collections.defaultdict(list)
for u,h in hist.items():
    for p,(t,k,i) in enumerate(h): raters[i].append((u,p))
def hr(lists):
    return sum(any(j in later[u] for j in lists[u]) for u in users)/len(users)
popl=[i for i,_ in pop.most_common(12)]
print(f'{len(users)} users; popularity', hr({u:[i for i in popl if i!=last[u]][:10] for u in users}))
for name,window in (('co-rated (any time), cosine-normalised',None),('rated within the next 20 ratings',20),('within next 50',50)):
    lists={}
    for u in users:
        q=last[u]; c=collections.Counter()
        for v,p in raters[q]:
            h=hist[v]
            rng=h if window is None else h[p+1:p+1+window]
            for t,k,j in rng:
                if j!=q: c[j]+=1
        if window is None:
            sc={j:n/math.sqrt(pop[j]*pop[q]) for j,n in c.items()}
        else:
            sc=c
        lists[u]=sorted(sc,key=lambda j:-sc[j])[:10]
    print(name, hr(lists), flush=True)
