"""A resolved card's decay: channels, partial widths with errors and BRs, kernel tables on demand.

:class:`DecayPhysics` is the one place where a card becomes physics numbers. ``bkgen info``,
``scan``, ``recast`` and ``reweight`` use its widths and BRs; only the generator asks for
:attr:`DecayPhysics.tables`, which are built (and numba imported) the first time they are needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from ..config.card import Card, resolve
from ..errors import InputError
from ..physics.models import get as get_model
from ..physics.models.base import Channel, Decay, Model, parent_width
from .widths import WIDTH_RTOL, Width, decay_widths, line_shape_norm


@dataclass
class ChannelInfo:
    """Partial width [GeV] with its error, BR and BR x BR(meson decay in the record) of one channel."""

    label: str
    width: float  # GeV
    width_error: float  # GeV
    br: float
    br_visible: float  # times the BR of the meson decay written to the record


class DecayPhysics:
    """Channels of one decay at one parameter point, their widths (adaptive Gauss-Legendre, relative
    accuracy ``rtol``) and BRs; kernel tables built lazily (:attr:`tables`)."""

    def __init__(self, model: Model, decay: Decay, params: Mapping, *, rtol: float = WIDTH_RTOL):
        self.model = model
        self.decay = decay
        self.params = params
        self.rtol = rtol
        self.channels: list[Channel] = decay.channels(params)
        self.parent = abs(self.channels[0].parent)
        self.gamma_parent = parent_width(self.parent)
        self.partial: list[Width] = decay_widths(self.channels, rtol, decay.name)
        self.widths = np.array([w.value for w in self.partial])
        self.width_errors = np.array([w.error for w in self.partial])
        self.info = [ChannelInfo(ch.label, w.value, w.error, w.value / self.gamma_parent,
                                 w.value / self.gamma_parent * ch.visible_br)
                     for ch, w in zip(self.channels, self.partial)]
        self.width = float(self.widths.sum())
        self.width_error = float(math.sqrt(sum(e * e for e in self.width_errors)))
        self._tables = None
        self._ls_norm: dict[int, float] = {}

    @classmethod
    def from_card(cls, card: Card, *, rtol: float = WIDTH_RTOL) -> DecayPhysics:
        """The decay of a resolved card (its process and model parameters)."""
        if not isinstance(card, Card):
            card = resolve(card)
        model = get_model(card.process.model)
        return cls(model, model.decay(card.process.decay), card.model, rtol=rtol)

    # -- numbers ----------------------------------------------------------------
    @property
    def br(self) -> float:
        return self.width / self.gamma_parent

    @property
    def br_error(self) -> float:
        return self.width_error / self.gamma_parent

    @property
    def br_visible(self) -> float:
        return float(sum(i.br_visible for i in self.info))

    def require_open(self) -> None:
        """InputError unless the decay has a non-zero width (events need one)."""
        if not self.width > 0:
            raise InputError(f"process.decay = {self.decay.name!r} has zero width at these parameters")

    def summary(self) -> dict:
        """Widths and BRs as ``bkgen info --json`` shows them (no tables)."""
        return {
            "model": self.model.name,
            "decay": self.decay.name,
            "parent_pdg": self.parent,
            "parent_width_GeV": self.gamma_parent,
            "width_GeV": self.width,
            "width_error_GeV": self.width_error,
            "br": self.br,
            "br_error": self.br_error,
            "br_visible": self.br_visible,
            "width_rtol": self.rtol,
            "channels": [asdict(i) for i in self.info],
        }

    def line_shape_norm(self, c: int) -> float:
        """Integral of channel ``c``'s meson line shape over its window in x (1 without one)."""
        if c not in self._ls_norm:
            self._ls_norm[c] = line_shape_norm(self.channels[c])
        return self._ls_norm[c]

    # -- tables -------------------------------------------------------------------
    @property
    def tables_built(self) -> bool:
        return self._tables is not None

    @property
    def tables(self):
        """The kernel tables of all channels (:class:`bkgen.generate.tables.KernelTables`), built on
        first use."""
        if self._tables is None:
            self.require_open()
            from .tables import build_tables

            self._tables = build_tables(self.channels, list(self.widths))
        return self._tables
