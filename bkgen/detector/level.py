"""Per-event detector level for the generator: q2_rec, optional smearing and efficiency.

Random numbers: events of generator block b use the stream
``SeedSequence(seed, spawn_key=(b, 1))`` (the kernel's block stream is ``spawn_key=(b,)``), drawn in
a fixed layout per event (3 normals for each of two tracks, then one uniform), so the detector
level, like the events, depends only on (card, seed, block size).
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import cascade as K
from ..physics import inputs
from .efficiency import load as load_efficiency
from .q2rec import beam_four_momentum, minkowski_dot, q2_rec, q2_rec_rest_frame
from .resolution import smear_tracks


class DetectorLevel:
    """The card's [detector] section applied to raw kernel output."""

    def __init__(self, card: dict, channels):
        self.det = card["detector"]
        frame = card["beam"]["frame"]
        self.lab = frame != "B_rest"  # lab or CMS: the record has the e+e- system
        self.p_beams = beam_four_momentum(card["beam"])
        if frame == "cms":  # nominal e+e- system at rest
            self.p_beams = np.array([math.sqrt(minkowski_dot(self.p_beams, self.p_beams)), 0.0, 0.0, 0.0])
        self.sqrt_s = math.sqrt(minkowski_dot(self.p_beams, self.p_beams))
        ch0 = channels[0]
        self.meson_daughters = ch0.meson_daughters is not None
        if self.meson_daughters:
            self.track_mass = np.array([inputs.mass(abs(ch0.meson_daughters[0])), inputs.mass(abs(ch0.meson_daughters[1]))])
        else:
            self.track_mass = np.array([inputs.mass(abs(ch0.meson))])
        eff = self.det["efficiency"]
        self.efficiency = None if eff == "none" else load_efficiency(eff, "detector.efficiency")

    def _draws(self, seed: int, first_event: int, n: int, block_size: int):
        normals = np.empty((n, 2, 3))
        uniforms = np.empty(n)
        i = 0
        while i < n:
            ev = first_event + i
            b = ev // block_size
            start = ev - b * block_size
            m = min(block_size - start, n - i)
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b, 1))))
            block_n = rng.standard_normal((start + m, 2, 3))
            block_u = rng.random(start + m)
            normals[i:i + m] = block_n[start:]
            uniforms[i:i + m] = block_u[start:]
            i += m
        return normals, uniforms

    def apply(self, raw: dict, first_event: int, seed: int, block_size: int):
        """(q2_rec, weight, keep) for the events of ``raw``; keep is None unless accept/reject is on."""
        p4 = raw["p4"]
        n = p4.shape[0]
        need_random = self.det["resolution"] or (self.efficiency is not None and self.det["efficiency_mode"] == "accept_reject")
        normals, uniforms = self._draws(seed, first_event, n, block_size) if need_random and n else (None, None)
        if self.meson_daughters:
            tracks = np.stack([p4[:, K.SLOT_M1, :], p4[:, K.SLOT_M2, :]], axis=1)
        else:
            tracks = p4[:, K.SLOT_M, :][:, None, :]
        if self.det["resolution"]:
            nt = tracks.shape[1]
            tracks = smear_tracks(
                tracks, self.track_mass[None, :nt], normals[:, :nt, :], self.det["sigma_pt_a"], self.det["sigma_pt_b"],
                self.det["sigma_theta"], self.det["sigma_phi"],
            )
        meson = tracks.sum(axis=1)
        m_meson = self.track_mass[0] if not self.meson_daughters else None
        if self.lab:
            beams = p4[:, K.SLOT_UPS, :] if self.det["cm_frame"] == "event" else self.p_beams
            q2r = q2_rec(meson, beams, m_meson)
        else:
            q2r = q2_rec_rest_frame(meson, self.sqrt_s, m_meson)
        weight = np.ones(n)
        keep = None
        if self.efficiency is not None:
            eff = self.efficiency(raw["obs"][:, K.O_Q2])
            if self.det["efficiency_mode"] == "weight":
                weight = eff
            else:
                keep = uniforms < eff
        return q2r, weight, keep
