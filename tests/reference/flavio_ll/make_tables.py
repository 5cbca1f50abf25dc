"""Reference predictions of flavio 2.7.1 for SM B -> K l+ l- and B -> K* l+ l- in bkgen's approximation.

Run with the reference venv (flavio is not a bkgen dependency):
    /work/venvs/ff-ref/bin/python tests/reference/flavio_ll/make_tables.py
writes flavio_ll_tables.json beside this script.

bkgen's dilepton model has C9eff = C9 + Y(q^2) (BFS hep-ph/0106067 eq. 10-11) and naive factorisation.
flavio's default predictions add: the O(alpha_s) matrix elements of O1, O2, O8 (matrixelements.delta_C7,
delta_C9), the u-quark loop (Yu), QCD-factorisation spectator scattering (bvll get_ss) and subleading
hadronic corrections (get_subleading). They are switched off here by replacing those functions (in this
process only; the installed package is not modified), so both tools compute the same approximation.
The default predictions (all corrections on) are stored beside them, to quote the size of what is left out.
'np' holds B0 -> K*0 mu mu in the same approximation at points with complex (CP-violating) Wilson coefficients
(shifts of flavio's C9_bsmumu etc. at 4.8 GeV, bkgen's mu_b): the CP-averaged S_i and CP asymmetries A_i of
the T-odd terms (S7..S9, A7..A9, LHCb convention, flavio's S_experiment/A_experiment).
Inputs that differ (|V_tb V_ts|, lifetimes) are stored so the test can rescale: it compares widths with
the CKM factor of each tool divided out.
"""
import json
import os
import warnings

import flavio
import flavio.physics.bdecays.bpll as bpll
import flavio.physics.bdecays.bvll.amplitudes as bvll_amp
import flavio.physics.bdecays.bvll.observables as bvll_obs
from flavio.physics import ckm
from flavio.physics.bdecays import matrixelements

warnings.filterwarnings("ignore")
par = flavio.default_parameters.get_central_all()

BINS_K = [(0.1, 0.98), (1.1, 2.0), (2.0, 4.0), (4.0, 6.0), (1.1, 6.0), (15.0, 17.0), (17.0, 19.0), (19.0, 22.0),
          (15.0, 22.0)]
BINS_V = [(0.1, 0.98), (1.1, 2.5), (2.5, 4.0), (4.0, 6.0), (6.0, 8.0), (1.1, 6.0), (15.0, 17.0), (17.0, 19.0),
          (15.0, 19.0)]
POINTS = [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 15.0, 16.0, 17.0, 18.0, 19.0]
MODES = {
    "B+ -> K+ mu+ mu-": ("B+->Kmumu", "K"), "B+ -> K+ e+ e-": ("B+->Kee", "K"),
    "B0 -> K*0 mu+ mu-": ("B0->K*mumu", "V"), "B0 -> K*0 e+ e-": ("B0->K*ee", "V"),
}


def predictions():
    out = {}
    for name, (tag, kind) in MODES.items():
        bins = BINS_K if kind == "K" else BINS_V
        d = {"bins": {}, "points": {}}
        for lo, hi in bins:
            e = {"BR": flavio.sm_prediction(f"<dBR/dq2>({tag})", lo, hi) * (hi - lo)}
            if kind == "V":
                for obs in ("FL", "AFB", "S5", "P5p", "S4", "S3", "S7", "S8", "S9"):
                    e[obs] = flavio.sm_prediction(f"<{obs}>({tag})", lo, hi)
            d["bins"][f"{lo}-{hi}"] = e
        for q2 in POINTS:
            e = {"dBR/dq2": flavio.sm_prediction(f"dBR/dq2({tag})", q2)}
            if kind == "V":
                for obs in ("FL", "AFB", "S5", "P5p"):
                    e[obs] = flavio.sm_prediction(f"{obs}({tag})", q2)
            d["points"][str(q2)] = e
        out[name] = d
    return out


#: complex new-physics shifts (flavio's names) of the 'np' table; bkgen: dilepton.sm_coefficients(c9=C9^SM + dC9, ...)
NP_POINTS = {"C9_im": {"C9_bsmumu": 1.5j}, "C9p_C10p": {"C9p_bsmumu": 1.0 + 1.0j, "C10p_bsmumu": -1.0j},
             "C10_C7": {"C10_bsmumu": 1.0j, "C7_bs": 0.05j}}
NP_BINS = [(0.1, 0.98), (1.1, 2.5), (2.5, 4.0), (4.0, 6.0), (1.1, 6.0), (15.0, 19.0)]


def np_predictions():
    out = {}
    for name, shifts in NP_POINTS.items():
        wc = flavio.WilsonCoefficients()
        wc.set_initial(shifts, scale=4.8)
        d = {"shifts": {k: [v.real, v.imag] for k, v in shifts.items()}, "bins": {}}
        for lo, hi in NP_BINS:
            d["bins"][f"{lo}-{hi}"] = {obs: flavio.np_prediction(f"<{obs}>(B0->K*mumu)", wc, lo, hi)
                                       for obs in ("FL", "S5", "S7", "S8", "S9", "A7", "A8", "A9")}
        out[name] = d
    return out


def switch_off():
    zero = lambda *a, **k: 0.0  # noqa: E731
    matrixelements.delta_C7 = zero
    matrixelements.delta_C9 = zero
    matrixelements.Yu = zero
    bpll.get_subleading = lambda *a, **k: {}
    bvll_amp.get_ss = lambda *a, **k: {}
    bvll_amp.get_subleading = lambda *a, **k: {}
    bvll_obs.get_ss = bvll_amp.get_ss  # the observables module holds its own references (import *)
    bvll_obs.get_subleading = bvll_amp.get_subleading
    # the charm-loop (non-local) parametrisation of flavio at low q^2 enters through the subleading
    # amplitudes switched off above


if __name__ == "__main__":
    full = predictions()
    switch_off()
    naive = predictions()
    np_naive = np_predictions()
    xi = ckm.xi("t", "bs")(par)
    meta = {
        "tool": f"flavio {flavio.__version__}", "abs_VtbVts": abs(xi), "alpha_e_4.8":
        flavio.physics.running.running.get_alpha(par, 4.8)["alpha_e"],
        "tau_ps": {k: par[k] / 1.51926778e12 for k in ("tau_B+", "tau_B0", "tau_Bs")},
        "tau_GeV^-1": {k: par[k] for k in ("tau_B+", "tau_B0", "tau_Bs")},
        "form_factors": {"B->K": "flavio default (GKvD 2018 LCSR+lattice, BSZ parametrisation)",
                         "B->K*": "flavio default (BSZ 2015 LCSR+lattice)"},
        "note": "'naive': delta_C7, delta_C9, Yu, spectator scattering and subleading corrections off; "
                "'default': flavio's full SM prediction",
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flavio_ll_tables.json")
    with open(path, "w") as f:
        json.dump({"meta": meta, "naive": naive, "default": full, "np": np_naive}, f, indent=1, sort_keys=True)
    print("wrote", path)
