#!/usr/bin/env bash
# PES results committed under validation/results/pes/ (issue 9). Run from the repository root after ./bootstrap.sh.
# Each step resumes or overwrites its own folder; the machine and date go into validation/results/pes/MACHINE.txt.
set -euo pipefail
out=validation/results/pes
mkdir -p "$out"
{ date -u +%Y-%m-%dT%H:%MZ; uname -srm; nproc; grep -m1 "model name" /proc/cpuinfo || true; } > "$out/MACHINE.txt"
# 1. The paper's tables: two-layer matrices, activation x learning rate, one-layer widths (grid "tables").
.venv/bin/mlparams pes sweep --out "$out/sweep" --jobs 2 --quiet
# 2. Our best fits (defaults: 50x50 tanh, Adam lr 0.01 up to 5000 epochs, then L-BFGS), one per potential.
for p in lj morse morse2d; do
  .venv/bin/mlparams pes fit --potential "$p" --out "$out/fit/$p" --threads 1 --json > /dev/null
done
for b in 3 5; do
  .venv/bin/mlparams pes fit --potential double-morse2d --b "$b" --out "$out/fit/double-morse2d-b$b" --threads 1 --json > /dev/null
done
.venv/bin/mlparams pes fit --potential mlparams/data/pes/ne2_seed_scan.csv --out "$out/fit/ne2_seed_scan" --threads 1 --json > /dev/null
# 3. The fitted LJ curve in MD: the liquid density against the analytic LJ (OpenMM, same cutoff, no tails).
.venv/bin/mlparams pes density "$out/fit/lj" --out "$out/density_lj"
