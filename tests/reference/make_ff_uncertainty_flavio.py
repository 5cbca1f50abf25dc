"""Reference: form-factor-only uncertainty of the SM BR(B+ -> K+ nu nubar) computed with flavio.

Run in a separate environment (flavio is not a bkgen dependency)::

    pip install flavio==2.7.1 particle==0.23.1
    python tests/reference/make_ff_uncertainty_flavio.py

Monte Carlo over flavio's own multivariate normal of the B -> K BSZ coefficients (every
other parameter at its central value), for GKvD arXiv:1811.00983 (LCSR + lattice; loaded
with flavio's loader of that paper's file) and GRvDV arXiv:2305.06301 (flavio's default).
Writes tests/reference/ff_uncertainty_flavio.json: central BR, MC mean, MC standard deviation.
"""

import json
from pathlib import Path

import numpy as np

import flavio
from flavio.physics.bdecays.formfactors.b_p import bsz_parameters

N_DRAWS = 2000
OBS = "BR(B+->Knunu)"


def run(par, label, seed):
    np.random.seed(seed)  # flavio's random draws use numpy's global state
    names = [n for n in par.all_parameters if n.startswith("B->K BSZ ")]
    central = par.get_central_all()
    wc = flavio.WilsonCoefficients()
    obs = flavio.classes.Observable[OBS]
    br0 = obs.prediction_par(central, wc)
    values = []
    for _ in range(N_DRAWS):
        draw = par.get_random_all()
        p = dict(central)
        p.update({n: draw[n] for n in names})
        values.append(obs.prediction_par(p, wc))
    values = np.array(values)
    print(f"{label}: BR central {br0:.4e}, MC mean {values.mean():.4e}, sd {values.std(ddof=1):.3e} "
          f"({values.std(ddof=1) / br0:.2%})")
    return {"br_central": br0, "br_mc_mean": float(values.mean()), "br_mc_sd": float(values.std(ddof=1)),
            "relative_sd": float(values.std(ddof=1) / br0), "draws": N_DRAWS, "parameters": names}


def main():
    out = {"tool": f"flavio {flavio.__version__}", "observable": OBS,
           "what": "form-factor-only uncertainty: MC over the B->K BSZ coefficients, all else central"}
    out["GRvDV2023"] = run(flavio.default_parameters, "GRvDV 2023 (flavio default)", 1)
    par = flavio.default_parameters.copy()
    bsz_parameters.gkvd_load("v1", "LCSR-Lattice", ("B->K",), par)
    out["GKvD2018"] = run(par, "GKvD 2018 LCSR+lattice", 2)
    path = Path(__file__).with_name("ff_uncertainty_flavio.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
