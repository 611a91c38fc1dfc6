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
source "$(dirname "${BASH_SOURCE[0]}")/figures_lib.sh"
G=results/experiments/batching-fixed-steps
[[ -d $G ]] || { echo "error: run from the repository root ($G not found)" >&2; exit 2; }

XX=$(done_seeds "$G" x-x) XY=$(done_seeds "$G" x-y) HYB=$(done_seeds "$G" hybrid) BASE=$G/base
CTX=$(done_seeds "$G" hybrid-context)
for side in XX XY HYB; do
  [[ -n ${!side} ]] || { echo "error: no finished $side cell under $G" >&2; exit 2; }
done
T=(--target-delta 0.01)
echo "# seeds a side: X-X $(count "$XX"), X-Y $(count "$XY"), hybrid $(count "$HYB"), hybrid-context $(count "$CTX")"

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

echo
echo "# The base gap: sentence+paragraph positives (hybrid-context) - sentence-only (hybrid), seeds 1-2 each"
if [[ -n $CTX ]]; then
  HYB12=$(seeds "$G" hybrid 1 2)
  for s in mono cross multi; do
    cmp "FS-ctx-$s" "$CTX" "$HYB12" --setting "$s" "${T[@]}"
    cmp "FS-ctx-base-$s" "$CTX" "$BASE" --setting "$s"
  done
else
  echo "(no finished hybrid-context cell)"
fi
