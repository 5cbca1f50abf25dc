"""Reweighting of generated samples to other parameter points, and fast width/BR scans.

An event of channel c carries (m_M, q^2) and the helicity angles (theta_M, theta_Y, chi);
its normalised density is

    p(event) = rho_c(m_M, q^2) / Gamma  *  W_c(angles; m_M, q^2) / <W_c>(m_M, q^2),

where rho_c = [line shape of M normalised over its window] x dGamma_c/dq^2, W_c is the
kernel's angular density (``bkgen.kernels.cascade.angular_weight``) built from the
helicity amplitudes and pair weights at (m_M, q^2), and <W_c> its average over the
angles (cross terms in chi vanish; every |d^1_{lambda sigma}|^2 averages to 1/3):

    J_M = 0:  |H_0|^2 sum_sigma w_sigma / 3   (Y -> y1 y2),  |H_0|^2 (stable or spin-0 Y)
    J_M = 1:  sum_lambda |H_lambda|^2 sum_sigma w_sigma / 9,  sum |H|^2 / 3 (stable Y),  |H_0|^2 / 3 (spin-0 Y).

The event weight to a new parameter point is p_new / p_old (times the event's existing
weight), so the weights average to one when the new support lies inside the old one;
Gamma_new / Gamma_old converts to a rate.  Form-factor variations are written as extra
branches: by default the eigen-variations of the published covariances of the sets the decay
uses (``weight_ff_eig<k>_up/down``, k counted over the decay; see ``bkgen.ff_uncertainty``);
optionally +-1 sigma of every parameter taken one at a time, without the correlations
(``weight_ff_<parameter>_up/down``).
"""

from __future__ import annotations

import contextlib
import json
import math
import tomllib
from pathlib import Path

import numpy as np

from .errors import InputError
from .config.card import CardError, apply_overrides, parse_axis, parse_override, resolve
from .generate.decay import DecayPhysics
from .kernels import cascade as K
from .kernels.jit import jit
from .ff_uncertainty import eigen_variations, form_factor_override

# ------------------------------------------------------------------ parameter paths


# ------------------------------------------------------------------ densities


@jit
def _angular_ratio(h, w, j_m, y_mode, cm, cy, chi, out):
    """W / <W> per event (1 where the decay has no angular information)."""
    for i in range(cm.shape[0]):
        sm = np.sqrt(max(1.0 - cm[i] * cm[i], 0.0))
        sy = np.sqrt(max(1.0 - cy[i] * cy[i], 0.0))
        wv, wb = K.angular_weight(h[i], w[i], j_m, y_mode, cm[i], sm, cy[i], sy, np.cos(chi[i]), np.sin(chi[i]))
        hm2, h0s, hp2 = K.helicity_moduli(h[i])  # |H_lambda|^2 (columns 3-5: imaginary parts)
        hs = hm2 + h0s + hp2
        ws = w[i, 0] + w[i, 1] + w[i, 2]
        if j_m == 0:
            mean = h0s * ws / 3.0 if y_mode == 1 else h0s
        elif y_mode == 1:
            mean = hs * ws / 9.0
        elif y_mode == 0:
            mean = hs / 3.0
        else:
            mean = h0s / 3.0
        out[i] = wv / mean if (wb > 0.0 and mean > 0.0) else 1.0


class Density:
    """Normalised event density of a resolved card's decay (channels and widths from
    :class:`bkgen.generate.decay.DecayPhysics`)."""

    def __init__(self, card):
        self.physics = DecayPhysics.from_card(card)
        self.decay = self.physics.decay
        self.channels = self.physics.channels
        self.widths = self.physics.widths
        self.width = self.physics.width
        self.gamma_parent = self.physics.gamma_parent
        self._ls_norm = [self.physics.line_shape_norm(c) for c in range(len(self.channels))]

    @property
    def br(self) -> float:
        return self.width / self.gamma_parent

    def __call__(self, ev: dict) -> np.ndarray:
        """p(event) for arrays q2, m_meson, cos_theta_meson, cos_theta_pair, chi, channel."""
        ch_idx = np.asarray(ev["channel"])
        out = np.zeros(len(ch_idx))
        for c, ch in enumerate(self.channels):
            sel = np.flatnonzero(ch_idx == c)
            if sel.size == 0:
                continue
            q2 = np.asarray(ev["q2"], dtype=float)[sel]
            m = np.asarray(ev["m_meson"], dtype=float)[sel]
            with np.errstate(all="ignore"):
                rho = np.broadcast_to(np.asarray(ch.rate(q2, m), dtype=float), q2.shape).copy()
                if ch.line_shape is not None:
                    rho *= ch.line_shape.density_m2(m * m) / self._ls_norm[c]
                hc = np.broadcast_to(ch.helicity(q2, m), q2.shape + (3,))
                if np.iscomplexobj(hc):  # real and imaginary parts, as the kernel's tables (generate.tables)
                    hc = np.concatenate([hc.real, hc.imag], axis=-1)
                h = np.ascontiguousarray(hc, dtype=float)
                w = np.ascontiguousarray(np.broadcast_to(ch.pair_weights(q2, m), q2.shape + (3,)), dtype=float)
            # the kernel's azimuth of W is minus the recorded chi (LHCb's phi; kernels.cascade)
            chi = -np.array(ev["chi"][sel], dtype=float)
            if ch.weak_phases and "conjugate" in (ev.fields if hasattr(ev, "fields") else ev):
                # the CP conjugate of the amplitudes' decay was generated with chi -> -chi (kernels.cascade, P_WEAK)
                conj = np.asarray(ev["conjugate"])[sel].astype(bool) ^ bool(self.decay.amplitude_conjugate)
                chi = np.where(conj, -chi, chi)
            ang = np.empty(sel.size)
            _angular_ratio(h, w, ch.j_meson, ch.y_mode, np.ascontiguousarray(ev["cos_theta_meson"][sel], dtype=float),
                           np.ascontiguousarray(ev["cos_theta_pair"][sel], dtype=float), chi, ang)
            out[sel] = np.where(np.isfinite(rho), rho, 0.0) * ang / self.width
        return out


def check_support(old: Density, new: Density, key_hint: str) -> None:
    """The new density must vanish wherever the old one does (the sample cannot populate it)."""
    if len(old.channels) != len(new.channels):
        raise InputError(f"{key_hint}: changes the number of channels ({len(old.channels)} -> "
                         f"{len(new.channels)}); allowed: the same channels as the sample")
    for a, b in zip(old.channels, new.channels):
        if (a.j_meson, a.y_mode, a.q2_fixed is None) != (b.j_meson, b.y_mode, b.q2_fixed is None):
            raise InputError(f"{key_hint}: changes the decay topology of {a.label!r}; allowed: the sample's")
        if a.q2_fixed is not None and not math.isclose(a.q2_fixed, b.q2_fixed, abs_tol=1e-12):
            raise InputError(f"{key_hint}: moves the fixed q2 of {a.label!r}; allowed: q2 = {a.q2_fixed:g} GeV^2")
        if b.q2_lo < a.q2_lo * (1.0 - 1e-12) - 1e-15:
            raise InputError(
                f"{key_hint}: lowers the q2 threshold of {a.label!r} from {a.q2_lo:.6g} to {b.q2_lo:.6g} GeV^2, "
                f"outside the sample's support; allowed: parameter points with q2_lo >= {a.q2_lo:.6g} GeV^2")
        la, lb = a.line_shape, b.line_shape
        if la is not None and lb is not None and (lb.m_lo < la.m_lo - 1e-12 or lb.m_hi > la.m_hi + 1e-12):
            raise InputError(f"{key_hint}: widens the meson mass window of {a.label!r}; allowed: within "
                             f"[{la.m_lo:.6g}, {la.m_hi:.6g}] GeV")


# ------------------------------------------------------------------ form-factor variations


@contextlib.contextmanager
def form_factor_shift(parameter: str | None = None, sigmas: float = 0.0, used: list | None = None):
    """Within the block, every form-factor set the models request has ``parameter`` shifted by
    ``sigmas`` standard deviations (when the set has that parameter); ``used`` collects the sets."""

    def shift(ff):
        if parameter is not None and parameter in ff.parameter_names:
            return ff.varied(sigmas=True, **{parameter: sigmas})
        return ff

    with form_factor_override(shift, used):
        yield


def form_factor_parameters(card: dict) -> list[str]:
    used: list = []
    with form_factor_shift(used=used):
        Density(card)
    names = []
    for ff in used:
        for p in ff.uncertainties:
            if p not in names:
                names.append(p)
    return names


#: --ff-variations modes of :func:`reweight_file`
FF_VARIATION_MODES = ("eigen", "parameters", "none")


def form_factor_variations(card: dict, mode: str = "eigen") -> tuple[list, list]:
    """(branch name, Density) pairs of the form-factor variations of ``mode``, and a description of each.

    ``eigen``: +-1 sigma along each eigen-direction of the published covariances (correlated);
    ``parameters``: +-1 sigma of each parameter alone (uncorrelated); ``none``: nothing.
    """
    if mode not in FF_VARIATION_MODES:
        raise ValueError(f"ff_variations={mode!r}; allowed: {list(FF_VARIATION_MODES)}")
    out, about = [], []
    if mode == "eigen":
        variations, _ = eigen_variations(card)
        for v in variations:
            for tag, sign in (("up", 1.0), ("down", -1.0)):
                with form_factor_override(v.transform(sign)):
                    d = Density(card)
                out.append((f"weight_ff_eig{v.index}_{tag}", d))
                about.append({"branch": out[-1][0], "set": f"{v.transition} {v.name}", "eigen_index": v.k,
                              "sign": sign, "sigma": v.sigma, "br": d.br})
    elif mode == "parameters":
        for p in form_factor_parameters(card):
            for tag, sig in (("up", 1.0), ("down", -1.0)):
                with form_factor_shift(p, sig):
                    d = Density(card)
                out.append((f"weight_ff_{p}_{tag}", d))
                about.append({"branch": out[-1][0], "parameter": p, "sign": sig, "br": d.br})
    return out, about


# ------------------------------------------------------------------ sample reweighting


def reweight_file(sample: str | Path, out: str | Path, sets: list[str], *, ff_variations: bool | str = "eigen",
                  overwrite: bool = False, step: int = 1 << 18, log=None) -> dict:
    """Write ``out``: the events of ``sample`` with weights for the card of ``sample`` plus ``sets``.

    ``ff_variations``: ``"eigen"`` (True), ``"parameters"`` or ``"none"`` (False); see
    :func:`form_factor_variations`.
    """
    mode = {True: "eigen", False: "none"}.get(ff_variations, ff_variations)
    if mode not in FF_VARIATION_MODES:
        raise InputError(f"ff_variations={ff_variations!r}; allowed: {list(FF_VARIATION_MODES)}")
    from .config.card import dumps
    from .io.root import COUNTER_BRANCH, RootEventWriter
    from .io.sample import BLOCK, block_from_arrays, is_block_branch, open_sample

    sample, out = Path(sample), Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"output {str(out)!r} exists; allowed: a new path, or --force to overwrite")
    smp = open_sample(sample)  # checks the events against the card that produced them
    meta = smp.meta
    old_raw = tomllib.loads(meta["card"])
    old_card = smp.card
    for text in sets:
        keys, _ = parse_override(text)
        if keys[0] != "model":
            raise CardError(f"--set {text!r}: allowed: model parameters (model.key=value)")
    new_card = resolve(apply_overrides(old_raw, list(sets)))
    hint = "--set " + " ".join(sets) if sets else "the sample's card"
    old, new = Density(old_card), Density(new_card)
    check_support(old, new, hint)
    variations, about = form_factor_variations(new_card, mode)
    summary = {"events": 0, "sum_w": 0.0, "sum_w2": 0.0}
    import uproot

    with uproot.open(sample) as f:
        tree = f["events"]
        # particle branches: fixed-size arrays of n_particles entries per event, or the jagged branches
        # counted by n_particles of files from earlier versions (written out as fixed-size arrays)
        jagged = {b.name for b in tree.branches if getattr(b, "count_branch", None) is not None
                  and not is_block_branch(b.name)}
        particle_names = [b.name for b in tree.branches
                          if b.name in jagged or len(getattr(b.interpretation, "inner_shape", ())) == 1]
        particle_names = [k for k in particle_names if not is_block_branch(k)]
        # the variable particle block of a hadronised sample (jagged hadrons_<field>, n_hadrons) is copied
        block_types = {b.name[len(BLOCK) + 1:]: b.interpretation.content.from_dtype.newbyteorder("=")
                       for b in tree.branches if b.name.startswith(BLOCK + "_")}
        scalar_names = [b.name for b in tree.branches if b.name not in particle_names and b.name != COUNTER_BRANCH
                        and not is_block_branch(b.name)]
        writer = None
        try:
            for arrays in smp.iterate(step=step):
                n = len(arrays["q2"])
                p_old = old(arrays)
                # in range, yet of zero density under the card: not an event it produces (an event of a
                # reweighted file may have weight 0 outside the support of the file's card)
                zero = ~(p_old > 0) & (arrays["weight"] != 0)
                if zero.any():
                    i = int(np.flatnonzero(zero)[0])
                    raise smp.error(
                        f"event {summary['events'] + i} (channel {int(arrays['channel'][i])}, q2 = "
                        f"{float(arrays['q2'][i])!r}) has density {float(p_old[i])!r} under the sample's card; "
                        "allowed: events the sample's card can produce")
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(p_old > 0, new(arrays) / p_old, 0.0)
                    extra = {name: np.where(p_old > 0, d(arrays) / p_old, 0.0) for name, d in variations}
                base = np.asarray(arrays["weight"], dtype=float)
                scalars = {k: arrays[k] for k in scalar_names}
                scalars["weight"] = base * ratio
                for name, r in extra.items():
                    scalars[name] = base * r
                particles = {k: np.stack(arrays[k]) if k in jagged else arrays[k] for k in particle_names}
                if block_types:
                    particles[BLOCK] = block_from_arrays(arrays)
                if writer is None:
                    writer = RootEventWriter(
                        out, scalar_branches={k: v.dtype for k, v in scalars.items()},
                        particle_branches={k: v.dtype for k, v in particles.items() if k != BLOCK},
                        compression=old_card.output.compression, overwrite=overwrite,
                        variable_branches=block_types)
                writer.write(scalars, particles)
                summary["events"] += n
                summary["sum_w"] += float(ratio.sum())
                summary["sum_w2"] += float((ratio * ratio).sum())
            if writer is None:
                raise smp.error("no events; allowed: a sample with at least one event")
            info = json.loads(meta.get("run_info", "{}") or "{}")
            n_ev = summary["events"]
            info["reweighting"] = {
                "source": str(sample),
                "sets": list(sets),
                "source_card": smp.info["reweighting"]["source_card"] if "reweighting" in smp.info else meta["card"],
                "width_old_GeV": old.width,
                "width_new_GeV": new.width,
                "br_old": old.br,
                "br_new": new.br,
                "mean_weight": summary["sum_w"] / n_ev,
                "effective_events": summary["sum_w"] ** 2 / summary["sum_w2"] if summary["sum_w2"] else 0.0,
                "weight": "event weight x p_new/p_old (normalised densities); x br_new/br_old gives the rate",
                "form_factor_branches": [name for name, _ in variations],
                "form_factor_variations": {"mode": mode, "branches": about},
            }
            summary.update(info["reweighting"])
            writer.close({"card": dumps(new_card), "run_info": json.dumps(info, indent=1, default=float)})
        except BaseException:
            if writer is not None and not writer.closed:
                writer.abort()
            raise
    if log is not None:
        log(f"wrote {summary['events']} reweighted events to {out}: BR {old.br:.4e} -> {new.br:.4e}, "
            f"mean weight {summary['mean_weight']:.4f}, effective events {summary['effective_events']:.0f}, "
            f"{len(variations)} form-factor weight branches")
    return summary


# ------------------------------------------------------------------ scans


def parse_grid(text: str) -> tuple[str, np.ndarray]:
    """A --grid axis (see :func:`bkgen.config.card.parse_axis`)."""
    return parse_axis(text, "--grid")


def scan(card_path: str, grids: list[str], sets: list[str] | None = None) -> dict:
    """Widths and BRs on the outer product of the grids (no tables, no events)."""
    from .config.card import load_raw

    raw = apply_overrides(load_raw(card_path), list(sets or []))
    resolve(raw)  # the base card must be valid
    axes = [parse_grid(g) for g in grids]
    if not axes:
        raise InputError("scan needs at least one --grid key=start:stop:n")
    names = [k for k, _ in axes]
    shape = tuple(len(v) for _, v in axes)
    width = np.full(shape, np.nan)
    br = np.full(shape, np.nan)
    br_vis = np.full(shape, np.nan)
    channels = None
    ch_br = None
    for idx in np.ndindex(*shape):
        point = [f"{k}={float(v[i])!r}" for (k, v), i in zip(axes, idx)]
        phys = DecayPhysics.from_card(resolve(apply_overrides(raw, list(point))))
        chans, g_parent, w = phys.channels, phys.gamma_parent, phys.widths
        if channels is None:
            channels = [ch.label for ch in chans]
            ch_br = np.full(shape + (len(chans),), np.nan)
        width[idx] = w.sum()
        br[idx] = w.sum() / g_parent
        br_vis[idx] = sum(wi / g_parent * ch.visible_br for wi, ch in zip(w, chans))
        if len(w) == ch_br.shape[-1]:
            ch_br[idx] = w / g_parent
    return {"parameters": names, "values": [v.tolist() for _, v in axes], "width_GeV": width.tolist(),
            "br": br.tolist(), "br_visible": br_vis.tolist(), "channels": channels, "channel_br": ch_br.tolist()}


def plot_scan(result: dict, path: str | Path, overwrite: bool = False) -> None:
    """BR over the scan grid, written atomically to ``path`` (format from its extension, default PNG)."""
    from .io._atomic import atomic_output, check_target

    check_target(path, overwrite=overwrite)
    from .errors import require

    matplotlib = require("plot", "--plot", ("matplotlib",))
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, values = result["parameters"], [np.asarray(v) for v in result["values"]]
    br = np.asarray(result["br"])
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    if len(names) == 1:
        ax.plot(values[0], br, marker="o")
        ax.set_xlabel(names[0])
        ax.set_ylabel("BR")
        ax.set_yscale("log")
    else:
        z = np.log10(br.reshape(len(values[0]), len(values[1]), -1)[..., 0])
        mesh = ax.pcolormesh(values[1], values[0], z, shading="nearest")
        fig.colorbar(mesh, ax=ax, label="log10 BR")
        ax.set_xlabel(names[1])
        ax.set_ylabel(names[0])
    ax.set_title("bkgen scan")
    fig.tight_layout()
    try:
        with atomic_output(path, overwrite=overwrite) as tmp:
            fig.savefig(tmp, format=Path(path).suffix[1:].lower() or "png")
    finally:
        plt.close(fig)
