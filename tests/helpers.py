"""Shared test helpers: concatenated samples, a chi^2 p-value, optional extras and the command line in a subprocess."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from bkgen.config.card import resolve
from bkgen.generate.generator import Generator


def make_generator(model: str, decay: str, frame: str = "B_rest", block_size: int = 16384, **params) -> Generator:
    """Generator for a card built in place: model, decay and model parameters; rest frame by default.
    The record is stored in double precision, so kinematic checks test the kernel's four-vectors."""
    card = {"process": {"model": model, "decay": decay}, "model": params, "beam": {"frame": frame},
            "generation": {"block_size": block_size}, "output": {"precision": "float64"}}
    return Generator(resolve(card))


def sample(gen: Generator, n: int, seed: int) -> tuple[dict, dict]:
    """All chunks of gen.events(n, seed) concatenated: (scalars, particles)."""
    sc, pa = [], []
    for s, p, _ in gen.events(n, seed):
        sc.append(s)
        pa.append(p)
    return ({k: np.concatenate([c[k] for c in sc]) for k in sc[0]},
            {k: np.concatenate([c[k] for c in pa]) for k in pa[0]})


def chi2_pvalue(observed, expected) -> float:
    """p-value of Pearson's chi^2 over the bins with more than 5 expected entries."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    mask = expected > 5
    chi2 = (((observed - expected) ** 2) / expected)[mask].sum()
    return float(stats.chi2.sf(chi2, mask.sum() - 1))


def extra(module: str):
    """Import a module of an optional extra; without it the test is skipped, except on CI (``CI=true``),
    where every extra is installed (``pip install ".[test]"``) and a missing one fails."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


def bkgen_subprocess(*args, cwd) -> subprocess.CompletedProcess:
    """``python -m bkgen ARGS`` in ``cwd`` with Python warnings as errors; output captured as text."""
    env = dict(os.environ, PYTHONWARNINGS="error")
    return subprocess.run([sys.executable, "-m", "bkgen", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)


def pyhf_pars(model, cm, x) -> np.ndarray:
    """pyhf's parameter vector for the compiled model's point ``x`` (POI ``mu`` or ``mu_np`` first,
    then the alphas and gammas in the compiled model's order)."""
    pars = np.array(model.config.suggested_init(), dtype=float)
    for name in model.config.par_order:
        sl = model.config.par_slice(name)
        if name in ("mu", "mu_np"):
            pars[sl] = x[0]
        elif name in cm.alpha_names:
            pars[sl] = x[1 + cm.alpha_names.index(name)]
        else:
            for i in range(sl.stop - sl.start):
                key = f"{name}[{i}]"
                if key in cm.gamma_names:
                    pars[sl.start + i] = x[1 + cm.n_alpha + cm.gamma_names.index(key)]
    return pars
