"""The parameter object: the single source of truth that every model produces and every exporter reads.

A :class:`NonbondedParameters` holds, for one system:

* atom types (one per symmetry class of each species) with element, mass (Da), charge (e) and the
  per-type constants of the van der Waals form;
* the type of every atom;
* the functional form (``buckingham`` or ``lj``), its mixing rule and, for Buckingham, the guard's
  damping length;
* the 1-4 policy (GAFF2/Amber: Coulomb × 1/1.2, van der Waals × 1/2, 1-2 and 1-3 pairs excluded);
* the charge model and the parameter model's name.

Mixed per-type-pair constants come from :meth:`NonbondedParameters.pair_table`, the one place where the
mixing rule is applied. Units are OpenMM's (nm, kJ/mol, e, Da).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json
from mlparams.errors import DataFormatError
from mlparams.forms import buckingham as buckingham_form
from mlparams.forms import lj as lj_form
from mlparams.forms import lj_gaussian as lj_gaussian_form
from mlparams.forms import tabulated as tabulated_form

#: Amber/GAFF2 1-4 scaling: electrostatics divided by SCEE = 1.2, van der Waals by SCNB = 2.0.
AMBER_SCALE14_COULOMB = 1.0 / 1.2
AMBER_SCALE14_VDW = 1.0 / 2.0

FORMS = {"buckingham": buckingham_form, "lj": lj_form, "lj-gaussian": lj_gaussian_form, "tabulated": tabulated_form}
#: Forms whose constants belong to type pairs (``pair_vdw``) rather than to atom types (``AtomType.vdw``).
PAIR_FORMS = ("lj-gaussian", "tabulated")


@dataclass
class AtomType:
    """One atom type: name, element, mass (Da), charge (e) and per-type vdW constants of the form."""

    name: str
    element: str
    mass_da: float
    charge: float
    vdw: dict[str, float]


@dataclass
class NonbondedParameters:
    """Per-type charges and van der Waals constants of a system, with form, mixing rule and 1-4 policy."""

    model: str
    form: str
    mixing_rule: str
    types: list[AtomType]
    atom_type_index: np.ndarray
    charge_model: str
    scale14_coulomb: float = AMBER_SCALE14_COULOMB
    scale14_vdw: float = AMBER_SCALE14_VDW
    damping_nm: float | None = None
    guard_switch_nm: float | None = None
    pair_vdw: dict | None = None
    table_r_nm: list | None = None
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.form not in FORMS:
            raise DataFormatError(f"unknown functional form {self.form!r}; choose one of {', '.join(FORMS)}")
        self.atom_type_index = np.asarray(self.atom_type_index, dtype=int)
        n = len(self.types)
        if self.form == "buckingham" and (self.damping_nm is None or self.guard_switch_nm is None):
            raise DataFormatError("the buckingham form needs damping_nm and guard_switch_nm (the short-range guard)")
        if self.form in PAIR_FORMS:
            needed = lj_gaussian_form.PAIR_PARAMETERS if self.form == "lj-gaussian" else ("energy",)
            missing = [p for p in needed if p not in (self.pair_vdw or {})]
            if missing:
                raise DataFormatError(f"form {self.form} needs pair constants {', '.join(missing)}")
            self.pair_vdw = {k: np.asarray(v, dtype=float) for k, v in self.pair_vdw.items()}
            for k, v in self.pair_vdw.items():
                if v.shape[:2] != (n, n) or not np.allclose(v, np.swapaxes(v, 0, 1)):
                    raise DataFormatError(f"pair constant {k} must be a symmetric {n}x{n} table")
            if self.form == "tabulated":
                if self.table_r_nm is None or len(self.table_r_nm) != self.pair_vdw["energy"].shape[2]:
                    raise DataFormatError("a tabulated form needs table_r_nm with one distance per energy column")
        names = FORMS[self.form].PARAMETERS
        for t in self.types:
            missing = [p for p in names if p not in t.vdw]
            if missing:
                raise DataFormatError(f"atom type {t.name} lacks {', '.join(missing)} for form {self.form}")

    @property
    def n_atoms(self) -> int:
        return int(self.atom_type_index.size)

    @property
    def charges(self) -> np.ndarray:
        """Per-atom charges (e)."""
        return np.array([t.charge for t in self.types])[self.atom_type_index]

    def type_array(self, name: str) -> np.ndarray:
        """Per-type values of one vdW constant."""
        return np.array([t.vdw[name] for t in self.types], dtype=float)

    def pair_table(self) -> dict[str, np.ndarray]:
        """Mixed constants for every type pair (n_types × n_types), by the form's mixing rule."""
        if self.form in PAIR_FORMS:
            return dict(self.pair_vdw)
        if self.form == "buckingham":
            A, B, C = buckingham_form.pair_table(
                self.type_array("A"), self.type_array("B"), self.type_array("C"), self.mixing_rule
            )
            return {"A": A, "B": B, "C": C}
        s = self.type_array("sigma")
        e = self.type_array("epsilon")
        sigma, epsilon = lj_form.mix(s[:, None], e[:, None], s[None, :], e[None, :], self.mixing_rule)
        return {"sigma": sigma, "epsilon": epsilon}

    def pair_energy(self, r, ti: int, tj: int) -> np.ndarray:
        """Van der Waals energy (kJ/mol) of a type pair at distances r (nm), from the pair table."""
        table = self.pair_table()
        if self.form == "buckingham":
            return buckingham_form.energy(r, table["A"][ti, tj], table["B"][ti, tj], table["C"][ti, tj],
                                          self.damping_nm, self.guard_switch_nm)
        if self.form == "lj-gaussian":
            return lj_gaussian_form.energy(r, {k: v[ti, tj] for k, v in table.items()})
        if self.form == "tabulated":
            return tabulated_form.energy(r, self.table_r_nm, table["energy"][ti, tj])
        return lj_form.energy(r, table["sigma"][ti, tj], table["epsilon"][ti, tj])

    def to_dict(self) -> dict:
        out = asdict(self)
        out["atom_type_index"] = self.atom_type_index.tolist()
        if self.pair_vdw is not None:
            out["pair_vdw"] = {k: np.asarray(v).tolist() for k, v in self.pair_vdw.items()}
        out["units"] = {"charge": "e", "mass": "Da", **FORMS[self.form].PARAMETER_UNITS, "damping_nm": "nm",
                        "guard_switch_nm": "nm"}
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "NonbondedParameters":
        data = dict(data)
        data.pop("units", None)
        data["types"] = [AtomType(**t) for t in data["types"]]
        return cls(**data)

    def write_json(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, self.to_dict(), indent=1)
        return path

    @classmethod
    def read_json(cls, path) -> "NonbondedParameters":
        return cls.from_dict(json.loads(Path(path).read_text()))
