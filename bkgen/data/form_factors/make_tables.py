"""Write the form-factor tables of this directory from the machine-readable files of flavio and EOS.

Run in a separate environment that has the reference tools (they are not bkgen dependencies)::

    python3 -m venv /tmp/ff-ref && . /tmp/ff-ref/bin/activate
    pip install flavio==2.7.1 particle==0.23.1 eoshep==1.0.21 pyyaml
    python bkgen/data/form_factors/make_tables.py

Only numbers are taken from those files; each output table records the file it was read
from. Parameter names follow bkgen: ``a<k>_<form factor>`` with form factors f_plus,
f_zero, f_T (B -> K) and A0, A1, A12, V, T1, T2, T23 (B -> V). The published matrices are
over the *free* parameters of each fit: the coefficients fixed by an exact constraint at
s = 0 (a0 of f_zero = a0 of f_plus; a0 of T2 = a0 of T1; a0 of A12 from a0 of A0,
BSZ arXiv:1503.05534 eq. (16)) are left out, as in the source files (see README.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent


def _site(module: str) -> Path:
    mod = __import__(module)
    return Path(os.path.dirname(mod.__file__))


FLAVIO = _site("flavio") / "physics" / "data"
EOS = _site("eos").parent / "_eos_data"
FLAVIO_VERSION = __import__("flavio").__version__
EOS_VERSION = __import__("importlib.metadata").metadata.version("eoshep")

B_TO_P = ("f_plus", "f_zero", "f_T")
B_TO_V = ("A0", "A1", "A12", "V", "T1", "T2", "T23")
#: coefficients fixed by exact constraints at s = 0 (not free in the published fits)
CONSTRAINED = {"a0_f_zero", "a0_A12", "a0_T2"}
#: flavio JSON spelling of the B -> K form factors
FLAVIO_P = {"f_plus": "f+", "f_zero": "f0", "f_T": "fT"}
#: EOS spelling
EOS_P = {"f_plus": "f+", "f_zero": "f0", "f_T": "fT"}


def _free(names):
    return [n for n in names if n not in CONSTRAINED]


def _flavio_json(rel: str, form_factors, spelling=None):
    """(names, central, sigma, correlation) of the free parameters of a flavio BSZ-type JSON file."""
    spelling = spelling or {f: f for f in form_factors}
    data = json.loads((FLAVIO / rel).read_text())
    names = _free([f"a{k}_{ff}" for ff in form_factors for k in range(3)])
    keys = [(spelling[n.split("_", 1)[1]], n.split("_", 1)[0]) for n in names]
    central = np.array([data["central"][f][a] for f, a in keys])
    sigma = np.array([data["uncertainty"][f][a] for f, a in keys])
    corr = np.array([[data["correlation"][f1 + f2][a1 + a2] for f2, a2 in keys] for f1, a1 in keys])
    # the file stores each pair of form factors once per ordering; symmetrise the rounding
    corr = 0.5 * (corr + corr.T)
    constrained_central = {}
    for n in sorted(CONSTRAINED):
        ff = n.split("_", 1)[1]
        if ff in form_factors and "a0" in data["central"][spelling[ff]]:
            constrained_central[n] = data["central"][spelling[ff]]["a0"]
    return names, central, sigma, corr, constrained_central


def _eos_block(path: Path, block: str, ff_spelling: dict, prefix: str):
    """(names, central, covariance) of an EOS MultivariateGaussian(Covariance) block of BSZ coefficients."""
    data = yaml.safe_load(path.read_text())[block]
    inverse = {v: k for k, v in ff_spelling.items()}
    names = []
    for obs in data["observables"]:
        # e.g. 'B->K::alpha^f+_1@BSZ2015'
        body = obs.split("::alpha^", 1)[1].split("@", 1)[0]
        ff, k = body.rsplit("_", 1)
        names.append(f"a{k}_{inverse.get(ff, ff)}")
    assert obs.startswith(prefix), obs
    return names, np.asarray(data["means"], float), np.asarray(data["covariance"], float)


def _entry(transition, names, central, cov=None, sigma=None, corr=None, *, source, fit, constrained=None,
           note=None):
    if cov is not None:
        cov = 0.5 * (cov + cov.T)
        sigma = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sigma, sigma)
    out = {
        "transition": transition,
        "fit": fit,
        "source_file": source,
        "parameters": list(names),
        "central": [float(x) for x in central],
        "uncertainty": [float(x) for x in sigma],
        "correlation": [[round(float(x), 12) for x in row] for row in corr],
    }
    if constrained:
        out["constrained_central"] = {k: float(v) for k, v in constrained.items()}
    if note:
        out["note"] = note
    return out


def main() -> None:
    flavio_tag = f"flavio {FLAVIO_VERSION}, flavio/physics/data/"
    eos_tag = f"EOS (eoshep {EOS_VERSION}), eos/constraints/theoretical/"

    # --- BSZ 2015 (arXiv:1503.05534v2): B -> K*, Bs -> phi --------------------------------
    bsz = {"paper": "A. Bharucha, D. M. Straub, R. Zwicky, JHEP 08 (2016) 098, arXiv:1503.05534v2",
           "sets": {}}
    for key, tr, fname in (("B->K*/LCSR+lattice", "B->K*", "BKstar_LCSR-Lattice.json"),
                           ("B->K*/LCSR", "B->K*", "BKstar_LCSR.json"),
                           ("Bs->phi/LCSR+lattice", "Bs->phi", "Bsphi_LCSR-Lattice.json"),
                           ("Bs->phi/LCSR", "Bs->phi", "Bsphi_LCSR.json")):
        rel = f"arXiv-1503-05534v2/{fname}"
        names, c, s, r, cc = _flavio_json(rel, B_TO_V)
        bsz["sets"][key] = _entry(tr, names, c, sigma=s, corr=r, source=flavio_tag + rel,
                                  fit=key.split("/")[1], constrained=cc)

    # --- GKvD 2018 (arXiv:1811.00983v1): B -> K --------------------------------------------
    gkvd = {"paper": "N. Gubernari, A. Kokulu, D. van Dyk, JHEP 02 (2019) 150, arXiv:1811.00983v1",
            "sets": {}}
    eos_p = EOS / "constraints" / "theoretical" / "B-to-P-form-factors.yaml"
    for key, fname, block in (("B->K/LCSR+lattice", "BK_LCSR-Lattice.json",
                               "B->K::FormFactors[parametric,LCSRLattice]@GKvD:2018A"),
                              ("B->K/LCSR", "BK_LCSR.json", "B->K::FormFactors[parametric,LCSR]@GKvD:2018A")):
        rel = f"arXiv-1811-00983v1/{fname}"
        names, c, s, r, _ = _flavio_json(rel, B_TO_P, FLAVIO_P)
        # the same fit in EOS's constraint file: a cross-check of both copies
        e_names, e_c, e_cov = _eos_block(eos_p, block, EOS_P, "B->K::")
        idx = [e_names.index(n) for n in names]
        e_c, e_cov = e_c[idx], e_cov[np.ix_(idx, idx)]
        e_s = np.sqrt(np.diag(e_cov))
        dc = float(np.max(np.abs(e_c - c) / s))
        ds = float(np.max(np.abs(e_s / s - 1.0)))
        dr = float(np.max(np.abs(e_cov / np.outer(e_s, e_s) - r)))
        print(f"GKvD {key}: EOS vs flavio: max |d central|/sigma {dc:.1e}, max |d sigma|/sigma {ds:.1e}, "
              f"max |d corr| {dr:.1e}")
        gkvd["sets"][key] = _entry(
            "B->K", names, c, sigma=s, corr=r, source=flavio_tag + rel, fit=key.split("/")[1],
            note=(f"identical fit in {eos_tag}B-to-P-form-factors.yaml, block {block}: max |d central|/sigma "
                  f"{dc:.1e}, max relative |d sigma| {ds:.1e}, max |d correlation| {dr:.1e}"))

    # --- GRvDV 2023 (arXiv:2305.06301v1), BSZ form: B -> K, B -> K*, Bs -> phi -------------
    grvdv = {"paper": "N. Gubernari, M. Reboud, D. van Dyk, J. Virto, arXiv:2305.06301v1 "
                      "(coefficients of the BSZ form as published with EOS)",
             "sets": {}}
    rel = "arXiv-2305-06301v1/BSZ-parameters-N2.yaml"
    for key, tr, block, prefix in (
            ("B->K", "B->K", "B->K::FormFactors[parametric,BSZ]@GRvDV:2023A", "B->K::"),
            ("B->K*", "B->K*", "B->K^*::FormFactors[parametric,BSZ]@GRvDV:2023A", "B->K^*::"),
            ("Bs->phi", "Bs->phi", "B_s->phi::FormFactors[parametric,BSZ]@GRvDV:2023A", "B_s->phi::")):
        names, c, cov = _eos_block(FLAVIO / rel, block, EOS_P, prefix)
        order = _free([f"a{k}_{ff}" for ff in (B_TO_P if tr == "B->K" else B_TO_V) for k in range(3)])
        assert sorted(order) == sorted(names), (names, order)
        idx = [names.index(n) for n in order]
        grvdv["sets"][key] = _entry(tr, order, c[idx], cov=cov[np.ix_(idx, idx)], source=f"{flavio_tag}{rel}, "
                                    f"block {block}", fit="LCSR+lattice+dispersive bounds")

    for arxiv, table in (("1503.05534", bsz), ("1811.00983", gkvd), ("2305.06301", grvdv)):
        table["made_by"] = "bkgen/data/form_factors/make_tables.py"
        path = HERE / f"arXiv-{arxiv}.json"
        path.write_text(json.dumps(table, indent=1) + "\n")
        print(f"wrote {path.relative_to(HERE.parent.parent.parent)}")


if __name__ == "__main__":
    main()
