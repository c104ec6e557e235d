"""Per-set training errors and HBC6 curve minima of a model file: python training_sets.py MODEL.joblib > training_sets.txt"""
import numpy as np, sys
from mlparams.models import buckingham_dimers as bd
from mlparams.models.dimer_pairs import named_sets, TRAINING_SETS
m = bd.load_model_file(sys.argv[1])
data = named_sets(TRAINING_SETS, progress=False)
e, vdw = bd.predict_dimers(m, data)
err = e - data.e_ref_kcal
neutral = ~data.charged
for s in np.unique(data.set_name):
    k = (data.set_name == s) & neutral
    w = bd.weights(data)[k]
    print(s, k.sum(), "rmse %.2f  wrmse %.2f mean %.2f" % (np.sqrt(np.mean(err[k]**2)), np.sqrt(np.sum(w*err[k]**2)/w.sum()), err[k].mean()))
k = data.set_name == "HBC6"
# equilibrium-ish points: min ref per group
groups = {}
for i in np.where(k)[0]:
    g = data.name[i].rsplit('-',1)[0]
    groups.setdefault(g, []).append(i)
for g, idx in groups.items():
    j = idx[np.argmin(data.e_ref_kcal[idx])]
    print(g, data.name[j], "ref %.2f model %.2f vdw %.2f" % (data.e_ref_kcal[j], e[j], vdw[j]))
