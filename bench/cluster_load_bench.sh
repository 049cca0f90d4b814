#!/usr/bin/env bash
# reco-load into one node and into a loopback cluster of 3 masters + 3 replicas, in
# alternating rounds, on the same random data: N items x D (INDEX FLAT) and U users x D,
# factor files written once. One node gets everything; in the cluster every master gets the
# items (catalogs are node-level) and a third of the users (by slot), loaded in parallel.
# Prints, per round: items and users seconds and records/s as reco-load reports them, and the
# wall time of the whole load; then --check on the cluster.
# usage: bench/cluster_load_bench.sh BUILD_DIR [items] [users] [dim] [rounds]
set -euo pipefail
build=$(cd "$1" && pwd) items=${2:-100000} users=${3:-300000} dim=${4:-32} rounds=${5:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/cluster-load.XXXXXX")
trap 'for p in 7101 7201 7202 7203 7204 7205 7206; do redis-cli -p $p shutdown nosave >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
/usr/bin/python3 - "$work" "$items" "$users" "$dim" <<'PY'
import sys, numpy as np
d, n, u, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(7)
np.save(f"{d}/item_factors.npy", rng.standard_normal((n, k), dtype=np.float32))
np.save(f"{d}/user_factors.npy", rng.standard_normal((u, k), dtype=np.float32))
open(f"{d}/item_ids.txt", "w").write("".join(f"i{i}\n" for i in range(n)))
open(f"{d}/user_ids.txt", "w").write("".join(f"{i}\n" for i in range(u)))
PY
start() {  # port [cluster]
  mkdir -p "$work/n$1" && rm -rf "$work/n$1"/*
  (cd "$work/n$1" && redis-server --port "$1" --save "" --appendonly no --loadmodule "$build/reco.so" \
    ${2:+--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000} --daemonize yes --logfile log)
  for _ in $(seq 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
load() {  # port label
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$("$build/reco-load" --item-vectors "$work/item_factors.npy" --item-ids "$work/item_ids.txt" \
    --user-vectors "$work/user_factors.npy" --user-ids "$work/user_ids.txt" -P "$1" --index FLAT --progress never)
  t1=$(date +%s.%N)
  echo "$2: wall $(echo "$t1 - $t0" | bc) s"
  echo "$out" | grep -E "^(items|users)" | sed 's/^/  /'
}
one_node() {
  start 7101; load 7101 "one node"; redis-cli -p 7101 shutdown nosave >/dev/null
}
cluster() {
  for p in 7201 7202 7203 7204 7205 7206; do start $p cluster; done
  redis-cli --cluster create 127.0.0.1:7201 127.0.0.1:7202 127.0.0.1:7203 127.0.0.1:7204 127.0.0.1:7205 \
    127.0.0.1:7206 --cluster-replicas 1 --cluster-yes >/dev/null
  for _ in $(seq 100); do
    [ "$(redis-cli -p 7201 cluster nodes | grep -c slave)" = 3 ] && redis-cli -p 7201 cluster info | grep -q state:ok && break
    sleep 0.2
  done
  sleep 2
  load 7201 "3 masters + 3 replicas"
  "$build/reco-load" -P 7201 --check | tail -1 | sed 's/^/  check: /'
  for p in 7201 7202 7203 7204 7205 7206; do redis-cli -p $p shutdown nosave >/dev/null; done
}
echo "# $items items x $dim (FLAT), $users users x $dim; $(nproc) CPUs; $rounds rounds"
for r in $(seq "$rounds"); do
  if (( r % 2 )); then one_node; cluster; else cluster; one_node; fi
done
