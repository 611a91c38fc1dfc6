# shellcheck shell=bash
# Shared by the scripts/*_figures.sh scripts (sourced, not run): the compare command, one printed block per
# figure, and the seed folders of a recipe. MTEB_HYBRID (default: mteb-hybrid) is the command run, e.g.
# MTEB_HYBRID="python -m mteb_hybrid.cli".
read -ra CLI <<< "${MTEB_HYBRID:-mteb-hybrid}"

cmp() {  # cmp ID A B [compare options...]: one block with its id, the exact command and compare's output
  local id=$1
  shift
  printf '\n### %s\n$ mteb-hybrid compare %s\n' "$id" "$*"
  "${CLI[@]}" compare "$@" 2>&1 || echo "(compare exited $?)"
}

seeds() {  # seeds DIR PREFIX N... -> DIR/PREFIX-sN,... (one folder per seed, comma-separated)
  local dir=$1 prefix=$2 out="" n
  shift 2
  for n in "$@"; do out+="${out:+,}$dir/$prefix-s$n"; done
  printf '%s' "$out"
}

done_seeds() {  # done_seeds DIR RECIPE -> DIR's finished seed folders of RECIPE (cell.json status done), comma-separated
  local out="" d
  for d in "$1/$2"-s*; do
    grep -q '"status": "done"' "$d/cell.json" 2>/dev/null && out+="${out:+,}$d"
  done
  printf '%s' "$out"
}

count() {  # count A,B,C -> 3 (0 for an empty list)
  [[ -z $1 ]] && { echo 0; return; }
  tr ',' '\n' <<< "$1" | wc -l
}
