"""Start-up of a bkgen process: the PDG extract in the user cache, and numba's third-party
extensions, which the ``bkgen`` command does not load."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.cli


def _python(code: str, cache_dir, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "BKGEN_NUMBA_EXTENSIONS"}
    full_env.update(BKGEN_CACHE_DIR=str(cache_dir), **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=300)


PDG_CODES = (521, 511, 531, 321, 323, 313, 310, 130, 333, 211, 111, 22, 11, 13, 15, 300553)

READ = f"""
import json, sys
from bkgen.physics import inputs
rows = {{c: [inputs.particle(c).name, inputs.particle(c).mass, inputs.particle(c).width] for c in {PDG_CODES}}}
print(json.dumps([rows, "particle" in sys.modules]))
"""


def test_pdg_extract_is_cached_and_equals_the_particle_package(tmp_path):
    from particle import Particle

    first = _python(READ, tmp_path)
    assert first.returncode == 0, first.stderr
    rows, loaded = json.loads(first.stdout)
    assert loaded  # an empty cache: the particle package's table is read
    assert len(list(tmp_path.glob("pdg-particle-*.json"))) == 1
    second = _python(READ, tmp_path)
    rows2, loaded2 = json.loads(second.stdout)
    assert not loaded2  # later processes read the extract only
    assert rows2 == rows
    for code in PDG_CODES:
        p = Particle.from_pdgid(code)
        assert rows[str(code)] == [p.name, (p.mass or 0.0) * 1e-3, (p.width or 0.0) * 1e-3]


def test_pdg_extract_without_a_writable_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    res = _python(READ, blocker / "cache")
    assert res.returncode == 0, res.stderr
    rows, loaded = json.loads(res.stdout)
    assert loaded and rows[str(521)][0] == "B+"


def test_unknown_pdg_code_is_the_particle_packages_error(tmp_path):
    code = "from bkgen.physics import inputs; inputs.particle({})"
    invalid = _python(code.format(999999999), tmp_path)
    assert invalid.returncode == 1 and "InvalidParticle" in invalid.stderr
    unknown = _python(code.format(9999999), tmp_path)  # valid PDG code, not in the table
    assert unknown.returncode == 1 and "ParticleNotFound" in unknown.stderr


GENERATE = """
import sys
from numba.core import entrypoints
import bkgen
events = bkgen.generate("sm_Knunu", 1000, seed=3)
print(len(events), entrypoints._already_initialized, "vector.backends._numba" in sys.modules)
"""


def test_numba_extensions_off_only_when_asked():
    """With BKGEN_NUMBA_EXTENSIONS=0 (what the ``bkgen`` command sets) the kernels run without loading
    vector's numba extension; a Python session keeps numba's default and loads it."""
    from bkgen.cache import user_cache_root

    cache = user_cache_root()  # the kernel cache the other tests warm
    off = _python(GENERATE, cache, BKGEN_NUMBA_EXTENSIONS="0")
    assert off.returncode == 0, off.stderr
    assert off.stdout.split() == ["1000", "True", "False"]
    on = _python(GENERATE, cache)
    assert on.returncode == 0, on.stderr
    assert on.stdout.split() == ["1000", "True", "True"]


def test_command_sets_the_switch_for_itself_and_keeps_exit_codes(tmp_path):
    code = ("import atexit, os, sys; from bkgen import cli; "
            "atexit.register(lambda: print('switch', os.environ.get('BKGEN_NUMBA_EXTENSIONS'))); "
            "sys.argv = ['bkgen', *sys.argv[1:]]; cli.console_main()")
    env = {k: v for k, v in os.environ.items() if k != "BKGEN_NUMBA_EXTENSIONS"}
    ok = subprocess.run([sys.executable, "-c", code, "cards"], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0 and "sm_Knunu" in ok.stdout and ok.stdout.strip().endswith("switch 0")
    bad = subprocess.run([sys.executable, "-c", code, "validate", str(tmp_path / "missing.toml")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("bkgen: error:") and len(bad.stderr.splitlines()) == 1


PRUNE = """
import os, time
from pathlib import Path
root = Path(os.environ["BKGEN_CACHE_DIR"])
from bkgen.kernels import jit
from bkgen.kernels import rng  # defining kernels sets up their cache locator, which stamps and prunes once
print(sorted(p.name for p in root.glob("numba-*")), jit.cache_dir().name)
"""


def test_stale_kernel_caches_are_removed(tmp_path):
    """Directories of other cache keys unused for 30 days go; recent ones and this key's stay."""
    import time

    old, recent = tmp_path / "numba-0.0.1-old", tmp_path / "numba-0.0.1-recent"
    for d in (old, recent):
        (d / "kernels").mkdir(parents=True)
        (d / "kernels" / "x.nbi").write_text("")
    month = time.time() - 31 * 86400
    os.utime(old, (month, month))
    (tmp_path / "pdg-particle-0.json").write_text("{}")  # not a kernel cache: untouched
    res = _python(PRUNE, tmp_path)
    assert res.returncode == 0, res.stderr
    names, current = res.stdout.rsplit(" ", 1)
    assert not old.exists() and recent.exists() and (tmp_path / "pdg-particle-0.json").exists()
    assert current.strip() in names and "numba-0.0.1-recent" in names


LOAD = """
import sys
import numpy as np
from bkgen.kernels.tables import alias_table
prob, alias = alias_table(np.array([[0.5, 1.0, 3.0, 0.25, 2.0, 0.0, 1.5]]))
light = "numba.np.arraymath" not in sys.modules  # numba's compiler registries (and scipy.linalg) not loaded
import numba
total = numba.njit(lambda a: np.sum(a * a))(np.arange(4.0))  # a compile after a cache load
print(repr(prob.tolist()), repr(alias.tolist()), light, total)
"""


def test_a_cached_kernel_loads_without_numbas_compiler_registries(tmp_path):
    """A warm process loads its kernels without importing numba's lowering modules (jit._KernelCache);
    the kernel loaded so is the compiled one, and a later compilation in that process still works."""
    cold = _python(LOAD, tmp_path)
    assert cold.returncode == 0, cold.stderr
    warm = _python(LOAD, tmp_path)
    assert warm.returncode == 0, warm.stderr
    *tables_cold, light_cold, total_cold = cold.stdout.split()
    *tables_warm, light_warm, total_warm = warm.stdout.split()
    assert light_cold == "False" and light_warm == "True"
    assert tables_warm == tables_cold and total_warm == total_cold == "14.0"


WARM_RUN = """
import sys
import bkgen
events = bkgen.generate("dark_photon_KQQ_benchmark", 1000, seed=3)
print(len(events), *(m in sys.modules for m in ("numba.np.arraymath", "numba.np.arrayobj", "scipy.linalg")))
"""


def test_a_warm_run_loads_no_numba_compiler_modules():
    """With its kernels cached, a run imports none of numba's lowering modules (jit._KernelCache), nor
    the array routines a kernel that allocated would bring (kernels take work space from the caller)."""
    from bkgen.cache import user_cache_root

    for _ in range(2):  # the first run compiles when the shared kernel cache is cold
        res = _python(WARM_RUN, user_cache_root(), BKGEN_NUMBA_EXTENSIONS="0")
        assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["1000", "False", "False", "False"]


def test_an_environment_switch_other_than_0_or_1_is_a_one_line_error():
    for name in ("BKGEN_COMPILE_HELPER", "BKGEN_NUMBA_EXTENSIONS"):
        env = dict(os.environ, **{name: "yes"})
        res = subprocess.run([sys.executable, "-m", "bkgen", "list"], capture_output=True, text=True, env=env,
                             timeout=120)
        assert res.returncode == 2 and len(res.stderr.splitlines()) == 1, res.stderr
        assert name in res.stderr and "'yes'" in res.stderr and "allowed: 0 (off) or 1 (on)" in res.stderr
        env[name] = "1"
        assert subprocess.run([sys.executable, "-m", "bkgen", "list"], capture_output=True, env=env,
                              timeout=120).returncode == 0
