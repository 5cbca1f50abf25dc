"""Published central values and covariances of the form-factor fits (bkgen/data/form_factors/).

Each file ``arXiv-<id>.json`` holds the fits of one paper, keyed by ``<transition>/<fit>``
(or the transition alone); every fit lists its free parameters (``a<k>_<form factor>``),
central values, 1 sigma uncertainties and correlation matrix, read from the machine-readable
file named in ``source_file`` (see README.md there and make_tables.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class PublishedFit:
    """One published fit: parameters, central values, uncertainties, correlation matrix."""

    arxiv: str
    key: str
    transition: str
    parameters: tuple[str, ...]
    central: np.ndarray
    uncertainty: np.ndarray
    correlation: np.ndarray
    source_file: str
    constrained_central: dict

    @property
    def covariance(self) -> np.ndarray:
        """Covariance matrix sigma_i rho_ij sigma_j in the order of ``parameters``."""
        return self.correlation * np.outer(self.uncertainty, self.uncertainty)

    def value(self, name: str) -> float:
        """Central value of a free or constrained parameter (KeyError if the fit has none)."""
        if name in self.parameters:
            return float(self.central[self.parameters.index(name)])
        return float(self.constrained_central[name])


@lru_cache(maxsize=None)
def _paper(arxiv: str) -> dict:
    path = resources.files("bkgen") / "data" / "form_factors" / f"arXiv-{arxiv}.json"
    return json.loads(path.read_text())


def papers() -> tuple[str, ...]:
    """arXiv ids of the shipped tables."""
    folder = resources.files("bkgen") / "data" / "form_factors"
    return tuple(sorted(p.name[6:-5] for p in folder.iterdir() if p.name.startswith("arXiv-")
                        and p.name.endswith(".json")))


@lru_cache(maxsize=None)
def fit(arxiv: str, key: str) -> PublishedFit:
    """The fit ``key`` (e.g. ``"B->K*/LCSR+lattice"``) of paper ``arxiv`` (e.g. ``"1503.05534"``)."""
    paper = _paper(arxiv)
    try:
        d = paper["sets"][key]
    except KeyError:
        raise ValueError(f"no fit {key!r} in arXiv:{arxiv}; allowed: {list(paper['sets'])}") from None
    corr = np.asarray(d["correlation"], dtype=np.float64)
    corr.setflags(write=False)
    central = np.asarray(d["central"], dtype=np.float64)
    central.setflags(write=False)
    sigma = np.asarray(d["uncertainty"], dtype=np.float64)
    sigma.setflags(write=False)
    return PublishedFit(arxiv, key, d["transition"], tuple(d["parameters"]), central, sigma, corr,
                        d["source_file"], dict(d.get("constrained_central", {})))


def fits(arxiv: str) -> tuple[str, ...]:
    """Keys of the fits in paper ``arxiv``."""
    return tuple(_paper(arxiv)["sets"])


__all__ = ["PublishedFit", "fit", "fits", "papers"]
