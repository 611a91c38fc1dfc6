#!/usr/bin/env bash
# Every figure and verdict in results/README.md ("The two research questions", "Design for the next grids",
# "Threats to validity"): `mteb-hybrid compare` run on the shipped cells under results/experiments/. Each block
# prints its id (the README cites it), the exact command and compare's own output (interval, detectable
# difference, seeds per side, machines, verdict). compare refuses sides scored at different evaluation lengths;
# those refusals are printed as they come. --allow-mismatch appears only in block M (raw differences against the
# untrained base, which no verdict is drawn from).
#
# usage (from the repository root): scripts/results_readme_figures.sh > figures.txt
# MTEB_HYBRID (default: mteb-hybrid) is the command run, e.g. MTEB_HYBRID="python -m mteb_hybrid.cli".
# Deterministic: the t intervals have no randomness, the one-seed bootstraps use compare's --seed 0.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/figures_lib.sh"
E=results/experiments
[[ -d $E ]] || { echo "error: run from the repository root ($E not found)" >&2; exit 2; }

CB=$E/convergence-batching LR=$E/convergence-learning-rate
FS=$E/language-scaling-fixed-steps NE=$E/language-scaling-nested AF=$E/accumulation-fine
XX=$(seeds "$CB" x-x 1 2 3) XY=$(seeds "$CB" x-y 1 2 3)
HYB=$(seeds "$LR" hybrid-lr3e-5 1 2 3) HYB1=$CB/hybrid-s1 HYB_LOW=$(seeds "$LR" hybrid-lr1e-5 1 2 3)
T=(--target-delta 0.01)

echo "# The paper's four claims at early stopping (convergence-batching X-X, X-Y: CPU; hybrid: H200 3 seeds, CPU 1 seed)"
cmp P1 "$HYB" "$XX" --setting mono "${T[@]}"
cmp P1-cpu "$HYB1" "$XX" --setting mono
cmp P2 "$HYB" "$XY" --setting cross "${T[@]}"
cmp P2-cpu "$HYB1" "$XY" --setting cross
cmp P3 "$HYB" "$XY" --setting multi "${T[@]}"
cmp P3-cpu "$HYB1" "$XY" --setting multi
cmp P4 "$HYB" "$XX" --setting multi --metric rank_distance --direction less --target-delta 20
cmp P4-cpu "$HYB1" "$XX" --setting multi --metric rank_distance --direction less
echo
echo "# The other pairs of batch kinds at early stopping"
cmp B1 "$HYB" "$XX" --setting cross
cmp B2 "$HYB" "$XX" --setting multi
cmp B3 "$HYB" "$XY" --setting mono
cmp B4 "$HYB" "$XY" --setting multi --metric rank_distance --direction less
cmp D1 "$XY" "$XX" --setting mono "${T[@]}"
cmp D2 "$XY" "$XX" --setting cross "${T[@]}"
cmp D3 "$XY" "$XX" --setting multi "${T[@]}"
cmp B5 "$XY" "$XX" --setting multi --metric rank_distance --direction less
cmp B6 "$XY" "$XX" --setting multi --metric same_language_at_10 --direction less

echo
echo "# RQ1 at a fixed 100 steps (language-scaling-fixed-steps, CPU, 3 vs 3 seeds): 7 - 2 languages"
L7=$(seeds "$FS" langs-7 1 2 3) L2=$(seeds "$FS" langs-2 1 2 3)
cmp D4 "$L7" "$L2" --setting mono "${T[@]}"
cmp D5 "$L7" "$L2" --setting cross "${T[@]}"
cmp D6 "$L7" "$L2" --setting multi "${T[@]}"
cmp F1 "$L7" "$L2" --setting mono --languages el ru th tr
cmp F2 "$L7" "$L2" --setting cross --languages el ru th tr
cmp F3 "$L7" "$L2" --setting multi --languages el ru th tr
cmp F4 "$L7" "$L2" --setting multi --metric rank_distance --direction less
cmp F5 "$L7" "$L2" --setting multi --metric same_language_at_10 --direction less
cmp F6 "$L7" "$L2" --setting multi --metric rank_distance --direction less --languages el ru th tr
cmp F7 "$L7" "$L2" --setting multi --metric same_language_at_10 --direction less --languages el ru th tr

echo
echo "# RQ1 at early stopping (language-scaling-nested, H200, 3 vs 3 seeds)"
N2=$(seeds "$NE" langs-2 1 2 3) N3=$(seeds "$NE" langs-3 1 2 3)
N4=$(seeds "$NE" langs-4 1 2 3) N7=$(seeds "$NE" langs-7 1 2 3)
for s in mono cross multi; do
  cmp "N-3v2-$s" "$N3" "$N2" --setting "$s"
  cmp "N-4v2-$s" "$N4" "$N2" --setting "$s"
  cmp "N-7v2-$s" "$N7" "$N2" --setting "$s"
  cmp "N-7v4-$s" "$N7" "$N4" --setting "$s"
  cmp "N-7v2-$s-unseen" "$N7" "$N2" --setting "$s" --languages el ru th tr
done
cmp N-7v2-rd "$N7" "$N2" --setting multi --metric rank_distance --direction less
cmp N-7v2-sl "$N7" "$N2" --setting multi --metric same_language_at_10 --direction less

echo
echo "# RQ1: fixed 100 steps (CPU) - early stopping (H200), same languages: crosses machines"
for s in mono cross multi; do
  cmp "S2-$s" "$L2" "$N2" --setting "$s"
  cmp "S7-$s" "$L7" "$N7" --setting "$s"
done

echo
echo "# RQ2: accumulation-fine (H200, 3 vs 3 seeds; 25 pairs of en de zh el th, no pool)"
for s in mono cross; do
  cmp "A-acc64-$s" "$(seeds "$AF" accum-4x16 1 2 3)" "$(seeds "$AF" batch-64 1 2 3)" --setting "$s"
  cmp "A-gc64-$s" "$(seeds "$AF" gradcache-64 1 2 3)" "$(seeds "$AF" batch-64 1 2 3)" --setting "$s"
  cmp "A-acc128-$s" "$(seeds "$AF" accum-8x16 1 2 3)" "$(seeds "$AF" batch-128 1 2 3)" --setting "$s"
  cmp "A-gc128-$s" "$(seeds "$AF" gradcache-128 1 2 3)" "$(seeds "$AF" batch-128 1 2 3)" --setting "$s"
  cmp "A-128v64-$s" "$(seeds "$AF" batch-128 1 2 3)" "$(seeds "$AF" batch-64 1 2 3)" --setting "$s"
done

echo
echo "# Learning rate (convergence-learning-rate, H200, 3 vs 3 seeds): hybrid 1e-5 - 3e-5"
for s in mono cross multi; do cmp "R-$s" "$HYB_LOW" "$HYB" --setting "$s"; done

echo
echo "# Against the untrained base: trained cells scored at 64 tokens, the base at 512 (compare refuses)"
cmp M0-refused "$XX" "$CB/base" --setting mono
echo "# M: raw differences only (--allow-mismatch), not like for like (64 vs 512 tokens): no verdict drawn"
for s in mono multi; do
  cmp "M-xx-$s" "$XX" "$CB/base" --setting "$s" --allow-mismatch
  cmp "M-xy-$s" "$XY" "$CB/base" --setting "$s" --allow-mismatch
  cmp "M-hyb-$s" "$HYB" "$LR/base" --setting "$s" --allow-mismatch
  cmp "M-l2-$s" "$L2" "$FS/base" --setting "$s" --allow-mismatch
  cmp "M-l7-$s" "$L7" "$FS/base" --setting "$s" --allow-mismatch
done

echo
echo "# Machines: the same config and seed trained on the CPU and on the H200; the base scored on both"
for s in mono cross multi; do cmp "C-$s" "$HYB1" "$LR/hybrid-lr3e-5-s1" --setting "$s"; done
cmp C-base-cb-mono "$CB/base" "$LR/base" --setting mono
cmp C-base-cb-multi "$CB/base" "$LR/base" --setting multi
cmp C-base-fs-mono "$FS/base" "$NE/base" --setting mono
cmp C-base-fs-multi "$FS/base" "$NE/base" --setting multi
