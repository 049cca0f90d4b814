#!/usr/bin/env bash
# Per-call server time (INFO commandstats usec_per_call) of three cheap RECO.* commands for two
# builds of reco.so, in alternating rounds: the fixed cost every call pays in the glue (argument
# copy, ACL checks, call statistics, change watch). Server on CPU 0, redis-benchmark on CPU 1.
# usage: bench/call_overhead.sh OLD.so NEW.so [rounds] [requests per command]
set -euo pipefail
old=$1 new=$2 rounds=${3:-3} n=${4:-50000}
port=6411
run() {
  local so=$1 label=$2 dir; dir=$(mktemp -d)
  taskset -c 0 redis-server --port $port --dir "$dir" --save "" --appendonly no --loadmodule "$so" --daemonize yes --logfile "$dir/log" >/dev/null
  for _ in $(seq 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p $port RECO.CATALOG.CREATE c DIM 2 >/dev/null
  for i in $(seq 1 1000); do echo "RECO.ITEM.SET c i$i VALUES 2 0.$i 1"; done | redis-cli -p $port >/dev/null
  redis-cli -p $port RECO.USER.SET u VALUES 2 1 0 SEEN 1 i1 >/dev/null
  redis-cli -p $port CONFIG RESETSTAT >/dev/null
  taskset -c 1 redis-benchmark -p $port -q -n $n -c 1 RECO.ITEM.GET c i1 >/dev/null
  taskset -c 1 redis-benchmark -p $port -q -n $n -c 1 RECO.ITEM.SET c i1 POPULARITY 5 >/dev/null
  taskset -c 1 redis-benchmark -p $port -q -n $n -c 1 RECO.USER.SEEN.HAS u i1 >/dev/null
  taskset -c 1 redis-benchmark -p $port -q -n $n -c 1 PING >/dev/null
  echo "$label $(redis-cli -p $port INFO commandstats | grep -E 'reco.item.get|reco.item.set|reco.user.seen.has|cmdstat_ping' | sed -E 's/cmdstat_([^:]*):calls=[0-9]+,usec=[0-9]+,usec_per_call=([0-9.]+).*/\1=\2/' | tr '\r\n' '  ')"
  redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}
for r in $(seq $rounds); do
  if (( r % 2 )); then run "$old" old; run "$new" new; else run "$new" new; run "$old" old; fi
done
