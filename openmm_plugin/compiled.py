"""The compiled pair forces (Buckingham exp-6, LJ + six Gaussians): build, load, and put into an OpenMM System.

OpenMM's CPU CustomNonbondedForce pays a large per-pair cost whatever its expression (issue #3 measured
0.4x of a plain NonbondedForce), and per-type-pair Discrete2DFunction look-ups cost more still.
``cpp/pair_forces.cpp`` computes the same energies as :func:`mlparams.forms.buckingham.energy` (guarded
exp-6) and :func:`mlparams.forms.lj_gaussian.energy` (the GNN's form; Gaussians to their reach) in C++ with
a Verlet list and vectorised pair loops, as OpenMM ``CustomCPPForceImpl``s, so they run on every platform
and on the CPU platform's threads.

* Build: g++ against the headers and ``libOpenMM.so`` that the openmm wheel ships (``OpenMM.libs``),
  once per source/OpenMM version, into ``~/.cache/mlparams/openmm_plugin/<key>/`` (``$MLPARAMS_CACHE``
  moves it); ``bootstrap.sh`` builds it, and the first use builds it if missing (about 2 s). It is
  compiled with ``-march=native`` for the machine that builds it.
* Load: ``ctypes.CDLL(..., RTLD_GLOBAL)``; a constructor in the library registers the XML serialization
  proxies of the force types ``MlparamsBuckinghamForce`` and ``MlparamsLjGaussianForce``.
* Use: Python cannot construct the C++ classes (no SWIG wrapper), so :func:`add_force_xml`
  serializes the System, appends the force's XML and deserializes it again. A System XML that holds
  this force needs the library loaded before ``XmlSerializer.deserialize``; :func:`load` does that.
  The exporter CLI writes the portable CustomNonbondedForce instead (``system.xml`` then loads in any
  OpenMM script).

If no C++ compiler is found, :func:`available` is False and the exporter keeps the CustomNonbondedForces.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from mlparams import native

SOURCE = Path(__file__).with_name("cpp") / "pair_forces.cpp"
LIBRARY_NAME = "libmlparams_pair_forces.so"
INTERFACE_VERSION = 2
#: Verlet-list skin (nm): the list holds pairs within cutoff + skin and is rebuilt when any atom has
#: moved more than half of it, or the box changed.
DEFAULT_SKIN_NM = 0.1
COMPILE_FLAGS = ("-std=c++17", "-O3", "-march=native", "-ffast-math", "-fopenmp-simd", "-fPIC", "-shared")

_loaded: ctypes.CDLL | None = None
_unavailable_reason: str | None = None


class CompiledForceError(native.NativeBuildError):
    """The compiled force could not be built or loaded."""


def _openmm_root() -> Path:
    import openmm

    root = Path(openmm.__file__).resolve().parent.parent / "OpenMM.libs"
    if not (root / "include" / "openmm" / "internal" / "CustomCPPForceImpl.h").exists():
        raise CompiledForceError(f"OpenMM headers not found under {root}; install the openmm wheel from PyPI (setup.cfg pins it)")
    return root


def library_path() -> Path:
    """Where the library for this source, OpenMM version and flags lives (built or not)."""
    import openmm

    return native.library_path("openmm_plugin", LIBRARY_NAME, SOURCE.read_bytes(), openmm.__version__, *COMPILE_FLAGS)


def build(force: bool = False) -> Path:
    """Compile the library if it is missing (or ``force``); return its path."""
    path = library_path()
    if path.exists() and not force:
        return path
    root = _openmm_root()
    args = [*COMPILE_FLAGS, f"-I{root / 'include'}", SOURCE, f"-L{root / 'lib'}", "-lOpenMM", f"-Wl,-rpath,{root / 'lib'}"]
    return native.compile_library(path, args, SOURCE, CompiledForceError)


def load() -> ctypes.CDLL:
    """Build if needed and load the library (once per process)."""
    global _loaded
    if _loaded is None:
        import openmm  # noqa: F401  (libOpenMM.so must be loaded first)

        lib = ctypes.CDLL(str(build()), mode=ctypes.RTLD_GLOBAL)
        if lib.mlparams_pair_forces_version() != INTERFACE_VERSION:
            raise CompiledForceError("the compiled pair forces have an unexpected interface version; rebuild them")
        _loaded = lib
    return _loaded


def available() -> bool:
    """True when the compiled force can be built and loaded here; the reason otherwise is in :func:`why_unavailable`."""
    global _unavailable_reason
    if _loaded is not None:
        return True
    if _unavailable_reason is not None:
        return False
    try:
        load()
        return True
    except (CompiledForceError, OSError) as exc:
        _unavailable_reason = str(exc)
        return False


def why_unavailable() -> str | None:
    return _unavailable_reason


#: Each form's force type in the library (its per-type-pair constants, in the order the C++ side reads them:
#: :func:`_pair_parameter_names`).
FORCE_TYPES = {"buckingham": "MlparamsBuckinghamForce", "lj-gaussian": "MlparamsLjGaussianForce"}


def _pair_parameter_names(form: str) -> tuple[str, ...]:
    from mlparams.forms import lj_gaussian

    return {"buckingham": ("A", "B", "C"), "lj-gaussian": lj_gaussian.PAIR_PARAMETERS}[form]


def force_xml(form: str, pair_table: dict, type_index, excluded, *, cutoff_nm: float, periodic: bool,
              long_range_correction: bool, force_group: int, settings: dict, skin_nm: float = DEFAULT_SKIN_NM,
              name: str | None = None, charges=None, ewald_alpha: float | None = None,
              coulomb_constant: float | None = None, pair_terms=None) -> str:
    """The ``<Force>`` element of the compiled force of ``form`` ("buckingham" or "lj-gaussian").

    pair_table: the form's constants per type pair (n×n matrices by name: A, B, C in kJ/mol, nm,
    kJ/mol·nm⁶; or C6, C12, a_k, r_k, w_k); type_index: each particle's type; excluded: the excluded pairs.
    settings: the form's own XML attributes (Buckingham: damping6 in nm⁶ and switchDistance in nm; LJ +
    Gaussians: gaussianCutoff in nm, the Gaussians' reach). With ``ewald_alpha`` (nm⁻¹), ``charges`` (e) and
    ``coulomb_constant`` (kJ/mol·nm/e²) it also computes the real-space Ewald Coulomb term, and with
    ``pair_terms`` (rows i, j, f_coul, f_vdw) the excluded pairs' f_vdw·E_ij(r) + k·q_i·q_j·(f_coul − erf(αr))/r."""
    if form not in FORCE_TYPES:
        raise CompiledForceError(f"no compiled force for the {form!r} form; use the CustomNonbondedForce")
    names = _pair_parameter_names(form)
    tables = [np.asarray(pair_table[k], dtype=float) for k in names]
    n = tables[0].shape[0]
    type_index = np.asarray(type_index, dtype=int)
    with_coulomb = ewald_alpha is not None
    if with_coulomb and (not periodic or charges is None or coulomb_constant is None or ewald_alpha <= 0):
        raise CompiledForceError("real-space Coulomb needs a periodic system, charges, a Coulomb constant and ewald_alpha > 0")
    if with_coulomb:
        charges = np.asarray(charges, dtype=float)
        if charges.shape != type_index.shape:
            raise CompiledForceError("give one charge per particle")
        particles = [f'<Particle type="{int(t)}" q="{float(c)!r}"/>' for t, c in zip(type_index, charges)]
    else:
        particles = [f'<Particle type="{int(t)}"/>' for t in type_index]
    terms = []
    if pair_terms is not None and len(pair_terms):
        if not with_coulomb:
            raise CompiledForceError("excluded-pair terms need the real-space Coulomb (ewald_alpha)")
        terms = [f'<Pair p1="{int(i)}" p2="{int(j)}" coulomb="{float(c)!r}" vdw="{float(v)!r}"/>' for i, j, c, v in pair_terms]
    if any(t.shape != (n, n) for t in tables):
        raise CompiledForceError("pair tables must be square and of one size")
    if not all(np.allclose(t, t.T) for t in tables):
        raise CompiledForceError("pair tables must be symmetric")
    if not all(np.all(np.isfinite(t)) for t in tables):
        raise CompiledForceError("every pair constant must be finite")
    if form == "buckingham" and np.any(pair_table["B"] <= 0):
        raise CompiledForceError("every pair needs B > 0")
    type_name = FORCE_TYPES[form]
    own = " ".join(f'{key}="{float(value)!r}"' for key, value in settings.items())
    pair_rows = [" ".join(f'{k}="{v!r}"' for k, v in zip(names, values)) for values in zip(*(t.ravel().tolist() for t in tables))]
    lines = [
        f'<Force type="{type_name}" version="1" forceGroup="{int(force_group)}" name={quoteattr(name or type_name)} '
        f'cutoff="{cutoff_nm!r}" skin="{skin_nm!r}" '
        f'periodic="{int(bool(periodic))}" longRangeCorrection="{int(bool(long_range_correction))}" numTypes="{n}" '
        f'ewaldAlpha="{float(ewald_alpha or 0.0)!r}" coulombConstant="{float(coulomb_constant or 0.0)!r}" {own}>',
        "<Pairs>",
        *(f"<Pair {row}/>" for row in pair_rows),
        "</Pairs>",
        "<Particles>",
        *particles,
        "</Particles>",
        "<PairTerms>",
        *terms,
        "</PairTerms>",
        "<Exclusions>",
        *(f'<Exclusion p1="{int(i)}" p2="{int(j)}"/>' for i, j in np.asarray(excluded, dtype=int).reshape(-1, 2)),
        "</Exclusions>",
        "</Force>",
    ]
    return "\n".join(lines)


def add_force_xml(system, xml: str):
    """A copy of ``system`` with one more force given as XML (the System is rebuilt through the serializer)."""
    import openmm

    load()
    text = openmm.XmlSerializer.serialize(system)
    marker = "</Forces>"
    if marker in text:
        text = text.replace(marker, xml + "\n" + marker, 1)
    else:  # a System without forces serializes <Forces/>
        text = text.replace("<Forces/>", "<Forces>\n" + xml + "\n</Forces>", 1)
    return openmm.XmlSerializer.deserialize(text)


def main(argv=None) -> int:
    """``python -m mlparams.openmm_plugin.compiled``: build (if needed) and report where the library is."""
    try:
        path = build(force="--force" in (argv or sys.argv[1:]))
        load()
    except CompiledForceError as exc:
        print(f"mlparams: compiled pair forces not built: {exc}; OpenMM will use CustomNonbondedForce", file=sys.stderr)
        return 1
    print(f"compiled pair forces (Buckingham, LJ + Gaussians): {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
