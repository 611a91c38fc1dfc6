#!/usr/bin/env bash
# The final-quality figures of results/README.md's research question 2 on held-out convergence (ids start with CV-):
# `mteb-hybrid compare` on the cells of experiments/convergence-validation.yaml (effective batch 64 as one batch,
# as 4 x 16 gradient accumulation and as GradCache with mini-batches of 16; hybrid batches, a fixed 40 steps,
# one machine, every model scored at the base's 512 tokens on the 25 XQuAD-R pairs of en, de, zh, el, th; no
# pool, so no multi and no bias metrics). Each side holds the seeds that have finished. "unseen": el and th,
# in no cell's training data. Steps to target on the held-out validation loss are in REPORT.md ("Convergence",
# from train_log.jsonl), not here.
#
# usage (from the repository root): scripts/convergence_validation_figures.sh > figures.txt
# Deterministic: the t intervals have no randomness, one-seed bootstraps use compare's --seed 0.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/figures_lib.sh"
G=results/experiments/convergence-validation
[[ -d $G ]] || { echo "error: run from the repository root ($G not found)" >&2; exit 2; }

declare -A R
for r in batch-64 accum-4x16 gradcache-64; do R[$r]=$(done_seeds "$G" "$r"); done
[[ -n ${R[batch-64]} ]] || { echo "error: no finished batch-64 cell under $G" >&2; exit 2; }
echo "# seeds a side: batch-64 $(count "${R[batch-64]}"), accum-4x16 $(count "${R[accum-4x16]}")," \
  "gradcache-64 $(count "${R[gradcache-64]}")"
T=(--target-delta 0.01)
UNSEEN=(--languages el th)

for r in accum-4x16 gradcache-64; do
  [[ -n ${R[$r]} ]] || continue
  echo
  echo "# $r - batch-64"
  for s in mono cross; do
    cmp "CV-$r-$s" "${R[$r]}" "${R[batch-64]}" --setting "$s" "${T[@]}"
    cmp "CV-$r-$s-unseen" "${R[$r]}" "${R[batch-64]}" --setting "$s" "${UNSEEN[@]}" "${T[@]}"
  done
done
