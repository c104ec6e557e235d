"""The GNN's liquid stage (``gnn-liquids``): stage 3 continued with liquid pressures on frames the GNN sampled.

The shipped ``gnn`` holds its polar liquids far too dense (water +62 %, README): dimer energies near equilibrium
do not train the repulsion a liquid feels. As for the Buckingham model (:mod:`mlparams.models.liquid_pressure`),
frames of a liquid held at its experimental density (NVT) carry a condition on the model: its mean molecular
pressure there must equal the experimental pressure. Here the frames are sampled with a GNN model θ₀ and
reweighted, ⟨P⟩_θ = Σ wᵢ Pᵢ(θ) / Σ wᵢ, wᵢ = exp(−β[Uᵢ(θ) − Uᵢ(θ₀)]), within a trust region on the effective
sample size; a round of sampling with the new model and refitting moves further. Holding the frames fixed
(``--fixed-frames``) gives only the direct dependence: a trial fit that
brought the fixed-frame pressure of four liquids to 0 bar moved their own pressures by at most a fifth of
that (README).

Frames sampled at another density ρ_s (the model's own NPT density, ``sample-liquids --density-from``) ask for
the pressure of an equation of state through the experimental point instead,
P_exp + K·ln(ρ_s/ρ_exp) (:meth:`mlparams.models.liquid_pressure.LiquidFrames.target_bar`).

The condition needs frames of *one* liquid. A model so cohesive that its liquid cavitates at the experimental
density (the shipped ``gnn``'s water and ethylene carbonate hold voids of 0.64 and 0.49 nm radius there) has a
pressure set by the void's surface tension, which no change of the bulk repulsion moves; such frames are refused
(:meth:`mlparams.models.liquid_pressure.LiquidFrames.cavitated`).

Per frame, with the charges held fixed (``charge_net`` frozen, the default, so the frames' Coulomb
pressure stays exact):

    Pᵢ = P_kinetic + P_Coulomb,ᵢ − (1/3V) Σ_{bins, type pairs} E′(r)·Σ(r·R)/r  + K/V² + P_impulsive

where E(r) = C12/r¹² − C6/r⁶ + Σ_k a_k·exp(−(r − r_k)²/w_k²) per type pair from ``feats_net`` (the engines'
``lj-gaussian`` form), K/V² is the pressure of OpenMM's long-range correction of the LJ part (K = 2πN²⟨∫_rc^∞
E_LJ r² dr⟩ over atom pairs; the Gaussians are stopped at their reach, without a correction), and P_impulsive
the LJ energy at the cutoff times the pair density there (:func:`mlparams.models.liquid_pressure.impulsive_bar`:
what a Monte Carlo barostat sees of the truncation). Uᵢ sums E over the frame's intermolecular pairs;
intramolecular non-bonded pairs, whose energy also changes with θ, are left out of the weights (they do not
change the molecular virial). The frames' mean uses the fine histogram (0.0005 nm bins) and the reweighting
correction the per-frame ones (0.002 nm): P(θ) = P_fine(θ) + ⟨P_coarse(θ)⟩_w − ⟨P_coarse(θ)⟩_uniform, so the
coarse bins' midpoint error cancels.

With trainable charges (``train_charges``: ``charge_net`` trains too), each frame's Coulomb part follows the type
charges q exactly: the Ewald sum is a quadratic form in them, and the frames carry its matrices
(:func:`mlparams.models.liquid_pressure.coulomb_forms`), U_C,ᵢ(q) = ½ qᵀG_U,ᵢ q (intermolecular) and
P_C,ᵢ(q) = ½ qᵀG_P,ᵢ q, so Uᵢ and Pᵢ gain ½ qᵀGᵢq − ½ q₀ᵀGᵢq₀ (and the Coulomb impulsive term its change).
The charges' effect on the intramolecular energy, shared with the gas phase, is left out as above.

Units: nm, kJ/mol, e and bar in the pressure; the network's constants are kcal/mol and Å (converted here).
"""

from __future__ import annotations

import numpy as np

from mlparams.errors import MlparamsError
from mlparams.gnn.predictor import KCAL_TO_KJ
from mlparams.models import liquid_pressure as lp

#: Weight of the liquid term: per (100 bar)² of mean squared pressure error, beside the dimer MSE in kcal².
LIQUID_WEIGHT = 0.005
#: Weight of the density form of the liquid term (``--density-loss``): per unit of the liquids' mean
#: |ln(ρ_predicted/ρ_exp)| (pseudo-Huber, :data:`DENSITY_LOSS_DELTA`), beside the dimer MSE in kcal²: a mean
#: density error of 1 % costs as much as 0.05 kcal² of dimer MSE.
DENSITY_LOSS_WEIGHT = 5.0
#: Width of the pseudo-Huber density loss, δ·(√(1 + (x/δ)²) − 1): |x| beyond a 1 % density error (the metric
#: the density tables report), quadratic within it.
DENSITY_LOSS_DELTA = 0.01
#: Width of the pseudo-Huber ΔH_vap loss (kJ/mol); ``--hvap-weight`` is per kJ/mol of it, beside the dimer MSE in
#: kcal²: at 0.1 an error of 5 kJ/mol costs about as much as a density error of 10 % under the density loss.
HVAP_LOSS_DELTA = 1.0
#: ``charge_net``'s learning rate when the liquid stage trains the charges (``--train-charges``): the frames' Coulomb
#: energy fluctuates by 60-90 kJ/mol per box (water, ethanol, ethylene carbonate), so a few per cent of charge leave
#: one frame carrying the weights; at the stage's 1e-4 the first five epochs took ethylene carbonate's effective
#: samples to 1 % and the trust region's penalty, flat there, never brought them back (README).
CHARGE_LEARNING_RATE = 1e-5
#: Liquids the GNN liquid stage fits by default: the paper's Table 5 liquids whose ``gnn`` frames at the
#: experimental density are one liquid (water's and ethylene carbonate's hold a void: README).
DEFAULT_LIQUIDS = ("ethanol", "n-octane")


def liquid_types(predictor, smiles: str, atoms: bool = False):
    """(embeddings of each type's first atom, type elements, type charges in e) of a one-species liquid, as
    :func:`mlparams.gnn.predictor.assign_gnn_parameters` types it; with ``atoms``, also (every atom's embedding,
    every atom's type index, the formal charge)."""
    import torch

    from mlparams.gnn.graphs import graph_of
    from mlparams.gnn.predictor import type_classes
    from mlparams.molecules import from_smiles

    species = from_smiles(smiles)
    graph = graph_of(species)
    h = predictor.embeddings([graph])[0]
    local, first_atoms, _, type_q = type_classes(species, predictor.charges(graph, h))
    out = h[torch.as_tensor(first_atoms)], [species.elements[a] for a in first_atoms], np.array(type_q)
    return out + ((h, torch.as_tensor(local), float(graph.net_charge)),) if atoms else out


def _to_engine(e_kcal, de_kcal_per_A):
    """(E in kJ/mol, dE/dr in kJ/mol/nm) from kcal/mol and kcal/mol/Å."""
    return e_kcal * KCAL_TO_KJ, de_kcal_per_A * KCAL_TO_KJ * 10.0


def _lj_engine(c):
    """(C6 in kJ/mol·nm⁶, C12 in kJ/mol·nm¹²) from the network's constants (kcal/mol, Å)."""
    return c[:, 0] * KCAL_TO_KJ * 1e-6, c[:, 1] * KCAL_TO_KJ * 1e-12


class GnnPressureTerm:
    """Model pressures (bar) of liquids on GNN-sampled frames as a differentiable function of ``feats_net``.

    ``liquids``/``per_frame``: :class:`~mlparams.models.liquid_pressure.LiquidFrames` and their per-frame
    histograms (needed only to reweight; None holds the frames fixed); ``reference``: the predictor whose model
    sampled them (its constants give Uᵢ(θ₀)); its charges must be the frames' (checked), and stay so while
    ``charge_net`` is frozen. ``bulk_modulus_bar``: per liquid, the sampling model's own K_T
    (:func:`mlparams.models.liquid_pressure.bulk_moduli`); it sets the target's step and lets the stage weigh
    each liquid by its predicted density error (:meth:`density_errors`). ``train_charges``: the frames' Coulomb
    energy and pressure follow the heads' charges (:meth:`type_charges`; needs per-frame Coulomb forms, sampled
    since 2026-11-24).
    """

    def __init__(self, liquids, per_frame, reference, reweight: bool = False, bulk_modulus_bar=None, hvap=None,
                 train_charges: bool = False):
        import torch

        from mlparams.gnn.graphs import NONCOVALENT

        if reweight and per_frame is None:
            raise MlparamsError("reweighting needs the per-frame histograms (<liquid>.per_frame.npz) that "
                                "'mlparams buckingham sample-liquids' writes beside the frames")
        if train_charges and (per_frame is None or any(pf.coulomb_energy_form is None for pf in per_frame)):
            raise MlparamsError("trainable charges need frames with per-frame Coulomb forms (reweighted, sampled by "
                                "'buckingham sample-liquids' since 2026-11-24); sample the frames again")
        self.liquids = liquids
        self.reweight = reweight
        self.train_charges = train_charges
        #: s in q̄ + s·(q − q̄) of the reference's metadata (:meth:`mlparams.gnn.predictor.GnnPredictor.charges`)
        self.charge_scale = float(reference.meta.get("charge_scale", 1.0))
        self.items = []
        for k, lf in enumerate(liquids):
            if lf.cavitated():
                raise MlparamsError(
                    f"the frames of {lf.name} have cavitated ({_cavity_evidence(lf)}): their pressure is set by the "
                    "void's surface, not by the liquid; leave it out of --liquids")
            h, elements, q, (h_atoms, atom_type, net_charge) = liquid_types(reference, lf.smiles, atoms=True)
            if elements != list(lf.type_element) or not np.allclose(q, lf.type_charge, atol=1e-6):
                raise MlparamsError(
                    f"the frames of {lf.name} were sampled with other types or charges than the starting model's "
                    f"({lf.reference_model}); sample them with that model (buckingham sample-liquids --model)")
            n_types = len(elements)
            all_pairs = np.column_stack(np.triu_indices(n_types))
            s, t = all_pairs[:, 0], all_pairs[:, 1]
            present = np.asarray(lf.pair_types)
            item = {
                "h": h, "rows_i": torch.as_tensor(s), "rows_j": torch.as_tensor(t),
                "edge": torch.full((len(s),), NONCOVALENT),
                "fine_pair": torch.as_tensor(lp.triu_row(present[:, 0], present[:, 1], n_types)),
                "fine_r_A": torch.as_tensor(10.0 * np.asarray(lf.r_bins_nm)),
                "fine_hist": torch.as_tensor(np.asarray(lf.virial_hist_nm)),
                "edge_density": torch.as_tensor(lf.edge_density()),
                "tail_weight": torch.as_tensor(lp.tail_weights(lf.type_count)),  # OpenMM's LJ long-range correction
                "beta": 1.0 / (lp.BOLTZMANN_KJ_PER_MOL_K * lf.T_K),
                "h_atoms": h_atoms, "atom_type": atom_type, "net_charge": net_charge, "n_types": n_types,
            }
            if per_frame is not None:
                item.update(self._frame_cells(lf, per_frame[k], all_pairs))
                if train_charges:
                    item.update(self._coulomb_cells(lf, per_frame[k], present))
                    with torch.no_grad():
                        q0 = self.type_charges(reference.heads, item)
                        item["coulomb_u0"], item["coulomb_p0"], item["impulsive0"] = self._coulomb(item, q0)
                with torch.no_grad():
                    item["u0"] = self._frame_energies(reference.heads, item)
            self.items.append(item)
        # the pressure asked for; with the sampling model's bulk moduli, a Newton step in ln ρ
        self.bulk_modulus = (None if bulk_modulus_bar is None
                             else torch.tensor([float(k) for k in bulk_modulus_bar], dtype=torch.float64))
        moduli = [None] * len(liquids) if bulk_modulus_bar is None else list(bulk_modulus_bar)
        self.p_exp = torch.tensor([lf.target_bar(k) for lf, k in zip(liquids, moduli)], dtype=torch.float64)
        self.p_rest_mean = torch.tensor([lf.p_rest_bar for lf in liquids], dtype=torch.float64)
        # ΔH_vap: per liquid (the sampling model's, experiment or None), from its density run
        self.hvap = hvap
        if hvap is not None:
            if per_frame is None:
                raise MlparamsError("the enthalpy-of-vaporisation term reweights the frames' energies; it needs the "
                                    "per-frame histograms")
            with torch.no_grad():
                for lf, item in zip(liquids, self.items):
                    item["tail0"] = self.tail_coefficient(self._constants(reference.heads, item), item, lf.cutoff_nm)

    @staticmethod
    def _frame_cells(lf, pf, all_pairs) -> dict:
        """Tensors of the per-frame histograms, restricted to the (type pair, bin) cells some frame visits."""
        import torch

        if not np.array_equal(np.asarray(pf.pair_types), all_pairs):
            raise MlparamsError(f"the per-frame histograms of {lf.name} do not match its frames; sample again")
        counts = np.asarray(pf.counts, dtype=float)
        virial = np.asarray(pf.virial, dtype=float)
        used = (counts.sum(axis=0) > 0).ravel()
        r_coarse = np.broadcast_to(pf.r_bins_nm, counts.shape[1:]).ravel()[used]
        return {"cell_pair": torch.as_tensor(np.repeat(np.arange(len(all_pairs)), counts.shape[2])[used]),
                "cell_r_A": torch.as_tensor(10.0 * r_coarse),
                "counts": torch.as_tensor(counts.reshape(len(counts), -1)[:, used]),
                "virial": torch.as_tensor(virial.reshape(len(virial), -1)[:, used]),
                "p_rest": torch.as_tensor(np.asarray(pf.p_rest_bar, dtype=float))}

    @staticmethod
    def _coulomb_cells(lf, pf, present) -> dict:
        """Tensors of the per-frame Coulomb forms and the Coulomb impulsive term's factor per present type pair
        (bar/e²: :func:`mlparams.models.liquid_pressure.coulomb_impulsive_per_e2`)."""
        import torch

        return {"g_u": torch.as_tensor(np.asarray(pf.coulomb_energy_form, dtype=float)),
                "g_p": torch.as_tensor(np.asarray(pf.coulomb_pressure_form, dtype=float)),
                "impulsive_pair": torch.as_tensor(present),
                "impulsive_factor": torch.as_tensor(lp.coulomb_impulsive_per_e2(lf))}

    def type_charges(self, heads, item):
        """The liquid's type charges (e) from the heads' ``charge_net``: per-atom charges summing to the formal
        charge, scaled by :attr:`charge_scale` about their mean, averaged over each type's atoms."""
        import torch

        h = item["h_atoms"].to(next(heads.parameters()).dtype)
        n = len(h)
        q = heads.charges(h, torch.zeros(n, dtype=torch.long),
                          torch.tensor([item["net_charge"]], dtype=torch.float64), 1)
        mean = item["net_charge"] / n
        q = mean + self.charge_scale * (q - mean)
        total = torch.zeros(item["n_types"], dtype=q.dtype).index_add_(0, item["atom_type"], q)
        return total / torch.bincount(item["atom_type"], minlength=item["n_types"]).to(q.dtype)

    @staticmethod
    def _coulomb(item, q):
        """(U_C per frame in kJ/mol, P_C per frame in bar, Coulomb impulsive term in bar) for type charges q."""
        import torch

        u = 0.5 * torch.einsum("a,fab,b->f", q, item["g_u"], q)
        p = 0.5 * torch.einsum("a,fab,b->f", q, item["g_p"], q)
        pair = item["impulsive_pair"]
        return u, p, torch.sum(item["impulsive_factor"] * q[pair[:, 0]] * q[pair[:, 1]])

    def _coulomb_change(self, heads, item):
        """(ΔU_C per frame, ΔP_C per frame + Δ impulsive) from the sampling charges to the heads' (zeros unless
        :attr:`train_charges`)."""
        import torch

        if not self.train_charges:
            zero = torch.zeros((), dtype=torch.float64)
            return zero, zero
        u, p, imp = self._coulomb(item, self.type_charges(heads, item))
        return u - item["coulomb_u0"], p - item["coulomb_p0"] + (imp - item["impulsive0"])

    @staticmethod
    def _constants(heads, item):
        h = item["h"].to(next(heads.parameters()).dtype)
        return heads.pair_constants_indexed(h, item["rows_i"], item["rows_j"], item["edge"])

    @staticmethod
    def _cells(c, item):
        """(E in kJ/mol, dE/dr in kJ/mol/nm) at each visited (type pair, coarse bin) cell."""
        from mlparams.gnn.model import vdw_energy_and_slope

        return _to_engine(*vdw_energy_and_slope(c[item["cell_pair"]], item["cell_r_A"]))

    def _frame_energies(self, heads, item):
        """Uᵢ (kJ/mol): each frame's intermolecular van der Waals energy."""
        return item["counts"] @ self._cells(self._constants(heads, item), item)[0]

    def pressures(self, heads, reweight: bool | None = None):
        """(pressure in bar, effective-sample fraction) per liquid for the heads' constants; reweighted frames
        if ``reweight`` (default: as constructed), else the frames held fixed (fraction 1)."""
        import torch

        from mlparams.gnn.model import vdw_energy_and_slope

        reweight = self.reweight if reweight is None else reweight
        if reweight and any("counts" not in item for item in self.items):
            raise MlparamsError("reweighting needs the per-frame histograms; build the term with per_frame")

        out, ess = [], []
        for lf, item in zip(self.liquids, self.items):
            c = self._constants(heads, item)
            volume = lf.volume_nm3
            # fixed-frame mean on the fine histogram
            _, de = _to_engine(*vdw_energy_and_slope(c[item["fine_pair"]][:, None, :], item["fine_r_A"][None, :]))
            direct = -torch.sum(de * item["fine_hist"]) / (3.0 * volume) * lp.BAR_PER_KJ_MOL_NM3
            du_coulomb, dp_coulomb = self._coulomb_change(heads, item)
            p = self.p_rest_mean[len(out)] + torch.mean(dp_coulomb) + direct + self._long_range_bar(c, item, lf)
            fraction = torch.ones((), dtype=torch.float64)
            if reweight:
                e, de_cells = self._cells(c, item)
                u = item["counts"] @ e + du_coulomb
                w = torch.softmax(-item["beta"] * (u - item["u0"]), dim=0)
                p_frames = (item["p_rest"] + dp_coulomb
                            - (item["virial"] @ de_cells) / (3.0 * volume) * lp.BAR_PER_KJ_MOL_NM3)
                p = p + torch.sum(w * p_frames) - torch.mean(p_frames)
                fraction = 1.0 / torch.sum(w**2) / len(w)
            out.append(p)
            ess.append(fraction)
        return torch.stack(out), torch.stack(ess)

    def enthalpies_of_vaporisation(self, heads):
        """ΔH_vap (kJ/mol) per liquid for the heads' constants: the sampling model's ΔH_vap minus the change of the
        intermolecular energy per molecule, ⟨U⟩_w(θ) − ⟨U⟩(θ₀) on the reweighted frames plus the change of OpenMM's
        long-range correction K/V. U is the van der Waals energy, and with :attr:`train_charges` the Coulomb
        energy too (else the charges are frozen and it does not change); the intramolecular pairs, whose change
        the gas phase shares, are left out."""
        import torch

        if self.hvap is None:
            raise MlparamsError("this pressure term was built without enthalpies of vaporisation")
        out = []
        for lf, item, (h0, _) in zip(self.liquids, self.items, self.hvap):
            c = self._constants(heads, item)
            u = item["counts"] @ self._cells(c, item)[0] + self._coulomb_change(heads, item)[0]
            w = torch.softmax(-item["beta"] * (u - item["u0"]), dim=0)
            tail = (self.tail_coefficient(c, item, lf.cutoff_nm) - item["tail0"]) / lf.volume_nm3
            out.append(h0 - (torch.sum(w * u) - torch.mean(item["u0"]) + tail) / lf.n_molecules)
        return torch.stack(out)

    def density_errors(self, pressures_bar):
        """ln(ρ_predicted/ρ_exp) per liquid for model pressures on the frames: a model that gives P on frames at
        ρ_s settles, on a linear equation of state of the sampling model's K_T, at ρ_s·exp((P_exp − P)/K_T);
        with the Newton target P_t = P_exp + K_T·ln(ρ_s/ρ_exp) that is (P_t − P)/K_T."""
        if self.bulk_modulus is None:
            raise MlparamsError("density errors need the sampling model's bulk moduli (train-liquids --density-loss)")
        return (self.p_exp - pressures_bar) / self.bulk_modulus

    @staticmethod
    def tail_coefficient(c, item, rc: float):
        """K (kJ/mol·nm³) of OpenMM's LJ long-range correction E = K/V: 2πN² Σ_pairs n_tu ∫_rc^∞ E_LJ r² dr
        over the N(N+1)/2 atom pairs, for constants c of every type pair (t ≤ u) of ``item``."""
        import torch

        c6, c12 = _lj_engine(c)
        return torch.sum(item["tail_weight"] * (c12 / (9.0 * rc**9) - c6 / (3.0 * rc**3)))

    @staticmethod
    def _long_range_bar(c, item, lf):
        """OpenMM's LJ long-range correction K/V² plus the impulsive term of LJ pairs at the cutoff (bar)."""
        import torch

        rc = lf.cutoff_nm
        c6, c12 = _lj_engine(c)
        tail = GnnPressureTerm.tail_coefficient(c, item, rc) / lf.volume_nm3**2
        e_cut = (c12 / rc**12 - c6 / rc**6)[item["fine_pair"]]
        impulsive = torch.sum(e_cut * item["edge_density"]) / (3.0 * lf.volume_nm3)
        return (tail + impulsive) * lp.BAR_PER_KJ_MOL_NM3


def _cavity_evidence(lf) -> str:
    if lf.largest_empty_sphere_nm:
        return f"median largest empty sphere {np.median(lf.largest_empty_sphere_nm):.2f} nm > {lp.CAVITY_RADIUS_NM} nm"
    return f"far-pair ratio {lf.far_pair_ratio():.3f} >= {lp.CAVITATION_RATIO}"


def check_reference(term: GnnPressureTerm, reference) -> None:
    """Raise unless ``reference`` reproduces each liquid's own pressure on its frames: the frames must come from
    the model reweighting starts at (within 5 standard errors + 50 bar of the barostat-style pressure recorded
    while sampling)."""
    import torch

    with torch.no_grad():
        p, _ = term.pressures(reference.heads, reweight=False)
    for lf, value in zip(term.liquids, p.tolist()):
        recorded = float(np.mean(lf.p_reference_bar))
        if abs(value - recorded) > 5.0 * lf.standard_error_bar() + 50.0:
            raise MlparamsError(
                f"the frames of {lf.name} were not sampled with the starting model: it gives {value:+.0f} bar on them, "
                f"the sampling recorded {recorded:+.0f}; give the model that sampled them with --init")
