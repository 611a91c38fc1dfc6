#!/usr/bin/env bash
# Every figure of results/README.md's like-for-like batching section (its ids start with FS-):
# `mteb-hybrid compare` on the cells of experiments/batching-fixed-steps.yaml (X-X, X-Y and hybrid batches at a
# fixed 100 steps, one machine, every model and the base scored at the base's 512 tokens). Each recipe side
# holds the seeds that have finished (cell.json status done); the script prints how many. compare refuses
# sides not evaluated like for like.
#
# usage (from the repository root): scripts/batching_fixed_steps_figures.sh > figures.txt
# MTEB_HYBRID (default: mteb-hybrid) is the command run, e.g. MTEB_HYBRID="python -m mteb_hybrid.cli".
# Deterministic: the t intervals have no randomness, one-seed bootstraps use compare's --seed 0.
set -uo pipefail
read -ra CLI <<< "${MTEB_HYBRID:-mteb-hybrid}"
G=results/experiments/batching-fixed-steps
[[ -d $G ]] || { echo "error: run from the repository root ($G not found)" >&2; exit 2; }

done_seeds() {  # done_seeds RECIPE -> the recipe's finished seed folders, comma-separated
  local out="" d
  for d in "$G/$1"-s*; do
    grep -q '"status": "done"' "$d/cell.json" 2>/dev/null && out+="${out:+,}$d"
  done
  printf '%s' "$out"
}

cmp() {  # cmp ID A B [compare options...]
  local id=$1
  shift
  printf '\n### %s\n$ mteb-hybrid compare %s\n' "$id" "$*"
  "${CLI[@]}" compare "$@" 2>&1 || echo "(compare exited $?)"
}

XX=$(done_seeds x-x) XY=$(done_seeds x-y) HYB=$(done_seeds hybrid) BASE=$G/base
for side in XX XY HYB; do
  [[ -n ${!side} ]] || { echo "error: no finished $side cell under $G" >&2; exit 2; }
done
T=(--target-delta 0.01)
echo "# seeds a side: X-X $(tr ',' '\n' <<< "$XX" | wc -l), X-Y $(tr ',' '\n' <<< "$XY" | wc -l)," \
  "hybrid $(tr ',' '\n' <<< "$HYB" | wc -l)"

echo
echo "# The paper's four claims"
cmp FS-P1 "$HYB" "$XX" --setting mono "${T[@]}"
cmp FS-P2 "$HYB" "$XY" --setting cross "${T[@]}"
cmp FS-P3 "$HYB" "$XY" --setting multi "${T[@]}"
cmp FS-P4 "$HYB" "$XX" --setting multi --metric rank_distance --direction less --target-delta 20

echo
echo "# The other pairs of batch kinds"
cmp FS-B1 "$HYB" "$XX" --setting cross "${T[@]}"
cmp FS-B2 "$HYB" "$XX" --setting multi "${T[@]}"
cmp FS-B3 "$HYB" "$XY" --setting mono "${T[@]}"
cmp FS-B4 "$HYB" "$XY" --setting multi --metric rank_distance --direction less
cmp FS-D1 "$XY" "$XX" --setting mono "${T[@]}"
cmp FS-D2 "$XY" "$XX" --setting cross "${T[@]}"
cmp FS-D3 "$XY" "$XX" --setting multi "${T[@]}"
cmp FS-D4 "$XY" "$XX" --setting multi --metric rank_distance --direction less
cmp FS-S1 "$HYB" "$XX" --setting multi --metric same_language_at_10 --direction less
cmp FS-S2 "$XY" "$XX" --setting multi --metric same_language_at_10 --direction less

echo
echo "# Each recipe against the untrained base (same machine, same 512-token evaluation)"
for r in HYB XX XY; do
  for s in mono cross multi; do
    cmp "FS-base-$r-$s" "${!r}" "$BASE" --setting "$s"
  done
  cmp "FS-base-$r-rd" "${!r}" "$BASE" --setting multi --metric rank_distance --direction less
done
