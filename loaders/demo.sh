#!/usr/bin/env bash
# The whole offline-to-online path in one command: installs what is missing,
# builds reco.so and the loader tools, starts a redis-server with the module on
# a free port in a temp dir, generates a MovieLens-1M-shaped data set (or reads
# your MovieLens files with --data), splits it in time, trains the next-item
# vectors (and fits the catalog blend) and the original logistic vectors, loads
# both (catalogs movies and movies_lmf), trains the ranking stage on RECOMMEND's own
# candidates (linear + FM + MLP with the candidate fields) and puts it on the catalog, shows recommendations, similar titles and a
# cold-start session, judges the similar-item lists (next-item hit rate, genre
# overlap, coverage against popularity and the old inner product), evaluates what is served (ranked by the model, the unranked
# blend, next-item vectors, original vectors, popularity) and leaves the server
# running for you (or stops it with --stop). Every tool runs with its own
# defaults, the commands of the README's "Offline tools" section; --dim and
# --epochs, when given, are passed to reco-train.
#
#   loaders/demo.sh [--data DIR] [--users N] [--items N] [--ratings N] [--seed N]
#                   [--dim N] [--epochs N] [--port N] [--stop] [--build-dir DIR]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
data_dir="" users=6040 items=3706 ratings=1000209 seed=42 dim="" epochs="" port="" stop=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data_dir=$(cd "$2" && pwd); shift 2 ;;
    --users) users=$2; shift 2 ;;
    --items) items=$2; shift 2 ;;
    --ratings) ratings=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --dim) dim=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --stop) stop=1; shift ;;
    --build-dir) build=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

start_time=$(date +%s)
step() { printf '\n\033[1m== %s\033[0m  (%ss)\n' "$1" "$(( $(date +%s) - start_time ))"; }

step "dependencies"
"$root/tests/deps.sh"
echo "ok"

step "build (reco.so and the loader tools only)"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build/demo-configure.log" 2>&1 ||
  { cat "$build/demo-configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target reco reco-offline 2>&1 |
  grep -E "error|Built target reco" || true
for t in reco.so reco-data reco-train reco-load reco-eval reco-show reco-rank; do
  [ -e "$build/$t" ] || { echo "demo.sh: $build/$t was not built" >&2; exit 1; }
done

step "redis-server with the module"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/reco-demo.XXXXXX")
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -z "$port" ]; then
  for _ in $(seq 50); do
    port=$(( 20000 + RANDOM % 40000 ))
    port_in_use "$port" || break
  done
fi
port_in_use "$port" && { echo "demo.sh: port $port is in use" >&2; exit 1; }
redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --save "" --appendonly no \
  --loadmodule "$build/reco.so" --daemonize yes --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
for _ in $(seq 100); do redis-cli -p "$port" ping > /dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping > /dev/null 2>&1 || { echo "demo.sh: redis-server did not start:" >&2; tail "$tmp/redis.log" >&2; exit 1; }
stop_server() { redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || true; }
trap 'echo "demo.sh: failed; stopping the server"; stop_server' ERR
echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on port $port, dir $tmp, module: $(redis-cli -p "$port" module list | sed -n 2p)"

work="$build/demo"
mkdir -p "$work"
if [ -n "$data_dir" ]; then
  raw="$data_dir"
  step "data: MovieLens files in $raw"
else
  raw="$work/raw"
  step "data: generate a MovieLens-1M-shaped set ($users users, $items items, ~$ratings ratings, seed $seed)"
  "$build/reco-data" generate -o "$raw" --users "$users" --items "$items" --ratings "$ratings" --seed "$seed"
fi

step "split in time, point-in-time genre terms"
prep="$work/prepared"
"$build/reco-data" prepare -d "$raw" -o "$prep"

step "train next-item vectors (BPR with item bias; reco-train's defaults${dim:+, dim $dim}${epochs:+, $epochs epochs}) and fit the catalog blend"
train_args=()
[ -n "$dim" ] && train_args+=(--dim "$dim")
[ -n "$epochs" ] && train_args+=(--epochs "$epochs")
"$build/reco-train" -p "$prep" "${train_args[@]}" --seed "$seed"

step "train the original logistic vectors (like vs. dislike among rated items), for comparison"
"$build/reco-train" -p "$prep" -o "$prep/logistic" --objective logistic --seed "$seed" --blend none -q

step "bulk load into the module (catalog movies: next-item vectors; movies_lmf: logistic vectors)"
"$build/reco-load" -p "$prep" -P "$port" --drop
"$build/reco-load" -p "$prep/logistic" --items "$prep/items.tsv" --users "$prep/users.tsv" -P "$port" --drop \
  --catalog movies_lmf --user-prefix lmf:user: --progress never

step "train the ranking stage on RECOMMEND's own candidates (reco-rank's defaults) and put it on the catalog"
"$build/reco-rank" -p "$prep" --seed "$seed"
redis-cli -p "$port" -x RECO.MODEL.PUT movies rank1 < "$prep/rank_model.safetensors"
redis-cli -p "$port" RECO.MODEL.INFO movies rank1 | paste - - | sed -n '1,12p'

# A few users, the most popular titles, and a session of family films, picked from the files.
# (sed -n rather than head: head would close the pipe early and trip pipefail.)
show_users=$(cut -f1 "$prep/users.tsv" | sed -n '2,4p' | tr '\n' ' ')
top_items=$(tail -n +2 "$prep/items.tsv" | sort -t$'\t' -k4,4gr -k1,1 | sed -n '1,3p' | cut -f1 | tr '\n' ' ')
session=$(tail -n +2 "$prep/items.tsv" | awk -F'\t' '$3 ~ /Animation|Children/' | sort -t$'\t' -k4,4gr -k1,1 |
  sed -n '1,2p' | cut -f1 | tr '\n' ' ')
[ -n "$session" ] || session=$top_items

step "recommendations (RECO.RECOMMEND ... EXPLAIN)"
# shellcheck disable=SC2086
"$build/reco-show" -p "$prep" -P "$port" recommend $show_users

step "similar titles (RECO.SIMILAR)"
# shellcheck disable=SC2086
"$build/reco-show" -p "$prep" -P "$port" -k 5 similar $top_items

step "item-to-item: RECO.SIMILAR (cosine without the bias dimension) vs the old inner product and popularity"
show_items=""
for i in $session; do show_items="$show_items --show-item $i"; done
# shellcheck disable=SC2086
"$build/reco-eval" similar -p "$prep" -P "$port" -k 10 --show 2 $show_items

step "cold start: a visitor with no profile, browsing"
# shellcheck disable=SC2086
"$build/reco-show" -p "$prep" -P "$port" session $session

step "evaluation on the held-out last 10 ratings per user (top 50)"
"$build/reco-eval" -p "$prep" -P "$port" -k 50 --original-catalog movies_lmf --original-prefix lmf:user: \
  --model rank1 --record "$prep/train_log.json"

step "run records of what was shipped (train_log.json: the vectors; rank_model.json and RECO.MODEL.INFO: the model)"
redis-cli -p "$port" --raw RECO.MODEL.INFO movies rank1 | paste - - | sed -n 's/^run\t//p' > "$tmp/served_run.json"
/usr/bin/python3 - "$prep/train_log.json" "$prep/rank_model.json" "$tmp/served_run.json" <<'PY'
import json, sys
names = ["vectors (train_log.json)", "ranking model (rank_model.json)", "rank1 as served (RECO.MODEL.INFO run)"]
for name, path in zip(names, sys.argv[1:]):
    r = json.load(open(path))
    line = f"{name:<40} {r['tool']} {r['version']}, data {r['data_digest']}"
    if "test_auc" in r:
        line += f", test AUC {r['test_auc']:.4f}"
    if "judge_ndcg" in r:
        line += f", judging NDCG@50 {r['judge_ndcg']:.4f} (blend {r['judge_blend_ndcg']:.4f})"
    for e in r.get("evaluations", []):
        for row in e["rows"]:
            if row.get("method", "").startswith("reco RECO.RECOMMEND"):
                line += f"; served NDCG@50 {row['ndcg']:.4f} ({row['method']})"
    print(line)
PY

trap - ERR
step "done"
if [ "$stop" -eq 1 ]; then
  stop_server
  echo "server stopped"
else
  cat <<EOT
The server keeps running with everything loaded:
  redis-cli -p $port
  127.0.0.1:$port> RECO.CATALOG.INFO movies
  127.0.0.1:$port> RECO.RECOMMEND movies user:1 10 WITHSCORES
  127.0.0.1:$port> RECO.SIMILAR movies $(echo "$top_items" | cut -d' ' -f1) 5
  127.0.0.1:$port> RECO.USER.GET user:1
Titles, genres and held-out ratings are in $prep (items.tsv, users.tsv, holdout.tsv).
Stop it with:  redis-cli -p $port shutdown nosave     (server files: $tmp)
EOT
fi
