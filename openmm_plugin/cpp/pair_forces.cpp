/* Compiled OpenMM forces for mlparams' per-type-pair van der Waals forms (units are OpenMM's: nm, kJ/mol).
 *
 *   MlparamsBuckinghamForce  the guarded exp-6 form (NumPy reference: mlparams/forms/buckingham.py)
 *     E_ij(r) = A_ij·exp(−r/B_ij) − C_ij/(r⁶ + d⁶·s(r)),  s(r) = (1 − r/r_s)³ for r < r_s, 0 beyond
 *   MlparamsLjGaussianForce  LJ 12-6 plus six Gaussians (mlparams/forms/lj_gaussian.py; the GNN's form)
 *     E_ij(r) = C12_ij/r¹² − C6_ij/r⁶ + Σ_k a_k,ij·exp(−(r − r_k,ij)²/w_k,ij²)
 *     LJ to the cutoff, the Gaussians only to their reach (gaussianCutoff, below the cutoff), as the
 *     exporter's two CustomNonbondedForces do.
 *
 * The constants come per type pair from Python (mixing, where a form has it, stays there). Both forces share
 * everything but the pair formula (PairForceImpl<Kernel>): excluded pairs are skipped; periodic systems use a
 * rectangular box, minimum image, a cutoff without shift, and the same long-range correction as OpenMM's
 * CustomNonbondedForce, E_LRC = 2π·N²/V · Σ_classes count_ij·I_ij / (N(N+1)/2), I_ij = ∫_rc^∞ E_ij(r) r² dr
 * (analytic here; the Gaussians have none, they are cut where they are below 1e-6 kJ/mol). Non-periodic
 * systems (dimers) sum all pairs. Optionally (periodic systems) the same loop adds the real-space Ewald
 * Coulomb term k·q_i·q_j·erfc(αr)/r, so the NonbondedForce keeps only its reciprocal part.
 *
 * They are CustomCPPForceImpls, so they run on every platform; pair search is a Verlet list with a skin,
 * rebuilt when an atom has moved more than half the skin or the box changed, and the pair loop is split
 * over OpenMM's ThreadPool (the CPU platform's thread count). Python builds the forces through XML
 * (the serialization proxies below): mlparams/openmm_plugin/compiled.py.
 */

#include "openmm/Force.h"
#include "openmm/OpenMMException.h"
#include "openmm/Platform.h"
#include "openmm/Vec3.h"
#include "openmm/internal/ContextImpl.h"
#include "openmm/internal/CustomCPPForceImpl.h"
#include "openmm/internal/ThreadPool.h"
#include "openmm/serialization/SerializationNode.h"
#include "openmm/serialization/SerializationProxy.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

using namespace OpenMM;

namespace mlparams {

/** What every mlparams pair force holds besides its form's own settings. */
class PairForce : public Force {
public:
    int numTypes = 0;
    // numTypes × numTypes type pairs, row-major, each with parameterNames().size() constants in that order;
    // symmetric in the type pair.
    std::vector<double> pairParameters;
    std::vector<int> particleType;
    std::vector<std::pair<int, int>> exclusions;
    double cutoff = 1.0;  // nm
    double skin = 0.1;    // Verlet-list skin in nm
    bool periodic = false;
    bool longRangeCorrection = false;
    // Optional real-space Ewald Coulomb in the same pair loop (the NonbondedForce then keeps only its
    // reciprocal part): k·q_i·q_j·erfc(α·r)/r for non-excluded pairs within the cutoff; off when α = 0.
    double ewaldAlpha = 0.0;       // nm⁻¹
    double coulombConstant = 0.0;  // kJ/mol·nm/e²
    std::vector<double> charges;   // e, per particle
    // Optional terms of excluded pairs, computed here when the Coulomb real space is (so the whole
    // direct space is one pair loop): per pair (i, j, f_coul, f_vdw), the energy
    //   f_vdw·E_ij(r) + k·q_i·q_j·(f_coul − erf(α·r))/r
    // i.e. the scaled 1-4 van der Waals and Coulomb, minus the reciprocal-space Coulomb PME counted for every pair.
    std::vector<std::pair<int, int>> pairTermParticles;
    std::vector<double> pairTermCoulombScale, pairTermVdwScale;

    virtual const std::vector<std::string>& parameterNames() const = 0;
    bool usesPeriodicBoundaryConditions() const override { return periodic; }
};

class BuckinghamForce : public PairForce {
public:
    static constexpr const char* TYPE = "MlparamsBuckinghamForce";
    double damping6 = 0.0;         // d⁶ in nm⁶
    double switchDistance = 0.15;  // r_s in nm

    const std::vector<std::string>& parameterNames() const override {
        static const std::vector<std::string> names{"A", "B", "C"};
        return names;
    }
    void serializeSettings(SerializationNode& node) const {
        node.setDoubleProperty("damping6", damping6);
        node.setDoubleProperty("switchDistance", switchDistance);
    }
    void deserializeSettings(const SerializationNode& node) {
        damping6 = node.getDoubleProperty("damping6");
        switchDistance = node.getDoubleProperty("switchDistance");
    }

protected:
    ForceImpl* createImpl() const override;
};

class LjGaussianForce : public PairForce {
public:
    static constexpr const char* TYPE = "MlparamsLjGaussianForce";
    static constexpr int NUM_GAUSSIANS = 6;
    double gaussianCutoff = 1.0;  // nm: the Gaussians' reach (periodic systems)

    const std::vector<std::string>& parameterNames() const override {
        static const std::vector<std::string> names = [] {
            std::vector<std::string> v{"C6", "C12"};
            for (int k = 1; k <= NUM_GAUSSIANS; k++)
                for (const char* p : {"a", "r", "w"})
                    v.push_back(p + std::to_string(k));
            return v;
        }();
        return names;
    }
    void serializeSettings(SerializationNode& node) const { node.setDoubleProperty("gaussianCutoff", gaussianCutoff); }
    void deserializeSettings(const SerializationNode& node) { gaussianCutoff = node.getDoubleProperty("gaussianCutoff"); }

protected:
    ForceImpl* createImpl() const override;
};

namespace {

/** erfc(x) for x ≥ 0 from gauss = exp(−x²) (Abramowitz & Stegun 7.1.26; absolute error below 1.5e-7, the
 *  accuracy class of OpenMM's own CPU PME kernel); the force needs exp(−x²) anyway. */
inline double erfcFromGaussian(double x, double gauss) {
    const double t = 1.0 / (1.0 + 0.3275911 * x);
    return t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * gauss;
}

}  // namespace

/** The guarded exp-6 pair formula (a Kernel of PairForceImpl). */
struct BuckinghamKernel {
    using Owner = BuckinghamForce;
    static constexpr const char* NAME = "mlparams BuckinghamForce: ";
    int nt = 0;
    double d6 = 0.0, rs = 0.15;
    std::vector<double> A, invB, C, B;  // per type pair

    void initialize(const Owner& owner) {
        nt = owner.numTypes;
        d6 = owner.damping6;
        rs = owner.switchDistance;
        A.resize(nt * nt); invB.resize(nt * nt); C.resize(nt * nt); B.resize(nt * nt);
        for (int k = 0; k < nt * nt; k++) {
            A[k] = owner.pairParameters[3 * k];
            B[k] = owner.pairParameters[3 * k + 1];
            C[k] = owner.pairParameters[3 * k + 2];
            if (!(B[k] > 0.0))
                throw OpenMMException(std::string(NAME) + "every B must be positive");
            invB[k] = 1.0 / B[k];
        }
        if (owner.periodic && owner.cutoff <= rs)
            throw OpenMMException(std::string(NAME) + "the cutoff must exceed the guard's switch distance");
    }

    struct Row {
        const double *A, *invB, *C;
    };
    Row row(int ti) const { return {&A[ti * nt], &invB[ti * nt], &C[ti * nt]}; }

    /** The plain exp-6 form (no guard) of one pair: energy and −dE/dr / r. Vectorised over a neighbour list. */
    static inline void pair(const Row& w, int tj, double r, double invR2, double& energy, double& forceOverR) {
        const double rep = w.A[tj] * std::exp(-r * w.invB[tj]);
        const double disp = w.C[tj] * invR2 * invR2 * invR2;
        energy = rep - disp;
        forceOverR = (rep * w.invB[tj] * r - 6.0 * disp) * invR2;
    }

    /** After the vectorised loop: the guard for the rare pairs inside r_s (none in a liquid):
     *  −C/r⁶ becomes −C/(r⁶ + d⁶·s(r)), s = (1 − r/r_s)³. */
    double finish(const Row& w, const int* type, const int* nb, int m, const double* r2s, double* fr, std::vector<int>&) const {
        double energy = 0.0;
        const double rs2 = rs * rs;
        for (int k = 0; k < m; k++) {
            const double r2 = r2s[k];
            if (r2 >= rs2)
                continue;
            const double r = std::sqrt(r2), r6 = r2 * r2 * r2;
            const double c = w.C[type[nb[k]]];
            const double sw = 1.0 - r / rs;
            const double den = r6 + d6 * sw * sw * sw;
            const double dden = 6.0 * r6 / r - 3.0 * d6 * sw * sw / rs;
            const double plain = c / r6, guarded = c / den;
            energy += plain - guarded;
            fr[k] += (6.0 * plain / r - guarded * dden / den) / r;
        }
        return energy;
    }

    /** The whole guarded form of type pair t at distance r, for excluded pairs: energy and −dE/dr / r. */
    double full(int t, double r, double& forceOverR) const {
        const double r2 = r * r;
        const double rep = A[t] * std::exp(-r * invB[t]);
        const double sw = std::max(0.0, 1.0 - r / rs);
        const double r6 = r2 * r2 * r2, den = r6 + d6 * sw * sw * sw;
        const double dden = 6.0 * r6 / r - 3.0 * d6 * sw * sw / rs;
        forceOverR = (rep * invB[t] - C[t] * dden / (den * den)) / r;
        return rep - C[t] / den;
    }

    /** ∫_rc^∞ (A e^(−r/B) − C r⁻⁶) r² dr; the guard is zero beyond r_s < rc. */
    double tailIntegral(int t, double rc) const {
        return A[t] * B[t] * std::exp(-rc / B[t]) * (rc * rc + 2.0 * rc * B[t] + 2.0 * B[t] * B[t]) - C[t] / (3.0 * rc * rc * rc);
    }
};

/** LJ 12-6 to the cutoff plus six Gaussians to their reach (a Kernel of PairForceImpl). */
struct LjGaussianKernel {
    using Owner = LjGaussianForce;
    static constexpr const char* NAME = "mlparams LjGaussianForce: ";
    static constexpr int NG = LjGaussianForce::NUM_GAUSSIANS;
    int nt = 0;
    double gaussCut2 = 1e300;
    std::vector<double> C6, C12;
    // per type pair, NG values each: a_k, r_k and 1/w_k²
    std::vector<double> ga, gr, gInvW2;

    void initialize(const Owner& owner) {
        nt = owner.numTypes;
        const int np = 2 + 3 * NG;
        C6.resize(nt * nt); C12.resize(nt * nt);
        ga.resize(nt * nt * NG); gr.resize(nt * nt * NG); gInvW2.resize(nt * nt * NG);
        for (int k = 0; k < nt * nt; k++) {
            const double* p = &owner.pairParameters[np * k];
            C6[k] = p[0];
            C12[k] = p[1];
            for (int g = 0; g < NG; g++) {
                ga[NG * k + g] = p[2 + 3 * g];
                gr[NG * k + g] = p[3 + 3 * g];
                const double w = p[4 + 3 * g];
                if (!(w != 0.0))
                    throw OpenMMException(std::string(NAME) + "every Gaussian width w_k must be non-zero");
                gInvW2[NG * k + g] = 1.0 / (w * w);
            }
        }
        if (owner.periodic) {
            if (!(owner.gaussianCutoff > 0.0 && owner.gaussianCutoff <= owner.cutoff))
                throw OpenMMException(std::string(NAME) + "gaussianCutoff must lie in (0, cutoff]");
            gaussCut2 = owner.gaussianCutoff * owner.gaussianCutoff;
        }
    }

    struct Row {
        const double *C6, *C12;
        int index;  // ti·nt: the row's first type pair
    };
    Row row(int ti) const { return {&C6[ti * nt], &C12[ti * nt], ti * nt}; }

    /** The LJ part of one pair: energy and −dE/dr / r. Vectorised over a neighbour list. */
    static inline void pair(const Row& w, int tj, double, double invR2, double& energy, double& forceOverR) {
        const double invR6 = invR2 * invR2 * invR2;
        const double rep = w.C12[tj] * invR6 * invR6, disp = w.C6[tj] * invR6;
        energy = rep - disp;
        forceOverR = (12.0 * rep - 6.0 * disp) * invR2;
    }

    /** After the LJ loop: the Gaussians of the pairs within their reach, in a second vectorised loop. */
    double finish(const Row& w, const int* type, const int* nb, int m, const double* r2s, double* fr, std::vector<int>& near) const {
        near.clear();
        for (int k = 0; k < m; k++)
            if (r2s[k] < gaussCut2)
                near.push_back(k);
        const int count = (int) near.size();
        const int* idx = near.data();
        const double* a = ga.data();
        const double* c = gr.data();
        const double* iw = gInvW2.data();
        double energy = 0.0;
#pragma omp simd reduction(+ : energy)
        for (int s = 0; s < count; s++) {
            const int k = idx[s];
            const int base = NG * (w.index + type[nb[k]]);
            const double r = std::sqrt(r2s[k]);
            double e = 0.0, f = 0.0;
            for (int g = 0; g < NG; g++) {
                const double d = r - c[base + g];
                const double term = a[base + g] * std::exp(-d * d * iw[base + g]);
                e += term;
                f += term * 2.0 * d * iw[base + g];
            }
            energy += e;
            fr[k] += f / r;
        }
        return energy;
    }

    /** The whole form of type pair t at distance r (Gaussians at any distance), for excluded pairs. */
    double full(int t, double r, double& forceOverR) const {
        const double invR2 = 1.0 / (r * r), invR6 = invR2 * invR2 * invR2;
        const double rep = C12[t] * invR6 * invR6, disp = C6[t] * invR6;
        double e = rep - disp, f = (12.0 * rep - 6.0 * disp) / r;
        for (int g = 0; g < NG; g++) {
            const double d = r - gr[NG * t + g];
            const double term = ga[NG * t + g] * std::exp(-d * d * gInvW2[NG * t + g]);
            e += term;
            f += term * 2.0 * d * gInvW2[NG * t + g];
        }
        forceOverR = f / r;
        return e;
    }

    /** ∫_rc^∞ (C12 r⁻¹² − C6 r⁻⁶) r² dr (the Gaussians stop at their reach, below rc). */
    double tailIntegral(int t, double rc) const {
        const double rc3 = rc * rc * rc;
        return C12[t] / (9.0 * rc3 * rc3 * rc3) - C6[t] / (3.0 * rc3);
    }
};

/** Verlet list, threads, optional Ewald real space, excluded-pair terms and long-range correction around
 *  one pair formula (Kernel). */
template <class Kernel>
class PairForceImpl : public CustomCPPForceImpl {
public:
    using Owner = typename Kernel::Owner;

    explicit PairForceImpl(const Owner& owner) : CustomCPPForceImpl(owner), owner(owner) {}

    const Owner& getOwner() const override { return owner; }

    void initialize(ContextImpl& context) override {
        CustomCPPForceImpl::initialize(context);
        const std::string name = Kernel::NAME;
        const int n = context.getSystem().getNumParticles();
        if ((int) owner.particleType.size() != n)
            throw OpenMMException(name + "the force has " + std::to_string(owner.particleType.size()) +
                                  " particles, the System " + std::to_string(n));
        const int nt = owner.numTypes;
        if (owner.pairParameters.size() != nt * nt * owner.parameterNames().size())
            throw OpenMMException(name + "the pair table must hold numTypes² × " + std::to_string(owner.parameterNames().size()) + " entries");
        for (int t : owner.particleType)
            if (t < 0 || t >= nt)
                throw OpenMMException(name + "a particle's type index is out of range");
        if (owner.ewaldAlpha != 0.0 && (!owner.periodic || (int) owner.charges.size() != n))
            throw OpenMMException(name + "real-space Coulomb needs a periodic system and one charge per particle");
        for (auto& p : owner.pairTermParticles)
            if (p.first < 0 || p.first >= n || p.second < 0 || p.second >= n)
                throw OpenMMException(name + "a pair term names a particle outside the System");
        if (!owner.pairTermParticles.empty() && owner.ewaldAlpha == 0.0)
            throw OpenMMException(name + "excluded-pair terms need the real-space Coulomb (ewaldAlpha > 0)");
        kernel.initialize(owner);
        excludedAbove.assign(n, {});
        for (auto& p : owner.exclusions) {
            int i = std::min(p.first, p.second), j = std::max(p.first, p.second);
            if (i < 0 || j >= n)
                throw OpenMMException(name + "an exclusion names a particle outside the System");
            excludedAbove[i].push_back(j);
        }
        for (auto& v : excludedAbove)
            std::sort(v.begin(), v.end());
        int threads = 1;
        try {
            threads = std::stoi(context.getPlatform().getPropertyValue(context.getOwner(), "Threads"));
        } catch (...) {
            threads = 1;
        }
        pool.reset(new ThreadPool(std::max(1, threads)));
        threadForces.assign(pool->getNumThreads(), std::vector<Vec3>(n));
        threadEnergy.assign(pool->getNumThreads(), 0.0);
        neighbours.assign(n, {});
        if (owner.periodic && owner.longRangeCorrection)
            longRangeCoefficient = computeLongRangeCoefficient(n);
    }

    double computeForce(ContextImpl& context, const std::vector<Vec3>& positions, std::vector<Vec3>& forces) override {
        const int n = (int) positions.size();
        Vec3 a, b, c;
        if (owner.periodic) {
            context.getPeriodicBoxVectors(a, b, c);
            if (a[1] != 0 || a[2] != 0 || b[0] != 0 || b[2] != 0 || c[0] != 0 || c[1] != 0)
                throw OpenMMException(std::string(Kernel::NAME) + "supports rectangular boxes only");
            box = Vec3(a[0], b[1], c[2]);
            if (owner.cutoff > 0.5 * std::min(box[0], std::min(box[1], box[2])))
                throw OpenMMException(std::string(Kernel::NAME) + "the cutoff exceeds half the box edge");
        }
        loadPositions(positions);
        if (needsRebuild(positions))
            buildNeighbourList(positions);
        const int nthreads = pool->getNumThreads();
        pool->execute([&](ThreadPool&, int thread) {
            if (owner.ewaldAlpha != 0.0)
                computeRange<true>(thread, nthreads, n);
            else
                computeRange<false>(thread, nthreads, n);
        });
        pool->waitForThreads();
        double energy = excludedPairTerms(forces);
        for (int t = 0; t < nthreads; t++) {
            energy += threadEnergy[t];
            const std::vector<Vec3>& f = threadForces[t];
            for (int i = 0; i < n; i++)
                forces[i] += f[i];
        }
        if (owner.periodic && owner.longRangeCorrection)
            energy += longRangeCoefficient / (box[0] * box[1] * box[2]);
        return energy;
    }

private:
    const Owner& owner;
    Kernel kernel;
    std::vector<std::vector<int>> excludedAbove;
    std::vector<std::vector<int>> neighbours;  // j > i within cutoff + skin at the last build
    std::vector<Vec3> builtPositions;
    Vec3 box, builtBox;
    std::unique_ptr<ThreadPool> pool;
    std::vector<std::vector<Vec3>> threadForces;
    std::vector<double> threadEnergy;
    double longRangeCoefficient = 0.0;

    // Positions as separate x, y, z arrays (wrapped into the box for periodic systems): the pair loops
    // read them with vector gathers.
    std::vector<double> px, py, pz;

    bool isExcluded(int i, int j) const {
        const std::vector<int>& v = excludedAbove[i];
        return std::binary_search(v.begin(), v.end(), j);
    }

    void loadPositions(const std::vector<Vec3>& positions) {
        const int n = (int) positions.size();
        px.resize(n); py.resize(n); pz.resize(n);
        for (int i = 0; i < n; i++) {
            double x = positions[i][0], y = positions[i][1], z = positions[i][2];
            if (owner.periodic) {
                x -= box[0] * std::floor(x / box[0]);
                y -= box[1] * std::floor(y / box[1]);
                z -= box[2] * std::floor(z / box[2]);
            }
            px[i] = x; py[i] = y; pz[i] = z;
        }
    }

    bool needsRebuild(const std::vector<Vec3>& positions) const {
        if (builtPositions.size() != positions.size())
            return true;
        if (!owner.periodic)
            return false;  // no cutoff: the list holds every non-excluded pair
        if (box[0] != builtBox[0] || box[1] != builtBox[1] || box[2] != builtBox[2])
            return true;
        const double limit2 = 0.25 * owner.skin * owner.skin;
        for (size_t i = 0; i < positions.size(); i++) {
            Vec3 d = positions[i] - builtPositions[i];
            if (d.dot(d) > limit2)
                return true;
        }
        return false;
    }

    void buildNeighbourList(const std::vector<Vec3>& positions) {
        const int n = (int) positions.size();
        builtPositions = positions;
        builtBox = box;
        const int nthreads = pool->getNumThreads();
        if (!owner.periodic) {
            pool->execute([&](ThreadPool&, int thread) {
                for (int i = thread; i < n; i += nthreads) {
                    std::vector<int>& list = neighbours[i];
                    list.clear();
                    for (int j = i + 1; j < n; j++)
                        if (!isExcluded(i, j))
                            list.push_back(j);
                }
            });
            pool->waitForThreads();
            return;
        }
        const double listCutoff = owner.cutoff + owner.skin;
        const double list2 = listCutoff * listCutoff;
        const double Lx = box[0], Ly = box[1], Lz = box[2];
        const double iLx = 1.0 / Lx, iLy = 1.0 / Ly, iLz = 1.0 / Lz;
        const double* x = px.data();
        const double* y = py.data();
        const double* z = pz.data();
        int cells[3];
        for (int d = 0; d < 3; d++)
            cells[d] = (int) std::floor(box[d] / listCutoff);
        if (cells[0] >= 4 && cells[1] >= 4 && cells[2] >= 4) {
            buildWithCells(cells, list2, Lx, Ly, Lz, iLx, iLy, iLz);
            return;
        }
        // Small boxes (fewer than 4 cells of the list radius per edge, which is every box of a few
        // thousand atoms here): every pair j > i is tested in a loop that vectorises.
        std::vector<std::vector<double>> buffers(nthreads, std::vector<double>(n));
        pool->execute([&](ThreadPool&, int thread) {
            std::vector<double>& r2 = buffers[thread];
            // Interleave rows so both threads get short and long rows alike.
            for (int i = thread; i < n; i += nthreads) {
                const double xi = x[i], yi = y[i], zi = z[i];
#pragma omp simd
                for (int j = i + 1; j < n; j++) {
                    double dx = x[j] - xi, dy = y[j] - yi, dz = z[j] - zi;
                    dx -= Lx * std::floor(dx * iLx + 0.5);
                    dy -= Ly * std::floor(dy * iLy + 0.5);
                    dz -= Lz * std::floor(dz * iLz + 0.5);
                    r2[j] = dx * dx + dy * dy + dz * dz;
                }
                std::vector<int>& list = neighbours[i];
                list.clear();
                for (int j = i + 1; j < n; j++)
                    if (r2[j] < list2 && !isExcluded(i, j))
                        list.push_back(j);
            }
        });
        pool->waitForThreads();
    }

    /** Cell list (cells at least the list radius wide, ≥ 4 per edge so the 27 neighbour cells are distinct):
     *  each atom tests the atoms of its own and the 26 surrounding cells. */
    void buildWithCells(const int cells[3], double list2, double Lx, double Ly, double Lz, double iLx, double iLy, double iLz) {
        const int n = (int) px.size();
        const int nthreads = pool->getNumThreads();
        const int ncell = cells[0] * cells[1] * cells[2];
        std::vector<int> cellOf(n), start(ncell + 1, 0), members(n);
        for (int i = 0; i < n; i++) {
            // px, py, pz are wrapped into [0, L)
            int cx = std::min(cells[0] - 1, (int) (px[i] * iLx * cells[0]));
            int cy = std::min(cells[1] - 1, (int) (py[i] * iLy * cells[1]));
            int cz = std::min(cells[2] - 1, (int) (pz[i] * iLz * cells[2]));
            cellOf[i] = (cx * cells[1] + cy) * cells[2] + cz;
            start[cellOf[i] + 1]++;
        }
        for (int c = 0; c < ncell; c++)
            start[c + 1] += start[c];
        std::vector<int> fill(start.begin(), start.end() - 1);
        for (int i = 0; i < n; i++)
            members[fill[cellOf[i]]++] = i;
        pool->execute([&](ThreadPool&, int thread) {
            for (int i = thread; i < n; i += nthreads) {
                std::vector<int>& list = neighbours[i];
                list.clear();
                const int c = cellOf[i];
                const int cx = c / (cells[1] * cells[2]), cy = (c / cells[2]) % cells[1], cz = c % cells[2];
                for (int ox = -1; ox <= 1; ox++)
                    for (int oy = -1; oy <= 1; oy++)
                        for (int oz = -1; oz <= 1; oz++) {
                            const int nc = (((cx + ox + cells[0]) % cells[0]) * cells[1] + (cy + oy + cells[1]) % cells[1]) * cells[2]
                                           + (cz + oz + cells[2]) % cells[2];
                            for (int k = start[nc]; k < start[nc + 1]; k++) {
                                const int j = members[k];
                                if (j <= i)
                                    continue;
                                double dx = px[j] - px[i], dy = py[j] - py[i], dz = pz[j] - pz[i];
                                dx -= Lx * std::floor(dx * iLx + 0.5);
                                dy -= Ly * std::floor(dy * iLy + 0.5);
                                dz -= Lz * std::floor(dz * iLz + 0.5);
                                if (dx * dx + dy * dy + dz * dz < list2 && !isExcluded(i, j))
                                    list.push_back(j);
                            }
                        }
                std::sort(list.begin(), list.end());
            }
        });
        pool->waitForThreads();
    }

    template <bool withCoulomb>
    void computeRange(int thread, int nthreads, int n) {
        const double cut2 = owner.periodic ? owner.cutoff * owner.cutoff : 1e300;  // finite: built with -ffast-math
        const bool periodic = owner.periodic;
        const double Lx = periodic ? box[0] : 0.0, Ly = periodic ? box[1] : 0.0, Lz = periodic ? box[2] : 0.0;
        const double iLx = periodic ? 1.0 / box[0] : 0.0, iLy = periodic ? 1.0 / box[1] : 0.0, iLz = periodic ? 1.0 / box[2] : 0.0;
        std::vector<Vec3>& f = threadForces[thread];
        std::fill(f.begin(), f.end(), Vec3());
        double energy = 0.0;
        const double* x = px.data();
        const double* y = py.data();
        const double* z = pz.data();
        const int* type = owner.particleType.data();
        const double* q = withCoulomb ? owner.charges.data() : nullptr;
        const double alpha = owner.ewaldAlpha, alpha2 = alpha * alpha;
        const double twoAlphaOverSqrtPi = 2.0 * alpha / std::sqrt(M_PI);
        // Work arrays for one atom's neighbours: the loop below vectorises (gathers), the scatter does not.
        std::vector<double> dxs, dys, dzs, r2s, fr;
        std::vector<int> scratch;
        for (int i = thread; i < n; i += nthreads) {
            const std::vector<int>& list = neighbours[i];
            const int m = (int) list.size();
            if (m == 0)
                continue;
            dxs.resize(m); dys.resize(m); dzs.resize(m); r2s.resize(m); fr.resize(m);
            const int* nb = list.data();
            const typename Kernel::Row w = kernel.row(type[i]);
            const double xi = x[i], yi = y[i], zi = z[i];
            const double kqi = withCoulomb ? owner.coulombConstant * q[i] : 0.0;
            double e = 0.0;
#pragma omp simd reduction(+ : e)
            for (int k = 0; k < m; k++) {
                const int j = nb[k];
                double dx = xi - x[j], dy = yi - y[j], dz = zi - z[j];
                dx -= Lx * std::floor(dx * iLx + 0.5);
                dy -= Ly * std::floor(dy * iLy + 0.5);
                dz -= Lz * std::floor(dz * iLz + 0.5);
                const double r2 = dx * dx + dy * dy + dz * dz;
                const double inside = r2 < cut2 ? 1.0 : 0.0;
                const double r = std::sqrt(r2);
                const double invR = 1.0 / r;
                const double invR2 = invR * invR;
                double energyPair, forcePair;  // forcePair: −dE/dr divided by r
                Kernel::pair(w, type[j], r, invR2, energyPair, forcePair);
                if (withCoulomb) {
                    const double kqq = kqi * q[j];
                    const double gauss = std::exp(-alpha2 * r2);
                    const double coul = kqq * erfcFromGaussian(alpha * r, gauss) * invR;
                    energyPair += coul;
                    forcePair += (coul + kqq * twoAlphaOverSqrtPi * gauss) * invR2;
                }
                e += inside * energyPair;
                fr[k] = inside * forcePair;
                dxs[k] = dx; dys[k] = dy; dzs[k] = dz;
                // beyond the cutoff: a distance no later term reaches
                r2s[k] = inside > 0.0 ? r2 : 1e300;
            }
            energy += e + kernel.finish(w, type, nb, m, r2s.data(), fr.data(), scratch);
            Vec3 fi;
            for (int k = 0; k < m; k++) {
                const Vec3 df(fr[k] * dxs[k], fr[k] * dys[k], fr[k] * dzs[k]);
                fi += df;
                f[nb[k]] -= df;
            }
            f[i] += fi;
        }
        threadEnergy[thread] = energy;
    }

    /** The excluded-pair terms (see PairForce); sets ``forces`` to their forces, returns their energy. */
    double excludedPairTerms(std::vector<Vec3>& forces) const {
        for (auto& fi : forces)
            fi = Vec3();
        const int nt = owner.numTypes;
        const double alpha = owner.ewaldAlpha, twoOverSqrtPi = 2.0 / std::sqrt(M_PI);
        double energy = 0.0;
        for (size_t k = 0; k < owner.pairTermParticles.size(); k++) {
            const int i = owner.pairTermParticles[k].first, j = owner.pairTermParticles[k].second;
            double dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
            dx -= box[0] * std::floor(dx / box[0] + 0.5);
            dy -= box[1] * std::floor(dy / box[1] + 0.5);
            dz -= box[2] * std::floor(dz / box[2] + 0.5);
            const double r2 = dx * dx + dy * dy + dz * dz, r = std::sqrt(r2);
            const double kqq = owner.coulombConstant * owner.charges[i] * owner.charges[j];
            const double ar = alpha * r;
            // Coulomb: E = k·qq·(s − erf(αr))/r,  −dE/dr = k·qq·[(s − erf(αr))/r² + (2α/√π)·exp(−α²r²)/r]
            double e = kqq * (owner.pairTermCoulombScale[k] - std::erf(ar)) / r;
            double forceOverR = (e / r + kqq * twoOverSqrtPi * alpha * std::exp(-ar * ar) / r) / r;
            const double sv = owner.pairTermVdwScale[k];
            if (sv != 0.0) {
                double vdwForceOverR;
                e += sv * kernel.full(owner.particleType[i] * nt + owner.particleType[j], r, vdwForceOverR);
                forceOverR += sv * vdwForceOverR;
            }
            energy += e;
            const Vec3 df(forceOverR * dx, forceOverR * dy, forceOverR * dz);
            forces[i] += df;
            forces[j] -= df;
        }
        return energy;
    }

    double computeLongRangeCoefficient(int n) const {
        // Particles of one type form one class (types are what the constants depend on).
        std::vector<long long> counts(owner.numTypes, 0);
        for (int t : owner.particleType)
            counts[t]++;
        const int nt = owner.numTypes;
        double sum = 0.0;
        for (int s = 0; s < nt; s++)
            for (int t = s; t < nt; t++) {
                double count = s == t ? 0.5 * counts[s] * (counts[s] + 1.0) : (double) counts[s] * counts[t];
                if (count == 0)
                    continue;
                sum += count * kernel.tailIntegral(s * nt + t, owner.cutoff);
            }
        const double np = (double) n;
        return 2.0 * M_PI * np * np * sum / (0.5 * np * (np + 1.0));
    }
};

ForceImpl* BuckinghamForce::createImpl() const {
    return new PairForceImpl<BuckinghamKernel>(*this);
}

ForceImpl* LjGaussianForce::createImpl() const {
    return new PairForceImpl<LjGaussianKernel>(*this);
}

/** XML for one pair force: the shared settings, the form's own (F::serializeSettings), and one <Pair> per
 *  type pair with the form's constants as attributes named by F::parameterNames(). */
template <class F>
class PairForceProxy : public SerializationProxy {
public:
    PairForceProxy() : SerializationProxy(F::TYPE) {}

    void serialize(const void* object, SerializationNode& node) const override {
        const F& force = *reinterpret_cast<const F*>(object);
        node.setIntProperty("version", 1);
        node.setIntProperty("forceGroup", force.getForceGroup());
        node.setStringProperty("name", force.getName());
        node.setDoubleProperty("cutoff", force.cutoff);
        node.setDoubleProperty("skin", force.skin);
        node.setBoolProperty("periodic", force.periodic);
        node.setBoolProperty("longRangeCorrection", force.longRangeCorrection);
        node.setIntProperty("numTypes", force.numTypes);
        node.setDoubleProperty("ewaldAlpha", force.ewaldAlpha);
        node.setDoubleProperty("coulombConstant", force.coulombConstant);
        force.serializeSettings(node);
        const std::vector<std::string>& names = force.parameterNames();
        SerializationNode& pairs = node.createChildNode("Pairs");
        for (int k = 0; k < force.numTypes * force.numTypes; k++) {
            SerializationNode& pair = pairs.createChildNode("Pair");
            for (size_t p = 0; p < names.size(); p++)
                pair.setDoubleProperty(names[p], force.pairParameters[k * names.size() + p]);
        }
        SerializationNode& particles = node.createChildNode("Particles");
        for (size_t i = 0; i < force.particleType.size(); i++) {
            SerializationNode& particle = particles.createChildNode("Particle").setIntProperty("type", force.particleType[i]);
            if (!force.charges.empty())
                particle.setDoubleProperty("q", force.charges[i]);
        }
        SerializationNode& terms = node.createChildNode("PairTerms");
        for (size_t k = 0; k < force.pairTermParticles.size(); k++)
            terms.createChildNode("Pair").setIntProperty("p1", force.pairTermParticles[k].first).setIntProperty("p2", force.pairTermParticles[k].second)
                .setDoubleProperty("coulomb", force.pairTermCoulombScale[k]).setDoubleProperty("vdw", force.pairTermVdwScale[k]);
        SerializationNode& exclusions = node.createChildNode("Exclusions");
        for (auto& p : force.exclusions)
            exclusions.createChildNode("Exclusion").setIntProperty("p1", p.first).setIntProperty("p2", p.second);
    }

    void* deserialize(const SerializationNode& node) const override {
        if (node.getIntProperty("version") != 1)
            throw OpenMMException(std::string(F::TYPE) + ": unsupported version");
        std::unique_ptr<F> force(new F());
        force->setForceGroup(node.getIntProperty("forceGroup", 0));
        force->setName(node.getStringProperty("name", F::TYPE));
        force->cutoff = node.getDoubleProperty("cutoff");
        force->skin = node.getDoubleProperty("skin", 0.1);
        force->periodic = node.getBoolProperty("periodic");
        force->longRangeCorrection = node.getBoolProperty("longRangeCorrection");
        force->numTypes = node.getIntProperty("numTypes");
        force->ewaldAlpha = node.getDoubleProperty("ewaldAlpha", 0.0);
        force->coulombConstant = node.getDoubleProperty("coulombConstant", 0.0);
        force->deserializeSettings(node);
        const std::vector<std::string>& names = force->parameterNames();
        for (const SerializationNode& pair : node.getChildNode("Pairs").getChildren())
            for (const std::string& name : names)
                force->pairParameters.push_back(pair.getDoubleProperty(name));
        for (const SerializationNode& particle : node.getChildNode("Particles").getChildren()) {
            force->particleType.push_back(particle.getIntProperty("type"));
            if (force->ewaldAlpha != 0.0)
                force->charges.push_back(particle.getDoubleProperty("q"));
        }
        for (const SerializationNode& pair : node.getChildNode("PairTerms").getChildren()) {
            force->pairTermParticles.emplace_back(pair.getIntProperty("p1"), pair.getIntProperty("p2"));
            force->pairTermCoulombScale.push_back(pair.getDoubleProperty("coulomb"));
            force->pairTermVdwScale.push_back(pair.getDoubleProperty("vdw"));
        }
        for (const SerializationNode& exclusion : node.getChildNode("Exclusions").getChildren())
            force->exclusions.emplace_back(exclusion.getIntProperty("p1"), exclusion.getIntProperty("p2"));
        return force.release();
    }
};

}  // namespace mlparams

// Runs when the library is loaded (ctypes / dlopen): the System deserializer then knows the forces.
__attribute__((constructor)) static void registerMlparamsPairForceProxies() {
    SerializationProxy::registerProxy(typeid(mlparams::BuckinghamForce), new mlparams::PairForceProxy<mlparams::BuckinghamForce>());
    SerializationProxy::registerProxy(typeid(mlparams::LjGaussianForce), new mlparams::PairForceProxy<mlparams::LjGaussianForce>());
}

// Reports the build's interface version to Python (2: the Buckingham and LJ + Gaussian forces).
extern "C" int mlparams_pair_forces_version() { return 2; }
