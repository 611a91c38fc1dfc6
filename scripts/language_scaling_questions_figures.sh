#!/usr/bin/env bash
# Every figure of results/README.md's research question 1 (its ids start with LQ-): `mteb-hybrid compare` on the
# cells of experiments/language-scaling-questions.yaml (hybrid batches over 2, 3, 4 and 7 nested MLQA-R training
# languages, the same 480 questions and 960 rows per cell, a fixed 100 steps, one machine, every model scored at
# the base's 512 tokens), against 2 languages and, like for like, the base (copied from
# language-scaling-fixed-steps/base: the same inputs and provenance hash, the same CPU). Each side holds the seeds that have finished; levels with
# none are skipped. "unseen": el, ru, th, tr, never trained on by any cell; "trained": en, de, trained on by all.
#
# usage (from the repository root): scripts/language_scaling_questions_figures.sh > figures.txt
# Deterministic: the t intervals have no randomness, one-seed bootstraps use compare's --seed 0.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/figures_lib.sh"
G=results/experiments/language-scaling-questions
BASE=$G/base
[[ -d $G ]] || { echo "error: run from the repository root ($G not found)" >&2; exit 2; }

declare -A L
for n in 2 3 4 7; do L[$n]=$(done_seeds "$G" "langs-$n"); done
[[ -n ${L[2]} ]] || { echo "error: no finished langs-2 cell under $G" >&2; exit 2; }
echo "# seeds a side: 2 languages ${L[2]:+$(count "${L[2]}")}, 3: $(count "${L[3]}"), 4: $(count "${L[4]}")," \
  "7: $(count "${L[7]}")"
T=(--target-delta 0.01)
UNSEEN=(--languages el ru th tr)
TRAINED=(--languages en de)

for n in 3 4 7; do
  [[ -n ${L[$n]} ]] || continue
  echo
  echo "# $n - 2 languages"
  for s in mono cross multi; do
    cmp "LQ-${n}v2-$s" "${L[$n]}" "${L[2]}" --setting "$s" "${T[@]}"
    cmp "LQ-${n}v2-$s-unseen" "${L[$n]}" "${L[2]}" --setting "$s" "${UNSEEN[@]}" "${T[@]}"
    cmp "LQ-${n}v2-$s-trained" "${L[$n]}" "${L[2]}" --setting "$s" "${TRAINED[@]}"
  done
  cmp "LQ-${n}v2-rd" "${L[$n]}" "${L[2]}" --setting multi --metric rank_distance --direction less --target-delta 20
  cmp "LQ-${n}v2-rd-unseen" "${L[$n]}" "${L[2]}" --setting multi --metric rank_distance --direction less "${UNSEEN[@]}"
  cmp "LQ-${n}v2-sl" "${L[$n]}" "${L[2]}" --setting multi --metric same_language_at_10 --direction less
  cmp "LQ-${n}v2-sl-unseen" "${L[$n]}" "${L[2]}" --setting multi --metric same_language_at_10 --direction less \
    "${UNSEEN[@]}"
done

echo
echo "# Each level against the untrained base (same machine, same 512-token evaluation)"
for n in 2 3 4 7; do
  [[ -n ${L[$n]} ]] || continue
  for s in mono cross multi; do cmp "LQ-base-$n-$s" "${L[$n]}" "$BASE" --setting "$s"; done
  cmp "LQ-base-$n-rd" "${L[$n]}" "$BASE" --setting multi --metric rank_distance --direction less
done
