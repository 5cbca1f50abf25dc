"""Reference tables of EOS (eoshep) for B -> K(*) nu nubar and Bs -> phi nu nubar in the weak effective
theory (EOS ``sbnunu`` coefficients), used by tests/test_eft.py.

Run in a separate environment that has EOS (never a dependency of bkgen):

    python3 -m venv /tmp/eos-ref && /tmp/eos-ref/bin/pip install eoshep scipy particle
    /tmp/eos-ref/bin/python tests/reference/eos/make_tables.py

The B -> K*, Bs -> phi form-factor parameters of EOS's BSZ2015 parametrisation are set to bkgen's central
BSZ 2015 (LCSR + lattice) coefficients, and B -> K to bkgen's GKvD 2018 ones (EOS's defaults are the
same numbers), so that both sides use the same form factors; EOS's values of the form factors at each q^2
are written too. Writes sbnunu_tables.json beside this script: EOS version, options, every parameter
the comparison needs, and per operator point and q^2: dBR/dq^2 [GeV^-2] (and F_L(q^2) for vectors).
"""

from __future__ import annotations

import json
import pathlib
import sys

import eos

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # the bkgen checkout, for its form-factor coefficients
from bkgen.physics.form_factors import bsz

POINTS = {  # name -> EOS sbnunu coefficients (all others zero)
    "SM": {"cVL": None},  # EOS's own SM value
    "VL1": {"cVL": 1.0},
    "VR1": {"cVR": 1.0},
    "SL1": {"cSL": 1.0},
    "SR1": {"cSR": 1.0},
    "TL1": {"cTL": 1.0},
}
PROCESSES = {
    "B->Knunu": {"options": {"model": "WET", "form-factors": "BSZ2015", "q": "u", "I": "1/2"},
                 "B": "B_u", "M": "K_u", "ffs": ["f_+", "f_0", "f_T"], "prefix": "B->K",
                 "q2": [0.5 + 1.75 * i for i in range(13)]},
    "B->K^*nunu": {"options": {"model": "WET", "form-factors": "BSZ2015", "q": "d", "I": "1/2"},
                   "B": "B_d", "M": "K_d^*", "ffs": ["V", "A_0", "A_1", "A_12", "T_1", "T_2", "T_23"],
                   "prefix": "B->K^*", "q2": [0.5 + 1.5 * i for i in range(13)]},
    "B_s->phinunu": {"options": {"model": "WET", "form-factors": "BSZ2015"},
                     "B": "B_s", "M": "phi", "ffs": ["V", "A_0", "A_1", "A_12", "T_1", "T_2", "T_23"],
                     "prefix": "B_s->phi", "q2": [0.5 + 1.5 * i for i in range(12)]},
}
#: bkgen coefficient table -> EOS parameter prefix (EOS has no a0 for f0, A12, T2: fixed by constraints)
FF_SETS = {
    "B->K": (bsz.GKVD2018_LCSR_LATTICE, {"f_plus": "f+", "f_zero": "f0", "f_T": "fT"}),
    "B->K^*": (bsz.BSZ2015_BKSTAR_LCSR_LATTICE, {k: k for k in ("A0", "A1", "A12", "V", "T1", "T2", "T23")}),
    "B_s->phi": (bsz.BSZ2015_BSPHI_LCSR_LATTICE, {k: k for k in ("A0", "A1", "A12", "V", "T1", "T2", "T23")}),
}


def set_form_factors(p: eos.Parameters) -> dict:
    known = {str(x.name()) for x in p}
    done = {}
    for prefix, (table, names) in FF_SETS.items():
        for ours, theirs in names.items():
            for k, entry in enumerate(table[ours]):
                name = f"{prefix}::alpha^{theirs}_{k}@BSZ2015"
                if entry is None or name not in known:  # constrained a0 (f0, A12, T2): no EOS parameter
                    continue
                p[name].set(entry[0])
                done[name] = entry[0]
    return done


def main() -> None:
    out = {"eos_version": eos.__version__, "source": "tests/reference/eos/make_tables.py", "processes": {}}
    base = eos.Parameters()
    out["form_factor_parameters_set"] = set_form_factors(base)
    for proc, spec in PROCESSES.items():
        o = eos.Options(spec["options"])
        model = eos.Model.make("WET", base, o)
        mu = base["sbnunu::mu"].evaluate()
        params = {
            "m_B": base[f"mass::{spec['B']}"].evaluate(), "m_M": base[f"mass::{spec['M']}"].evaluate(),
            "tau_B": base[f"life_time::{spec['B']}"].evaluate(), "hbar": base["QM::hbar"].evaluate(),
            "G_F": base["WET::G_Fermi"].evaluate(), "alpha_e": base["QED::alpha_e(m_b)"].evaluate(),
            "abs_lambda_t": abs(model.ckm_tb() * model.ckm_ts().conjugate()),
            "mu": mu, "m_b_msbar_mu": model.m_b_msbar(mu), "m_s_msbar_mu": model.m_s_msbar(mu),
            "cVL_SM": base["sbnunu::Re{cVL}"].evaluate(),
        }
        rows = {}
        for point, coeffs in POINTS.items():
            p = eos.Parameters()
            set_form_factors(p)
            for c in ("cVL", "cVR", "cSL", "cSR", "cTL"):
                if c in coeffs and coeffs[c] is None:
                    continue
                p[f"sbnunu::Re{{{c}}}"].set(coeffs.get(c, 0.0))
            used = {c: p[f"sbnunu::Re{{{c}}}"].evaluate() for c in ("cVL", "cVR", "cSL", "cSR", "cTL")}
            dbr, fl = [], []
            for q2 in spec["q2"]:
                k = eos.Kinematics(q2=q2)
                dbr.append(eos.Observable.make(f"{proc}::dBR/dq2", p, k, o).evaluate())
                if proc != "B->Knunu":
                    fl.append(eos.Observable.make(f"{proc}::F_L(q2)", p, k, o).evaluate())
            rows[point] = {"coefficients": used, "dBR_dq2": dbr, **({"F_L": fl} if fl else {})}
        ffv = {}
        p = eos.Parameters()
        set_form_factors(p)
        for f in spec["ffs"]:
            ffv[f] = [eos.Observable.make(f"{spec['prefix']}::{f}(q2)", p, eos.Kinematics(q2=q2), o).evaluate()
                      for q2 in spec["q2"]]
        out["processes"][proc] = {"options": spec["options"], "parameters": params, "q2": spec["q2"],
                                  "form_factors": ffv, "points": rows}
    (HERE / "sbnunu_tables.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
