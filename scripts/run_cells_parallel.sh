#!/usr/bin/env bash
# Run experiment cells with N workers on one machine (a GPU box with many cores): each worker takes the next
# CONFIG:CELL of the list and runs `mteb-hybrid experiment CONFIG --cells CELL`. The runner's per-cell locks
# keep two workers off one cell; a cell stopped at the deadline resumes on the next run (training from its
# last checkpoint, evaluation from its last finished subset). One log per cell in LOG_DIR.
#
# usage: scripts/run_cells_parallel.sh -j WORKERS -d DATA_DIR [-t SECONDS] [-l LOG_DIR] CONFIG:CELL ...
#   e.g. scripts/run_cells_parallel.sh -j 8 -d ../shared/data -t 3600 \
#          experiments/accumulation-fine.yaml:batch-64-s1 experiments/accumulation-fine.yaml:accum-4x16-s1
# MTEB_HYBRID (default: mteb-hybrid) is the command run for each cell.
# Arguments never pass through a shell: xargs hands each CONFIG:CELL to this script (--run-one) as one argument.
set -euo pipefail

run_one() {
  local config=${1%%:*} cell=${1#*:} name
  name=$(basename "$config" .yaml)-$cell
  name=${name//[^A-Za-z0-9._+-]/_}  # a log file name: no '/' (no path out of LOG_DIR), no odd characters
  echo "$(date -u +%H:%M:%S) start $name"
  local status=0
  # shellcheck disable=SC2086 # MTEB_HYBRID may be a command with arguments (python -m mteb_hybrid.cli)
  $MTEB_HYBRID -v experiment "$config" --data-dir "$data_dir" --keep-going --cells "$cell" >"$log_dir/$name.log" 2>&1 \
    || status=$?
  if (( status == 0 )); then
    echo "$(date -u +%H:%M:%S) done  $name"
  else
    echo "$(date -u +%H:%M:%S) FAIL  $name (exit $status; see $log_dir/$name.log)"
  fi
}

if [[ ${1:-} == --run-one ]]; then  # one worker's cell (data_dir, log_dir and MTEB_HYBRID come from the environment)
  run_one "$2"
  exit 0
fi

workers=2 data_dir="" deadline=0 log_dir=runs/cells
while getopts "j:d:t:l:" opt; do
  case $opt in
    j) workers=$OPTARG ;; d) data_dir=$OPTARG ;; t) deadline=$OPTARG ;; l) log_dir=$OPTARG ;;
    *) echo "usage: $0 -j WORKERS -d DATA_DIR [-t SECONDS] [-l LOG_DIR] CONFIG:CELL ..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ -n $data_dir && $# -gt 0 ]] || { echo "error: give -d DATA_DIR and at least one CONFIG:CELL" >&2; exit 2; }
[[ $workers =~ ^[1-9][0-9]*$ && $deadline =~ ^[0-9]+$ ]] \
  || { echo "error: -j takes a number of workers > 0 and -t a number of seconds" >&2; exit 2; }
for item in "$@"; do
  [[ $item == *:* && -f ${item%%:*} ]] || { echo "error: '$item' is not CONFIG:CELL with an existing CONFIG" >&2; exit 2; }
done
mkdir -p "$log_dir"
export data_dir log_dir MTEB_HYBRID=${MTEB_HYBRID:-mteb-hybrid}
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

printf '%s\0' "$@" | setsid xargs -0 -P "$workers" -n 1 -- bash "$self" --run-one &
group=$!
if (( deadline > 0 )); then
  ( sleep "$deadline" </dev/null >/dev/null 2>&1; echo "$(date -u +%H:%M:%S) deadline: stopping the workers"; kill -TERM -- -"$group" 2>/dev/null ) &
  timer=$!
fi
wait "$group" || true
[[ -n ${timer:-} ]] && kill "$timer" 2>/dev/null || true
