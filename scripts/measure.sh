#!/bin/bash
# The figures of docs/PERFORMANCE.md: seed 1M three times, then create/read/list on 100k
# tickets and list at 1k and 1M with the load command, start time and idle RSS.
# Usage: scripts/measure.sh [binary] [work dir]. Takes about 5 minutes and 3 GB of disk.
# scripts/measure.sh postgres [binary] [server URL] [work dir] measures PostgreSQL instead (below).
set -u
if [ "${1:-}" = postgres ]; then
  # scripts/measure.sh postgres [binary] [server URL without database] [work dir]: the PostgreSQL figures.
  # A fresh database sahayak_measure seeded with 100k tickets; then, three rounds, one node and two nodes
  # (the 50 clients split between them) on the same database: create, read, list, 5 s each. Every
  # two-node create run also reads the events table as a durable consumer (--check-events) and fails
  # unless each created ticket's event was read exactly once. About 8 minutes (half of it the consumers catching up).
  B=${2:-$PWD/sahayak}
  S=${3:-postgres://postgres@127.0.0.1:5432}
  W=${4:-/tmp/sahayak-measure-pg}
  U="$S/sahayak_measure?sslmode=disable"
  mkdir -p $W
  psql "$S/postgres" -qc "DROP DATABASE IF EXISTS sahayak_measure" -c "CREATE DATABASE sahayak_measure"
  $B seed --database-url "$U" --data $W/d --tickets 100000 | tail -1
  echo "a long password" | $B admin create --database-url "$U" --data $W/d --email bench@example.com --name Bench --role admin >/dev/null
  T=$($B token create --database-url "$U" --data $W/d --email bench@example.com | tail -1)
  node() { $B serve --database-url "$U" --data $W/d --addr 127.0.0.1:$1 --api-rate-limit 0 > $W/s$1.log 2>&1 & echo $!; }
  # The durable consumers (SLA, search, reports, accounts, surveys, ...) first read the seed's whole history; measure
  # the steady state, once every cursor stands on the last event (a few minutes for 100k tickets).
  P0=$(node 18320)
  until [ "$(psql "$U" -tAc "SELECT (SELECT min(event_id) FROM event_cursors) >= (SELECT max(id) FROM events)")" = t ]; do sleep 5; done
  kill $P0; sleep 2
  for i in 1 2 3; do
    P1=$(node 18320); sleep 2
    for s in create read list; do echo -n "1 node  "; $B load --url http://127.0.0.1:18320 --token $T --scenario $s --duration 5s | tail -1; done
    P2=$(node 18321); sleep 2
    echo -n "2 nodes "; $B load --url http://127.0.0.1:18320 --url http://127.0.0.1:18321 --token $T --scenario create --duration 5s --check-events --database-url "$U" | tr '\n' ' '; echo
    for s in read list; do echo -n "2 nodes "; $B load --url http://127.0.0.1:18320 --url http://127.0.0.1:18321 --token $T --scenario $s --duration 5s | tail -1; done
    kill $P1 $P2; sleep 2
  done
  exit 0
fi
# Builds nothing: pass the binary (default ./sahayak, e.g. go build -o sahayak ./cmd/sahayak).
B=${1:-$PWD/sahayak}
W=${2:-/tmp/sahayak-measure}
mkdir -p $W
cd $W
echo "== seed 1M x3"
for i in 1 2 3; do rm -rf $W/M1; /usr/bin/time -f "%e s, %M KB maxrss" $B seed --data $W/M1 --tickets 1000000 2>&1 | tail -2 | tr '\n' ' '; echo; done
echo "== seed 100k, 1k"
rm -rf $W/L2 $W/K1
$B seed --data $W/L2 --tickets 100000 | tail -1
$B seed --data $W/K1 --tickets 1000 | tail -1
for D in L2 K1 M1; do
  echo "a long password" | $B admin create --data $W/$D --email bench@example.com --name Bench --role admin >/dev/null
  $B token create --data $W/$D --email bench@example.com | tail -1 > $W/tok-$D
done
echo "== start + idle RSS (1M)"
$B serve --data $W/M1 --addr 127.0.0.1:18311 --api-rate-limit 0 > $W/sM.log 2>&1 & 
sleep 3; cat $W/sM.log | grep serving; P=$(pgrep -f "serve --data $W/M1"); grep VmRSS /proc/$P/status
$B serve --data $W/L2 --addr 127.0.0.1:18310 --api-rate-limit 0 > $W/sL.log 2>&1 &
$B serve --data $W/K1 --addr 127.0.0.1:18312 --api-rate-limit 0 > $W/sK.log 2>&1 &
sleep 2
L=http://127.0.0.1:18310
echo "== 100k: healthz, then read/create/list x3 interleaved"
$B load --url $L --token $(cat $W/tok-L2) --scenario healthz --duration 5s | tail -1
for i in 1 2 3; do for s in read list create; do $B load --url $L --token $(cat $W/tok-L2) --scenario $s --duration 5s | tail -1; done; done
echo "== list 1k vs 1M x3"
for i in 1 2 3; do
  echo -n "1k "; $B load --url http://127.0.0.1:18312 --token $(cat $W/tok-K1) --scenario list --duration 5s | tail -1
  echo -n "1M "; $B load --url http://127.0.0.1:18311 --token $(cat $W/tok-M1) --scenario list --duration 5s | tail -1
done
echo "== 1M read x1"
$B load --url http://127.0.0.1:18311 --token $(cat $W/tok-M1) --scenario read --duration 5s | tail -1
pkill -f "$B serve"
echo "== restart time on existing DB"
for i in 1 2 3; do $B serve --data $W/M1 --addr 127.0.0.1:18313 --api-rate-limit 0 > $W/sR.log 2>&1 & sleep 2; grep serving $W/sR.log; P=$(pgrep -f "serve --data $W/M1"); grep VmRSS /proc/$P/status; kill $P; sleep 1; done
echo done
