/* A compiled OpenMM force for the guarded Buckingham exp-6 pair potential (mlparams).
 *
 *   E_ij(r) = A_ij·exp(−r/B_ij) − C_ij/(r⁶ + d⁶·s(r)),  s(r) = (1 − r/r_s)³ for r < r_s, 0 beyond
 *
 * (mlparams/forms/buckingham.py holds the NumPy reference). Units are OpenMM's: nm, kJ/mol.
 * The mixed constants come per type pair from Python (the project's mixing function), so this file knows
 * nothing about mixing rules. Excluded pairs are skipped; periodic systems use a rectangular box, minimum
 * image, a cutoff without shift, and the same long-range correction as OpenMM's CustomNonbondedForce:
 *   E_LRC = 2π·N²/V · Σ_classes count_ij·I_ij / (N(N+1)/2),  I_ij = ∫_rc^∞ E_ij(r) r² dr (analytic here).
 * Non-periodic systems (dimers) sum all pairs. Optionally (periodic systems) the same loop adds the real-space
 * Ewald Coulomb term k·q_i·q_j·erfc(αr)/r, so the NonbondedForce keeps only its reciprocal part.
 *
 * It is a CustomCPPForceImpl, so it runs on every platform; pair search is a Verlet list with a skin,
 * rebuilt when an atom has moved more than half the skin or the box changed, and the pair loop is split
 * over OpenMM's ThreadPool (the CPU platform's thread count). Python builds the force through XML
 * (the serialization proxy below): mlparams/openmm_plugin/compiled.py.
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

class BuckinghamForce : public Force {
public:
    int numTypes = 0;
    std::vector<double> pairA, pairB, pairC;  // numTypes × numTypes, row-major, symmetric
    std::vector<int> particleType;
    std::vector<std::pair<int, int>> exclusions;
    double cutoff = 1.0;           // nm
    double damping6 = 0.0;         // d⁶ in nm⁶
    double switchDistance = 0.15;  // r_s in nm
    double skin = 0.1;             // Verlet-list skin in nm
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
    // i.e. the scaled 1-4 exp-6 and Coulomb, minus the reciprocal-space Coulomb PME counted for every pair.
    std::vector<std::pair<int, int>> pairTermParticles;
    std::vector<double> pairTermCoulombScale, pairTermVdwScale;

    bool usesPeriodicBoundaryConditions() const override { return periodic; }

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

class BuckinghamForceImpl : public CustomCPPForceImpl {
public:
    explicit BuckinghamForceImpl(const BuckinghamForce& owner) : CustomCPPForceImpl(owner), owner(owner) {}

    const BuckinghamForce& getOwner() const override { return owner; }

    void initialize(ContextImpl& context) override {
        CustomCPPForceImpl::initialize(context);
        const int n = context.getSystem().getNumParticles();
        if ((int) owner.particleType.size() != n)
            throw OpenMMException("mlparams BuckinghamForce: the force has " + std::to_string(owner.particleType.size()) +
                                  " particles, the System " + std::to_string(n));
        const int nt = owner.numTypes;
        if ((int) owner.pairA.size() != nt * nt || (int) owner.pairB.size() != nt * nt || (int) owner.pairC.size() != nt * nt)
            throw OpenMMException("mlparams BuckinghamForce: the pair tables must hold numTypes² entries");
        rowA = owner.pairA;
        rowC = owner.pairC;
        rowInvB.resize(nt * nt);
        for (int k = 0; k < nt * nt; k++) {
            if (!(owner.pairB[k] > 0.0))
                throw OpenMMException("mlparams BuckinghamForce: every B must be positive");
            rowInvB[k] = 1.0 / owner.pairB[k];
        }
        for (int t : owner.particleType)
            if (t < 0 || t >= nt)
                throw OpenMMException("mlparams BuckinghamForce: a particle's type index is out of range");
        if (owner.ewaldAlpha != 0.0 && (!owner.periodic || (int) owner.charges.size() != n))
            throw OpenMMException("mlparams BuckinghamForce: real-space Coulomb needs a periodic system and one charge per particle");
        for (auto& p : owner.pairTermParticles)
            if (p.first < 0 || p.first >= n || p.second < 0 || p.second >= n)
                throw OpenMMException("mlparams BuckinghamForce: a pair term names a particle outside the System");
        if (!owner.pairTermParticles.empty() && owner.ewaldAlpha == 0.0)
            throw OpenMMException("mlparams BuckinghamForce: excluded-pair terms need the real-space Coulomb (ewaldAlpha > 0)");
        if (owner.periodic && owner.cutoff <= owner.switchDistance)
            throw OpenMMException("mlparams BuckinghamForce: the cutoff must exceed the guard's switch distance");
        excludedAbove.assign(n, {});
        for (auto& p : owner.exclusions) {
            int i = std::min(p.first, p.second), j = std::max(p.first, p.second);
            if (i < 0 || j >= n)
                throw OpenMMException("mlparams BuckinghamForce: an exclusion names a particle outside the System");
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
                throw OpenMMException("mlparams BuckinghamForce supports rectangular boxes only");
            box = Vec3(a[0], b[1], c[2]);
            if (owner.cutoff > 0.5 * std::min(box[0], std::min(box[1], box[2])))
                throw OpenMMException("mlparams BuckinghamForce: the cutoff exceeds half the box edge");
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
    const BuckinghamForce& owner;
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
    std::vector<double> rowA, rowInvB, rowC;  // A, 1/B, C per type pair (numTypes × numTypes, row-major)
    std::vector<double> r2buf;

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
        const int nt = owner.numTypes;
        const double cut2 = owner.periodic ? owner.cutoff * owner.cutoff : 1e300;  // finite: built with -ffast-math
        const double d6 = owner.damping6, rs = owner.switchDistance, rs2 = rs * rs;
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
        std::vector<double> dxs, dys, dzs, fr;
        for (int i = thread; i < n; i += nthreads) {
            const std::vector<int>& list = neighbours[i];
            const int m = (int) list.size();
            if (m == 0)
                continue;
            dxs.resize(m); dys.resize(m); dzs.resize(m); fr.resize(m);
            const int* nb = list.data();
            const double* rA = &rowA[type[i] * nt];
            const double* rInvB = &rowInvB[type[i] * nt];
            const double* rC = &rowC[type[i] * nt];
            const double xi = x[i], yi = y[i], zi = z[i];
            const double kqi = withCoulomb ? owner.coulombConstant * q[i] : 0.0;
            double e = 0.0;
            // The plain exp-6 form (no guard) for every pair; pairs inside the guard's switch distance r_s
            // (none in a liquid) are corrected in the scalar loop below.
#pragma omp simd reduction(+ : e)
            for (int k = 0; k < m; k++) {
                const int j = nb[k];
                double dx = xi - x[j], dy = yi - y[j], dz = zi - z[j];
                dx -= Lx * std::floor(dx * iLx + 0.5);
                dy -= Ly * std::floor(dy * iLy + 0.5);
                dz -= Lz * std::floor(dz * iLz + 0.5);
                const double r2 = dx * dx + dy * dy + dz * dz;
                const int t = type[j];
                const double A = rA[t], invB = rInvB[t], C = rC[t];
                const double inside = r2 < cut2 ? 1.0 : 0.0;
                const double r = std::sqrt(r2);
                const double invR = 1.0 / r;
                const double invR2 = invR * invR;
                const double rep = A * std::exp(-r * invB);
                const double disp = C * invR2 * invR2 * invR2;
                double energyPair = rep - disp;
                // −dE/dr divided by r: the radial force per unit separation vector
                double forcePair = (rep * invB * r - 6.0 * disp) * invR2;
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
            }
            energy += e;
            Vec3 fi;
            for (int k = 0; k < m; k++) {
                const double r2 = dxs[k] * dxs[k] + dys[k] * dys[k] + dzs[k] * dzs[k];
                if (r2 < rs2) {
                    // The guard: −C/r⁶ becomes −C/(r⁶ + d⁶·s(r)), s = (1 − r/r_s)³.
                    const double r = std::sqrt(r2), r6 = r2 * r2 * r2;
                    const double C = rC[type[nb[k]]];
                    const double sw = 1.0 - r / rs;
                    const double den = r6 + d6 * sw * sw * sw;
                    const double dden = 6.0 * r6 / r - 3.0 * d6 * sw * sw / rs;
                    const double plain = C / r6, guarded = C / den;
                    energy += plain - guarded;
                    fr[k] += (6.0 * plain / r - guarded * dden / den) / r;
                }
                const Vec3 df(fr[k] * dxs[k], fr[k] * dys[k], fr[k] * dzs[k]);
                fi += df;
                f[nb[k]] -= df;
            }
            f[i] += fi;
        }
        threadEnergy[thread] = energy;
    }

    /** The excluded-pair terms (see BuckinghamForce); sets ``forces`` to their forces, returns their energy. */
    double excludedPairTerms(std::vector<Vec3>& forces) const {
        for (auto& fi : forces)
            fi = Vec3();
        const int nt = owner.numTypes;
        const double alpha = owner.ewaldAlpha, twoOverSqrtPi = 2.0 / std::sqrt(M_PI);
        const double d6 = owner.damping6, rs = owner.switchDistance;
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
                const int t = owner.particleType[i] * nt + owner.particleType[j];
                const double rep = rowA[t] * std::exp(-r * rowInvB[t]);
                const double sw = std::max(0.0, 1.0 - r / rs);
                const double r6 = r2 * r2 * r2, den = r6 + d6 * sw * sw * sw;
                const double dden = 6.0 * r6 / r - 3.0 * d6 * sw * sw / rs;
                e += sv * (rep - rowC[t] / den);
                forceOverR += sv * (rep * rowInvB[t] - rowC[t] * dden / (den * den)) / r;
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
        const double rc = owner.cutoff;
        double sum = 0.0;
        for (int s = 0; s < nt; s++)
            for (int t = s; t < nt; t++) {
                double count = s == t ? 0.5 * counts[s] * (counts[s] + 1.0) : (double) counts[s] * counts[t];
                if (count == 0)
                    continue;
                const int k = s * nt + t;
                const double A = rowA[k], B = owner.pairB[k], C = rowC[k];
                // ∫_rc^∞ (A e^(−r/B) − C r⁻⁶) r² dr; the guard is zero beyond r_s < rc
                double integral = A * B * std::exp(-rc / B) * (rc * rc + 2.0 * rc * B + 2.0 * B * B) - C / (3.0 * rc * rc * rc);
                sum += count * integral;
            }
        const double np = (double) n;
        return 2.0 * M_PI * np * np * sum / (0.5 * np * (np + 1.0));
    }
};

ForceImpl* BuckinghamForce::createImpl() const {
    return new BuckinghamForceImpl(*this);
}

class BuckinghamForceProxy : public SerializationProxy {
public:
    BuckinghamForceProxy() : SerializationProxy("MlparamsBuckinghamForce") {}

    void serialize(const void* object, SerializationNode& node) const override {
        const BuckinghamForce& force = *reinterpret_cast<const BuckinghamForce*>(object);
        node.setIntProperty("version", 1);
        node.setIntProperty("forceGroup", force.getForceGroup());
        node.setStringProperty("name", force.getName());
        node.setDoubleProperty("cutoff", force.cutoff);
        node.setDoubleProperty("damping6", force.damping6);
        node.setDoubleProperty("switchDistance", force.switchDistance);
        node.setDoubleProperty("skin", force.skin);
        node.setBoolProperty("periodic", force.periodic);
        node.setBoolProperty("longRangeCorrection", force.longRangeCorrection);
        node.setIntProperty("numTypes", force.numTypes);
        node.setDoubleProperty("ewaldAlpha", force.ewaldAlpha);
        node.setDoubleProperty("coulombConstant", force.coulombConstant);
        SerializationNode& pairs = node.createChildNode("Pairs");
        for (int k = 0; k < force.numTypes * force.numTypes; k++)
            pairs.createChildNode("Pair").setDoubleProperty("A", force.pairA[k]).setDoubleProperty("B", force.pairB[k]).setDoubleProperty("C", force.pairC[k]);
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
            throw OpenMMException("MlparamsBuckinghamForce: unsupported version");
        std::unique_ptr<BuckinghamForce> force(new BuckinghamForce());
        force->setForceGroup(node.getIntProperty("forceGroup", 0));
        force->setName(node.getStringProperty("name", "MlparamsBuckinghamForce"));
        force->cutoff = node.getDoubleProperty("cutoff");
        force->damping6 = node.getDoubleProperty("damping6");
        force->switchDistance = node.getDoubleProperty("switchDistance");
        force->skin = node.getDoubleProperty("skin", 0.1);
        force->periodic = node.getBoolProperty("periodic");
        force->longRangeCorrection = node.getBoolProperty("longRangeCorrection");
        force->numTypes = node.getIntProperty("numTypes");
        force->ewaldAlpha = node.getDoubleProperty("ewaldAlpha", 0.0);
        force->coulombConstant = node.getDoubleProperty("coulombConstant", 0.0);
        for (const SerializationNode& pair : node.getChildNode("Pairs").getChildren()) {
            force->pairA.push_back(pair.getDoubleProperty("A"));
            force->pairB.push_back(pair.getDoubleProperty("B"));
            force->pairC.push_back(pair.getDoubleProperty("C"));
        }
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

// Runs when the library is loaded (ctypes / dlopen): the System deserializer then knows the force.
__attribute__((constructor)) static void registerMlparamsBuckinghamProxy() {
    SerializationProxy::registerProxy(typeid(mlparams::BuckinghamForce), new mlparams::BuckinghamForceProxy());
}

// Reports the build's interface version to Python.
extern "C" int mlparams_buckingham_force_version() { return 1; }
