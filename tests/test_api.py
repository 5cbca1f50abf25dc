"""The Python API (bkgen.generate, info, read): the same events as the command line, vector behaviour,
the README example, and the pinned public names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

import bkgen
from bkgen.cli import main
from bkgen.physics.inputs import mass

README = Path(__file__).resolve().parent.parent / "README.md"


def test_public_api_is_pinned():
    assert bkgen.__all__ == ["InputError", "__version__", "cards", "generate", "info", "read"]
    for name in bkgen.__all__:
        assert getattr(bkgen, name) is not None


def test_import_bkgen_is_light(tmp_path):
    code = "import sys, bkgen; assert 'numba' not in sys.modules and 'awkward' not in sys.modules"
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


def test_generate_equals_the_written_file_and_has_lorentz_behaviour(tmp_path, capsys):
    n, seed, sets = 3000, 4, {"model.alpha_D": 0.5, "generation.block_size": 1024}
    events = bkgen.generate("dark_photon_KQQ_benchmark", n, seed=seed, overrides=sets)
    out = tmp_path / "e.root"
    assert main(["generate", "dark_photon_KQQ_benchmark", "-n", str(n), "--seed", str(seed), "-o", str(out),
                 "--set", "model.alpha_D=0.5", "--set", "generation.block_size=1024", "--no-progress"]) == 0
    capsys.readouterr()
    back = bkgen.read(out)
    assert len(events) == len(back) == n
    assert events.fields == back.fields and events.particles.fields == back.particles.fields
    for f in events.fields:
        if f != "particles":
            np.testing.assert_array_equal(ak.to_numpy(events[f]), ak.to_numpy(back[f]), err_msg=f)
    for f in events.particles.fields:
        np.testing.assert_array_equal(ak.to_numpy(ak.flatten(events.particles[f])),
                                      ak.to_numpy(ak.flatten(back.particles[f])), err_msg=f)
    # jagged: the first natural mask works; vector's mass of the kaon is the PDG K+ mass
    p = events.particles
    kaons = p[abs(p.pdg) == 321]
    assert ak.all(ak.num(kaons) == 1)
    np.testing.assert_allclose(ak.to_numpy(ak.flatten(kaons.mass)), mass(321), rtol=1e-3)
    # the sum of the B's daughters' four-momenta is the B's (mother index 1 in the lab-frame record)
    b = p[:, 1]
    daughters = p[p.mother == 1]
    total = ak.sum(daughters.E, axis=1), ak.sum(daughters.px, axis=1)
    np.testing.assert_allclose(ak.to_numpy(total[0]), ak.to_numpy(b.E), rtol=1e-5)
    np.testing.assert_allclose(ak.to_numpy(total[1]), ak.to_numpy(b.px), atol=1e-4)
    np.testing.assert_allclose(ak.to_numpy(b.mass), mass(521), rtol=1e-4)


def test_info_is_the_json_of_the_command_line(capsys):
    assert main(["info", "dark_photon_KQQ_massless", "--json", "--set", "model.Lambda_TeV=2e5"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert bkgen.info("dark_photon_KQQ_massless", overrides={"model.Lambda_TeV": 2e5}) == cli


def test_api_bad_input():
    with pytest.raises(bkgen.InputError, match="n = 0"):
        bkgen.generate("sm_Knunu", 0)
    with pytest.raises(bkgen.InputError, match="alpha_D"):
        bkgen.info("dark_photon_KQQ_benchmark", overrides={"model.alpha_D": -1.0})
    with pytest.raises(bkgen.InputError, match="nope.root"):
        bkgen.read("nope.root")


@pytest.mark.skipif(not README.is_file(), reason="the README is in the source tree, not in the package")
def test_readme_example_runs(capsys):
    text = README.read_text()
    section = text[text.index("## Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert repr(bkgen.info("dark_photon_KQQ_benchmark")["br"]) in out and "alp_Ka_benchmark" in out
