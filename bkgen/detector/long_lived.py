"""Per-event extension for decays B -> M Y with a long-lived Y of fixed mass (``Decay.extension``).

For every chunk of events (:meth:`LongLivedY.apply`):

* the displacement branches of :class:`~bkgen.detector.displacement.DisplacedDecays` (decay
  vertex, proper and lab decay length, beta gamma, decay region, p_decay_<region>), and with
  ``displacement.force_region`` the decay forced into that region with weight P_region;
* the branch ``hadronise`` = 1 for channels flagged ``Channel.hadronise``: the Y daughters are a
  colour-singlet parton pair (g g or q qbar) with status 1, to be hadronised by a downstream
  generator (status 1 keeps the record's final-state sums and the LHE/HepMC final states valid);

Invisible branching fraction (seed 003 eq. 11): the channels flagged ``Channel.invisible`` are
invisible wherever Y decays, the others when Y decays outside the detector. :meth:`summary`
gives it three ways:

* ``br_invisible_eq11``: eq. (11) as printed, BR(B -> M Y) [BR(Y -> inv) + exp(-L_det/(beta
  gamma c tau)) BR(Y -> vis)], beta gamma of the two-body decay in the B rest frame;
* ``br_invisible_geometry``: the same with exp(-L_det/...) replaced by the event average of
  P_outside along each Y's line of flight in the configured geometry;
* ``br_invisible_mc``: from the sample, BR(B -> M Y) x mean over events of the invisibility
  indicator (with ``force_region = "outside"``: I_inv + (1 - I_inv) w, w = P_outside), with its
  statistical error. Not defined when decays are forced into another region.

The sample is the events converted so far by this generator; when there are none (``bkgen
info``), ``displacement.info_events`` events of the card's seed are generated for it.
"""

from __future__ import annotations

import math

import numpy as np

from ..physics.models.base import kallen
from .displacement import DisplacedDecays, escape_probability_single_length
from .geometry import OUTSIDE, from_card


class LongLivedY:
    def __init__(self, gen, model_summary: dict | None = None):
        card = gen.card
        self.section = card["displacement"]
        rec = gen.record
        self.daughters = [i for i, v in enumerate(rec.vertex) if v == 1]
        if len(self.daughters) != 2:
            raise ValueError("displacement needs the long-lived Y's two daughters in the record")
        self.y_entry = rec.mothers[self.daughters[0]]
        ch0 = gen.channels[0]
        self.m_y = math.sqrt(ch0.q2_fixed)
        self.ctau = ch0.y_ctau
        force = self.section["force_region"]
        self.geometry = from_card(self.section)
        self.disp = DisplacedDecays(self.geometry, self.m_y, self.ctau, self.y_entry, self.daughters,
                                    gen.block_size(), None if force == "none" else force)
        self.force = force
        self.invisible = np.array([c.invisible for c in gen.channels], dtype=bool)
        self.hadronise = np.array([c.hadronise for c in gen.channels], dtype=bool)
        self.model_summary = model_summary or {}
        self.model_name = gen.model.name
        widths = np.array([i.width for i in gen.info])
        self.br_inv_y = float(widths[self.invisible].sum() / widths.sum())
        m_b = ch0.m_parent
        m_m = ch0.line_shape.m0 if ch0.line_shape is not None else ch0.m_meson
        self.beta_gamma_rest = math.sqrt(kallen(m_b**2, m_m**2, self.m_y**2)) / (2.0 * m_b * self.m_y)
        self._reset()

    def _reset(self):
        n_r = len(self.geometry.regions)
        self._n = 0
        self._sum_p = np.zeros(n_r)
        self._sum_w = np.zeros(n_r)
        self._sum_w2 = np.zeros(n_r)
        self._sum_inv = 0.0
        self._sum_inv2 = 0.0

    @property
    def branch_types(self) -> dict:
        return {**self.disp.branch_types, "hadronise": np.int8}

    def apply(self, scalars: dict, particles: dict, seed: int) -> None:
        ch = np.asarray(scalars["channel"], dtype=np.int64)
        scalars["hadronise"] = self.hadronise[ch].astype(np.int8)
        out, prob = self.disp.apply(scalars, particles, seed)
        # accumulators for the summary: displacement weight only (no detector-level weight)
        n = len(ch)
        regions = self.geometry.regions
        w = np.ones(n) if self.disp.force is None else prob[:, self.disp.force]
        region = out["decay_region"]
        self._n += n
        self._sum_p += prob.sum(axis=0)
        self._sum_w += np.bincount(region, weights=w, minlength=len(regions))
        self._sum_w2 += np.bincount(region, weights=w * w, minlength=len(regions))
        inv = self.invisible[ch].astype(float)
        if self.force in ("none", OUTSIDE):
            outside = (out["decay_region"] == len(regions) - 1) * w
            x = inv + (1.0 - inv) * outside
            self._sum_inv += x.sum()
            self._sum_inv2 += (x * x).sum()

    def summary(self, gen) -> dict:
        source = "events of this run"
        if self._n == 0 and self.section["info_events"] > 0:
            seed = gen.card["generation"]["seed"]
            hadroniser, gen.hadroniser = getattr(gen, "hadroniser", None), None  # the estimate needs no hadrons
            try:
                for _ in gen.events(self.section["info_events"], seed):
                    pass
            finally:
                gen.hadroniser = hadroniser
            source = f"{self.section['info_events']} events generated for this summary (seed {seed})"
        n = self._n
        br_b = gen.br
        l_det = self.section["L_det"]
        p_esc = float(escape_probability_single_length(self.beta_gamma_rest, self.ctau, l_det))
        br_vis_y = 1.0 - self.br_inv_y
        inv = {
            "L_det_mm": l_det,
            "ctau_mm": self.ctau,
            "beta_gamma_B_rest": self.beta_gamma_rest,
            "br_Y_invisible": self.br_inv_y,
            "p_escape_eq11": p_esc,
            "br_invisible_eq11": br_b * (self.br_inv_y + p_esc * br_vis_y),
        }
        regions = {}
        if n > 0:
            p_mean = self._sum_p / n
            inv["br_invisible_geometry"] = br_b * (self.br_inv_y + br_vis_y * p_mean[-1])
            if self.force in ("none", OUTSIDE):
                mean = self._sum_inv / n
                inv["br_invisible_mc"] = br_b * mean
                inv["br_invisible_mc_error"] = br_b * math.sqrt(max(self._sum_inv2 / n - mean * mean, 0.0) / n)
            else:
                inv["br_invisible_mc"] = None
                inv["br_invisible_mc_error"] = None
            inv["mc_events"] = n
            inv["mc_source"] = source
            for k, r in enumerate(self.geometry.regions):
                frac = self._sum_w[k] / n
                regions[r] = {
                    "p_mean": float(p_mean[k]),
                    "mc_fraction": float(frac),
                    "mc_fraction_error": float(math.sqrt(max(self._sum_w2[k] / n - frac * frac, 0.0) / n)),
                }
        if source != "events of this run":
            self._reset()
        return {
            self.model_name: self.model_summary,
            "invisible": inv,
            "decay_regions": regions,
            "geometry": {"shape": self.geometry.shape, "force_region": self.force,
                         "boundaries_mm": {b.name: [b.radius, b.z_min, b.z_max] for b in self.geometry.boundaries}},
            "record_note": ("hadronise = 1: the two Y daughters are a colour-singlet parton pair (g g or q qbar), "
                            + ("hadronised in this run (status 2; the hadrons follow in the hadrons_* block)"
                               if gen.card.generation.hadronise else "status 1, to be hadronised downstream")),
        }
