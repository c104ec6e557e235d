#!/usr/bin/env bash
# Interaction-energy results committed under validation/results/interaction/: every model on S22, the DNA base
# pairs and JSCH, through the README's driver. Run from the repository root after ./bootstrap.sh.
set -euo pipefail
for set in s22 basepairs jsch; do
  for model in gaff2 buckingham buckingham-scans buckingham-lal2023 gnn gnn-molecules; do
    .venv/bin/mlparams validate interaction --dimers "$set" --model "$model" \
      --out "validation/results/interaction/$set/$model" --quiet
  done
done
