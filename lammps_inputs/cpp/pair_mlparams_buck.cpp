// mlparams' LAMMPS pair style "mlparams/buck/coul/long": the guarded Buckingham exp-6 of
// mlparams.forms.buckingham plus the real-space Ewald Coulomb term, in one vectorised pair loop.
//
//   E_vdW(r)  = A exp(-r/rho) - C / (r^6 + d^6 s(r)),  s(r) = (1 - r/r_s)^3 below r_s, 0 beyond
//   E_coul(r) = qqrd2e q_i q_j erfc(g r) / r           (the k-space part comes from kspace_style)
//
// units real (Angstrom, kcal/mol). Beyond r_s the vdW term is LAMMPS's buck/coul/long exactly; below it
// the guard keeps the energy finite and repulsive (the portable deck adds the same difference as a
// pair_style table). Special-bond factors scale both terms as buck/coul/long does; the long-range
// tail correction (pair_modify tail yes) is buck/coul/long's formula. erfc is the Abramowitz-Stegun
// polynomial (|error| < 1.5e-7), LAMMPS's own untabulated path.
//
// Speed: the loop over each atom's neighbours is written so that the compiler vectorises it (gathers
// of positions, types and charges; constants in flat per-type-pair arrays); the guard is a scalar
// fix-up for the rare pairs inside r_s; forces are scattered in a second pass. With OpenMP threads
// (package omp N, or OMP_NUM_THREADS) atoms are split over threads, each with its own force buffer.
//
// Usage:  plugin load ./mlparams_buck.so
//         pair_style mlparams/buck/coul/long CUTOFF DAMPING SWITCH     (Angstrom)
//         pair_coeff I J A RHO C                                    (kcal/mol, Angstrom, kcal/mol*A^6)
// Every I <= J pair must be given (nothing is mixed). Needs newton_pair on and a kspace style.

#include "atom.h"
#include "comm.h"
#include "error.h"
#include "force.h"
#include "kspace.h"
#include "memory.h"
#include "neigh_list.h"
#include "neighbor.h"
#include "pair.h"
#include "utils.h"

#include <cmath>
#include <cstring>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

extern "C" {
typedef void *(lammpsplugin_factory1)(void *);
typedef void *(lammpsplugin_factory2)(void *, int, char **);
typedef struct {
  const char *version;
  const char *style;
  const char *name;
  const char *info;
  const char *author;
  union {
    lammpsplugin_factory1 *v1;
    lammpsplugin_factory2 *v2;
  } creator;
  void *handle;
} lammpsplugin_t;
typedef void (*lammpsplugin_regfunc)(lammpsplugin_t *, void *);
}

#ifndef MLPARAMS_LAMMPS_VERSION
#define MLPARAMS_LAMMPS_VERSION "unknown"
#endif

using namespace LAMMPS_NS;

namespace {

constexpr double EWALD_F = 1.12837917;
constexpr double EWALD_P = 0.3275911;
constexpr double A1 = 0.254829592;
constexpr double A2 = -0.284496736;
constexpr double A3 = 1.421413741;
constexpr double A4 = -1.453152027;
constexpr double A5 = 1.061405429;
constexpr double PI = 3.14159265358979323846;

// one atom's neighbours inside the cutoff, compacted (structure of arrays), and a force buffer
struct ThreadScratch {
  std::vector<double> dx, dy, dz, rsq, qj, fpair, evdwl, ecoul;
  std::vector<int> j, k, sb;
  std::vector<double> force;    // per-thread force buffer (3 x nall) for threads > 0
  void reserve(int n)
  {
    if ((int) dx.size() < n) {
      for (auto *v : {&dx, &dy, &dz, &rsq, &qj, &fpair, &evdwl, &ecoul}) v->resize(n);
      for (auto *v : {&j, &k, &sb}) v->resize(n);
    }
  }
};

class PairMlparamsBuck : public Pair {
 public:
  explicit PairMlparamsBuck(LAMMPS *lmp) : Pair(lmp)
  {
    ewaldflag = pppmflag = 1;
    ncoultablebits = 0;    // erfc by polynomial, no Coulomb table
    writedata = 0;
    restartinfo = 0;
    single_enable = 1;
  }

  ~PairMlparamsBuck() override
  {
    if (allocated) {
      memory->destroy(setflag);
      memory->destroy(cutsq);
      memory->destroy(a);
      memory->destroy(rho);
      memory->destroy(c);
      memory->destroy(offset);
    }
  }

  void settings(int narg, char **arg) override
  {
    if (narg != 3)
      error->all(FLERR, "pair_style mlparams/buck/coul/long needs 3 arguments: cutoff damping switch (Angstrom)");
    cut = utils::numeric(FLERR, arg[0], false, lmp);
    damping6 = std::pow(utils::numeric(FLERR, arg[1], false, lmp), 6);
    switch_r = utils::numeric(FLERR, arg[2], false, lmp);
    if (cut <= 0.0 || damping6 <= 0.0 || switch_r <= 0.0 || switch_r >= cut)
      error->all(FLERR, "pair_style mlparams/buck/coul/long: need cutoff > switch > 0 and damping > 0");
  }

  void coeff(int narg, char **arg) override
  {
    if (narg != 5) error->all(FLERR, "pair_coeff for mlparams/buck/coul/long needs I J A rho C");
    if (!allocated) allocate();
    int ilo, ihi, jlo, jhi;
    utils::bounds(FLERR, arg[0], 1, atom->ntypes, ilo, ihi, error);
    utils::bounds(FLERR, arg[1], 1, atom->ntypes, jlo, jhi, error);
    double a_one = utils::numeric(FLERR, arg[2], false, lmp);
    double rho_one = utils::numeric(FLERR, arg[3], false, lmp);
    double c_one = utils::numeric(FLERR, arg[4], false, lmp);
    if (rho_one <= 0.0) error->all(FLERR, "pair_coeff for mlparams/buck/coul/long: rho must be > 0");
    int count = 0;
    for (int i = ilo; i <= ihi; i++)
      for (int j = (jlo > i ? jlo : i); j <= jhi; j++) {
        a[i][j] = a_one;
        rho[i][j] = rho_one;
        c[i][j] = c_one;
        setflag[i][j] = 1;
        count++;
      }
    if (count == 0) error->all(FLERR, "pair_coeff for mlparams/buck/coul/long set no type pair");
  }

  void init_style() override
  {
    if (!atom->q_flag) error->all(FLERR, "pair_style mlparams/buck/coul/long needs atom charges (atom_style full)");
    if (force->kspace == nullptr)
      error->all(FLERR, "pair_style mlparams/buck/coul/long needs a kspace_style (e.g. pppm)");
    if (!force->newton_pair) error->all(FLERR, "pair_style mlparams/buck/coul/long needs newton_pair on");
    g_ewald = force->kspace->g_ewald;
    neighbor->add_request(this);
  }

  double init_one(int i, int j) override
  {
    if (setflag[i][j] == 0)
      error->all(FLERR, "mlparams/buck/coul/long: pair_coeff {} {} is missing (nothing is mixed)", i, j);
    tables_stale = true;
    offset[i][j] = offset_flag ? a[i][j] * std::exp(-cut / rho[i][j]) - c[i][j] / std::pow(cut, 6.0) : 0.0;
    a[j][i] = a[i][j];
    rho[j][i] = rho[i][j];
    c[j][i] = c[i][j];
    offset[j][i] = offset[i][j];
    if (tail_flag) {    // buck/coul/long's long-range correction of the plain exp-6 beyond the cutoff
      double count[2] = {0.0, 0.0}, all[2];
      for (int k = 0; k < atom->nlocal; k++) {
        if (atom->type[k] == i) count[0] += 1.0;
        if (atom->type[k] == j) count[1] += 1.0;
      }
      MPI_Allreduce(count, all, 2, MPI_DOUBLE, MPI_SUM, world);
      double r1 = rho[i][j], r2 = r1 * r1, r3 = r2 * r1, rc = cut, rc2 = rc * rc, rc3 = rc2 * rc;
      etail_ij = 2.0 * PI * all[0] * all[1] *
          (a[i][j] * std::exp(-rc / r1) * r1 * (rc2 + 2.0 * r1 * rc + 2.0 * r2) - c[i][j] / (3.0 * rc3));
      ptail_ij = (-1 / 3.0) * 2.0 * PI * all[0] * all[1] *
          (-a[i][j] * std::exp(-rc / r1) * (rc3 + 3.0 * r1 * rc2 + 6.0 * r2 * rc + 6.0 * r3) + 2.0 * c[i][j] / rc3);
    }
    return cut;
  }

  void *extract(const char *str, int &dim) override
  {
    dim = 0;
    if (std::strcmp(str, "cut_coul") == 0) return (void *) &cut;
    return nullptr;
  }

  double single(int i, int j, int itype, int jtype, double rsq, double factor_coul, double factor_lj,
                double &fforce) override
  {
    double r = std::sqrt(rsq), grij = g_ewald * r, expm2 = std::exp(-grij * grij);
    double t = 1.0 / (1.0 + EWALD_P * grij);
    double erfc = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * expm2;
    double prefactor = force->qqrd2e * atom->q[i] * atom->q[j] / r;
    double fcoul = prefactor * (erfc + EWALD_F * grij * expm2) - (1.0 - factor_coul) * prefactor;
    double ecoul = prefactor * erfc - (1.0 - factor_coul) * prefactor;
    double evdwl, fvdw;
    vdw(itype, jtype, r, evdwl, fvdw);
    fforce = (fcoul + factor_lj * fvdw * r) / rsq;
    return ecoul + factor_lj * evdwl;
  }

  void compute(int eflag, int vflag) override
  {
    ev_init(eflag, vflag);
    if (tables_stale) pack_tables();
    const int nall = atom->nlocal + atom->nghost;
    // per-atom energies or virials (rare) go through ev_tally, which is not thread safe
    const bool tally = evflag && (eflag_atom || vflag_atom || cvflag_atom || (vflag_either && !vflag_fdotr));
    int nthreads = 1;
#ifdef _OPENMP
    if (!tally) nthreads = comm->nthreads > 1 ? comm->nthreads : 1;
#endif
    if ((int) scratch.size() < nthreads) scratch.resize(nthreads);
    double *f0 = atom->f[0];
    double evdwl_sum = 0.0, ecoul_sum = 0.0;
    const int inum = list->inum;
    if (nthreads == 1) {
      if (eflag_global || tally)
        loop<true>(0, inum, f0, tally, scratch[0], evdwl_sum, ecoul_sum);
      else
        loop<false>(0, inum, f0, false, scratch[0], evdwl_sum, ecoul_sum);
    } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(nthreads) reduction(+ : evdwl_sum, ecoul_sum)
      {
        const int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        ThreadScratch &s = scratch[tid];
        double *fbuf = f0;
        if (tid > 0) {
          s.force.assign(3 * (size_t) nall, 0.0);
          fbuf = s.force.data();
        }
        // interleaved blocks of atoms balance the triangular half list
        double ev = 0.0, ec = 0.0;
        const int block = 64;
        for (int start = tid * block; start < inum; start += nt * block) {
          int stop = start + block < inum ? start + block : inum;
          if (eflag_global)
            loop<true>(start, stop, fbuf, false, s, ev, ec);
          else
            loop<false>(start, stop, fbuf, false, s, ev, ec);
        }
        evdwl_sum += ev;
        ecoul_sum += ec;
#pragma omp barrier
#pragma omp for schedule(static)
        for (int k = 0; k < 3 * nall; k++) {
          double sum = 0.0;
          for (int t = 1; t < nt; t++) sum += scratch[t].force[k];
          f0[k] += sum;
        }
      }
#endif
    }
    if (eflag_global && !tally) {
      eng_vdwl += evdwl_sum;
      eng_coul += ecoul_sum;
    }
    if (vflag_fdotr) virial_fdotr_compute();
  }

 private:
  double cut = 0.0, damping6 = 0.0, switch_r = 0.0, g_ewald = 0.0;
  double **a = nullptr, **rho = nullptr, **c = nullptr, **offset = nullptr;
  // flat (ntypes+1)^2 tables used by the pair loop
  std::vector<double> t_a, t_rhoinv, t_buck1, t_buck2, t_c, t_offset;
  std::vector<ThreadScratch> scratch;
  bool tables_stale = true;

  void allocate()
  {
    allocated = 1;
    int n = atom->ntypes + 1;
    memory->create(setflag, n, n, "pair:setflag");
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) setflag[i][j] = 0;
    memory->create(cutsq, n, n, "pair:cutsq");
    memory->create(a, n, n, "pair:a");
    memory->create(rho, n, n, "pair:rho");
    memory->create(c, n, n, "pair:c");
    memory->create(offset, n, n, "pair:offset");
  }

  void pack_tables()
  {
    const int n = atom->ntypes + 1;
    t_a.assign(n * n, 0.0);
    t_rhoinv.assign(n * n, 1.0);
    t_buck1.assign(n * n, 0.0);
    t_buck2.assign(n * n, 0.0);
    t_c.assign(n * n, 0.0);
    t_offset.assign(n * n, 0.0);
    for (int i = 1; i < n; i++)
      for (int j = 1; j < n; j++) {
        int k = i * n + j;
        t_a[k] = a[i][j];
        t_rhoinv[k] = 1.0 / rho[i][j];
        t_buck1[k] = a[i][j] / rho[i][j];
        t_buck2[k] = 6.0 * c[i][j];
        t_c[k] = c[i][j];
        t_offset[k] = offset[i][j];
      }
    tables_stale = false;
  }

  // guarded exp-6 energy and -dE/dr at r (Angstrom)
  void vdw(int itype, int jtype, double r, double &energy, double &force_r) const
  {
    double rexp = std::exp(-r / rho[itype][jtype]), r6 = std::pow(r, 6.0);
    double s = 0.0, ds = 0.0;
    if (r < switch_r) {
      double u = 1.0 - r / switch_r;
      s = u * u * u;
      ds = -3.0 * u * u / switch_r;
    }
    double den = r6 + damping6 * s;
    energy = a[itype][jtype] * rexp - c[itype][jtype] / den - offset[itype][jtype];
    force_r = a[itype][jtype] / rho[itype][jtype] * rexp - c[itype][jtype] * (6.0 * r6 / r + damping6 * ds) / (den * den);
  }

  // pairs of atoms ilist[ii0 .. ii1) into force array fbuf (3 x nall, flat)
  template <bool ENERGIES>
  void loop(int ii0, int ii1, double *fbuf, bool tally, ThreadScratch &s, double &evdwl_sum, double &ecoul_sum)
  {
    const double *x = atom->x[0];
    const double *q = atom->q;
    const int *type = atom->type;
    const int nlocal = atom->nlocal;
    const int n = atom->ntypes + 1;
    const double qqrd2e = force->qqrd2e, g = g_ewald, rs2 = switch_r * switch_r, cut2 = cut * cut;
    const double sl[4] = {force->special_lj[0], force->special_lj[1], force->special_lj[2], force->special_lj[3]};
    const double sc[4] = {force->special_coul[0], force->special_coul[1], force->special_coul[2],
                          force->special_coul[3]};
    const double *a_f = t_a.data(), *rhoinv_f = t_rhoinv.data();
    const double *b1_f = t_buck1.data(), *b2_f = t_buck2.data(), *c_f = t_c.data(), *off_f = t_offset.data();
    const int *ilist = list->ilist, *numneigh = list->numneigh;
    int **firstneigh = list->firstneigh;

    for (int ii = ii0; ii < ii1; ii++) {
      const int i = ilist[ii];
      const double xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2], qi = qqrd2e * q[i];
      const int row = type[i] * n;
      const int *jlist = firstneigh[i];
      const int jnum = numneigh[i];
      s.reserve(jnum);
      double *dxs = s.dx.data(), *dys = s.dy.data(), *dzs = s.dz.data(), *rsqs = s.rsq.data(), *qjs = s.qj.data();
      double *fps = s.fpair.data(), *evs = s.evdwl.data(), *ecs = s.ecoul.data();
      int *js = s.j.data(), *ks = s.k.data(), *sbs = s.sb.data();

      // pass 1: the neighbours inside the cutoff (about half of a list with a 2 A skin), without branches
      int m = 0;
      for (int jj = 0; jj < jnum; jj++) {
        const int jraw = jlist[jj];
        const int j = jraw & NEIGHMASK;
        const double dx = xi - x[3 * j], dy = yi - x[3 * j + 1], dz = zi - x[3 * j + 2];
        const double rsq = dx * dx + dy * dy + dz * dz;
        dxs[m] = dx;
        dys[m] = dy;
        dzs[m] = dz;
        rsqs[m] = rsq;
        js[m] = j;
        sbs[m] = (jraw >> SBBITS) & 3;
        m += rsq < cut2;
      }
      for (int mm = 0; mm < m; mm++) {
        ks[mm] = row + type[js[mm]];
        qjs[mm] = q[js[mm]];
      }

      // pass 2: energies and forces, vectorised
      double fxi = 0.0, fyi = 0.0, fzi = 0.0, ev = 0.0, ec = 0.0;
      int guard = 0;
#pragma omp simd reduction(+ : fxi, fyi, fzi, ev, ec) reduction(| : guard)
      for (int mm = 0; mm < m; mm++) {
        const int k = ks[mm], sb = sbs[mm];
        const double rsq = rsqs[mm];
        const double rinv = 1.0 / std::sqrt(rsq), r = rsq * rinv, r2inv = rinv * rinv;
        const double grij = g * r, expm2 = std::exp(-grij * grij);
        const double t = 1.0 / (1.0 + EWALD_P * grij);
        const double erfc = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * expm2;
        const double prefactor = qi * qjs[mm] * rinv;
        const double fcoul = prefactor * (erfc + EWALD_F * grij * expm2 - (1.0 - sc[sb]));
        const double r6inv = r2inv * r2inv * r2inv;
        const double rexp = std::exp(-r * rhoinv_f[k]);
        const double fbuck = b1_f[k] * r * rexp - b2_f[k] * r6inv;
        const double fpair = (fcoul + sl[sb] * fbuck) * r2inv;
        fps[mm] = fpair;
        fxi += dxs[mm] * fpair;
        fyi += dys[mm] * fpair;
        fzi += dzs[mm] * fpair;
        guard |= (rsq < rs2 && sl[sb] != 0.0) ? 1 : 0;
        if (ENERGIES) {
          const double e_v = sl[sb] * (a_f[k] * rexp - c_f[k] * r6inv - off_f[k]);
          const double e_c = prefactor * (erfc - (1.0 - sc[sb]));
          evs[mm] = e_v;
          ecs[mm] = e_c;
          ev += e_v;
          ec += e_c;
        }
      }

      if (guard) {    // pairs inside r_s: replace -C/r^6 by -C/(r^6 + d^6 s(r))
        for (int mm = 0; mm < m; mm++) {
          const double factor = sl[sbs[mm]];
          if (rsqs[mm] >= rs2 || factor == 0.0) continue;
          const double r = std::sqrt(rsqs[mm]), r6 = rsqs[mm] * rsqs[mm] * rsqs[mm];
          const double u = 1.0 - r / switch_r, sw = u * u * u, dsw = -3.0 * u * u / switch_r;
          const double den = r6 + damping6 * sw;
          const double cij = c_f[ks[mm]];
          const double de = factor * (cij / r6 - cij / den);
          const double df = factor * cij * (6.0 / (r6 * r) - (6.0 * r6 / r + damping6 * dsw) / (den * den));
          const double dfpair = df / r;
          fps[mm] += dfpair;
          fxi += dxs[mm] * dfpair;
          fyi += dys[mm] * dfpair;
          fzi += dzs[mm] * dfpair;
          if (ENERGIES) {
            evs[mm] += de;
            ev += de;
          }
        }
      }

      // pass 3: Newton's third law on the neighbours
      for (int mm = 0; mm < m; mm++) {
        const int j = js[mm];
        const double fp = fps[mm];
        fbuf[3 * j] -= dxs[mm] * fp;
        fbuf[3 * j + 1] -= dys[mm] * fp;
        fbuf[3 * j + 2] -= dzs[mm] * fp;
        if (tally) ev_tally(i, j, nlocal, 1, evs[mm], ecs[mm], fp, dxs[mm], dys[mm], dzs[mm]);
      }
      fbuf[3 * i] += fxi;
      fbuf[3 * i + 1] += fyi;
      fbuf[3 * i + 2] += fzi;
      evdwl_sum += ev;
      ecoul_sum += ec;
    }
  }
};

Pair *create_pair(LAMMPS *lmp)
{
  return new PairMlparamsBuck(lmp);
}

}    // namespace

extern "C" int mlparams_lammps_plugin_version()
{
  return 1;
}

extern "C" void lammpsplugin_init(void *lmp, void *handle, void *regfunc)
{
  lammpsplugin_regfunc register_plugin = (lammpsplugin_regfunc) regfunc;
  // the same class serves the plain style and the name "-sf omp" looks for; it uses comm->nthreads threads
  for (const char *name : {"mlparams/buck/coul/long", "mlparams/buck/coul/long/omp"}) {
    lammpsplugin_t plugin;
    plugin.version = MLPARAMS_LAMMPS_VERSION;
    plugin.style = "pair";
    plugin.name = name;
    plugin.info = "mlparams guarded Buckingham exp-6 + real-space Ewald Coulomb";
    plugin.author = "mlparams";
    plugin.creator.v1 = (lammpsplugin_factory1 *) &create_pair;
    plugin.handle = handle;
    (*register_plugin)(&plugin, lmp);
  }
}
