"""The cards shipped with bkgen (package data ``bkgen/cards/*.toml``), addressable by name.

``bkgen generate sm_Knunu`` runs ``bkgen/cards/sm_Knunu.toml`` when no file ``sm_Knunu`` exists;
``bkgen cards`` lists them and ``bkgen cards --copy DIR`` copies them for editing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import InputError

#: directory of the shipped cards (inside the installed package)
CARDS_DIR = Path(__file__).resolve().parent.parent / "cards"


def names() -> list[str]:
    """Names of the shipped cards (file names without ``.toml``), sorted."""
    return sorted(p.stem for p in CARDS_DIR.glob("*.toml"))


def path(name: str) -> Path:
    """The file of the shipped card ``name`` (with or without ``.toml``)."""
    stem = name[:-5] if name.endswith(".toml") else name
    p = CARDS_DIR / f"{stem}.toml"
    if "/" in name or "\\" in name or not p.is_file():
        raise InputError(f"card {name!r} is not a shipped card; allowed: {', '.join(names())} (bkgen cards)")
    return p


def locate(card: str | Path) -> Path:
    """A card argument as a file: an existing path, else the shipped card of that name."""
    p = Path(card)
    if p.is_file():
        return p
    if p.parent == Path(".") and (CARDS_DIR / f"{p.stem}.toml").is_file() and p.suffix in ("", ".toml"):
        return CARDS_DIR / f"{p.stem}.toml"
    return p  # missing: the caller reports it


def describe(name: str) -> str:
    """``decay  [model]`` of a shipped card, from its [process] table."""
    import tomllib

    proc = tomllib.loads(path(name).read_text()).get("process", {})
    return f"{proc.get('decay', '?'):<26s} [{proc.get('model', '?')}]"


def copy(directory: str | Path, overwrite: bool = False) -> list[Path]:
    """Copy every shipped card into ``directory`` (created if needed); existing files are kept unless
    ``overwrite``. Returns the written paths."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InputError(f"--copy {str(target)!r} is not a directory; allowed: a new or existing directory")
    sources = [CARDS_DIR / f"{n}.toml" for n in names()]
    existing = [str(target / s.name) for s in sources if (target / s.name).exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]!r} exists ({len(existing)} of the cards); allowed: another directory, "
                              "or --force to overwrite")
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for s in sources:
        shutil.copyfile(s, target / s.name)
        out.append(target / s.name)
    return out
