"""The package as a user gets it: shipped cards by name, optional extras, and which errors are one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bkgen
from bkgen import cli
from bkgen.config import catalog
from bkgen.errors import InputError, MissingExtra, require

REPO_CARDS = Path(__file__).resolve().parent.parent / "cards"


def run(argv, capsys):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_shipped_cards_are_package_data():
    shipped = Path(bkgen.__file__).resolve().parent / "cards"
    assert catalog.CARDS_DIR == shipped
    assert len(catalog.names()) >= 10 and "sm_Knunu" in catalog.names()
    if REPO_CARDS.is_dir():  # in a checkout: the installed copy holds every card of cards/
        assert sorted(p.stem for p in REPO_CARDS.glob("*.toml")) == catalog.names()


def test_card_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run(["validate", "sm_Knunu"], capsys)
    assert rc == 0 and "valid (sm: B+ -> K+ nu nubar)" in out
    assert run(["validate", "sm_Knunu.toml"], capsys)[0] == 0
    # a file of that name in the working directory wins over the shipped card
    (tmp_path / "sm_Knunu.toml").write_text('[process]\nmodel = "sm"\ndecay = "B0 -> K*0 nu nubar"\n')
    rc, out, _ = run(["validate", "sm_Knunu.toml"], capsys)
    assert rc == 0 and "B0 -> K*0" in out
    rc, _, err = run(["validate", "no_such_card"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "'no_such_card'" in err and "bkgen cards" in err


def test_cards_list_and_copy(tmp_path, capsys):
    rc, out, _ = run(["cards"], capsys)
    assert rc == 0
    for name in catalog.names():
        assert f"\n{name} " in "\n" + out
    assert "B+ -> K+ nu nubar" in out
    target = tmp_path / "my_cards"
    rc, out, _ = run(["cards", "--copy", target], capsys)
    assert rc == 0 and sorted(p.stem for p in target.glob("*.toml")) == catalog.names()
    assert (target / "sm_Knunu.toml").read_bytes() == (catalog.CARDS_DIR / "sm_Knunu.toml").read_bytes()
    (target / "sm_Knunu.toml").write_text("# edited\n")
    rc, _, err = run(["cards", "--copy", target], capsys)  # never overwrites without --force
    assert rc == 2 and err.count("\n") == 1 and "--force" in err
    assert (target / "sm_Knunu.toml").read_text() == "# edited\n"
    assert run(["cards", "--copy", target, "--force"], capsys)[0] == 0
    assert (target / "sm_Knunu.toml").read_bytes() == (catalog.CARDS_DIR / "sm_Knunu.toml").read_bytes()


def test_missing_extra_is_one_line_with_its_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyhepmc", None)  # import pyhepmc -> ImportError
    with pytest.raises(MissingExtra, match=r"pip install 'bkgen\[hepmc\]'"):
        require("hepmc", "HepMC3 output")
    out = tmp_path / "x.hepmc"
    rc, _, err = run(["generate", "sm_Knunu", "-n", 1000, "-o", out, "--format", "hepmc3", "--no-progress"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "pip install 'bkgen[hepmc]'" in err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    rc, _, err = run(["scan", "dark_photon_KQQ_massless", "--grid", "alpha_D=0.5:1:2", "--plot", tmp_path / "s.png"],
                     capsys)
    assert rc == 2 and err.count("\n") == 1 and "pip install 'bkgen[plot]'" in err
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    rc, _, err = run(["generate", "sm_Knunu", "-n", 1000, "-o", tmp_path / "d.root", "--workers", 2], capsys)
    assert rc == 2 and err.count("\n") == 1 and "pip install 'bkgen[dask]'" in err


def test_bad_input_is_one_line_a_bug_is_a_traceback(monkeypatch, capsys):
    def bad_input(args):
        raise InputError("model.x = 1: allowed: 2")

    def bug(args):
        return int("not a number")  # a ValueError from inside Python: a bug, not bad input

    monkeypatch.setitem(cli.COMMANDS, "list", bad_input)
    rc, _, err = run(["list"], capsys)
    assert rc == 2 and err == "bkgen: error: model.x = 1: allowed: 2\n"
    monkeypatch.setitem(cli.COMMANDS, "list", bug)
    with pytest.raises(ValueError, match="invalid literal"):
        cli.main(["list"])


@pytest.mark.cli
def test_internal_value_error_exits_1_with_traceback(tmp_path):
    code = ("import sys, bkgen.cli as c\n"
            "c.COMMANDS['list'] = lambda a: int('x')\n"
            "sys.exit(c.main(['list']))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "Traceback (most recent call last)" in res.stderr and "ValueError: invalid literal" in res.stderr


def test_typed_constants_equal_codata_via_scipy():
    """The SI and CODATA 2022 values typed in bkgen.physics.inputs (so that reading a card does not
    import scipy) are those of scipy.constants."""
    import math

    import scipy.constants as sc

    from bkgen.physics import inputs

    assert inputs.C_MM_PER_NS == sc.c * 1e-6
    assert math.isclose(inputs.HBAR_GEV_NS, sc.hbar / sc.e, rel_tol=1e-15)
    assert inputs.G_FERMI == sc.physical_constants["Fermi coupling constant"][0]
    assert inputs.ALPHA_EM_0 == sc.physical_constants["fine-structure constant"][0]


@pytest.mark.cli
@pytest.mark.parametrize("argv", [["validate", "sm_Knunu"], ["list"], ["cards"]])
def test_light_commands_do_not_import_numba(argv, tmp_path):
    code = ("import sys\nfrom bkgen.cli import main\nrc = main(sys.argv[1:])\n"
            "heavy = [m for m in ('numba', 'uproot', 'awkward', 'scipy.integrate') if m in sys.modules]\n"
            "assert not heavy, heavy\nsys.exit(rc)\n")
    res = subprocess.run([sys.executable, "-c", code, *argv], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr


def test_no_recompilation_for_event_count_threads_or_format(tmp_path, capsys):
    """After one run of a card, runs with a partial last chunk (N > one chunk of 131072 events), one
    thread, or another output format compile nothing."""
    from numba.core import event

    from bkgen.generate.compile_status import CompileTimer
    from bkgen.generate.threads import max_threads, set_threads

    base = ["generate", "sm_Knunu", "--no-progress", "--force", "--set", "generation.block_size=4096"]
    assert cli.main(base + ["-n", "1000", "-o", str(tmp_path / "a.root")]) == 0
    timer = CompileTimer()
    event.register("numba:compile", timer)
    try:
        assert cli.main(base + ["-n", "140000", "-o", str(tmp_path / "b.root")]) == 0
        assert cli.main(base + ["-n", "5000", "-o", str(tmp_path / "c.root"), "--threads", "1"]) == 0
        assert cli.main(base + ["-n", "5000", "-o", str(tmp_path / "d.lhe"), "--format", "lhe",
                                "--set", "beam.frame='cms'"]) == 0
    finally:
        event.unregister("numba:compile", timer)
        set_threads(max_threads())
    capsys.readouterr()
    assert timer.count == 0, f"{timer.count} compilations"


def test_precompile_helper_signatures_are_those_of_a_run():
    """The argument types the cold-compile helper (kernels.precompile) compiles for are those a run
    uses: after a run's compile they are in the cache, and the beam frame and the boost to the lab have
    one entry each (a helper compiling other types would leave a second one beside the run's own)."""
    from bkgen.config.card import load
    from bkgen.generate.generator import Generator
    from bkgen.kernels import precompile

    gen = Generator(load("dark_photon_KQQ_benchmark", []))
    gen.compile()
    raw = gen.raw_buffers(0)
    work = precompile.helper_work(gen.lab, raw["p4"], raw["vtx"], raw["obs"],
                                  gen._record_args(gen.branch_buffers(0), 0))
    assert [f for _, f, _ in work] == ["_beam_frame", "_to_lab", "fill_record_tile"]
    assert precompile.static_work() == work[:2]  # what the early helper compiles before any card is read
    for m, f, sig in work:
        disp = precompile._kernel(m, f)
        assert precompile.is_cached(disp, sig), f
        if f != "fill_record_tile":  # one entry per output precision
            assert len(disp._cache._cache_file._load_index()) == 1, f


def test_precompile_helper_caches_and_a_failed_helper_ends_the_waits(monkeypatch):
    """A helper compiles into (or finds in) the cache and reports it; one that cannot run sets every
    wait free at once, also for work handed to it after it ended, so the compile goes on in this process."""
    from numba import types

    from bkgen.kernels import jit as J
    from bkgen.kernels import precompile

    sig = (types.float64,)
    work = [("cascade", "_sin_from_cos", sig)]
    helper = precompile.Helper(precompile._spawn())
    helper.give(work)
    assert helper.proc.wait(timeout=120) == 0
    helper._reader.join(timeout=10)
    assert all(ev.is_set() for ev in helper._events.values())
    helper.close()
    assert precompile.is_cached(precompile._kernel("cascade", "_sin_from_cos"), sig)
    assert not J._awaited
    monkeypatch.setattr(sys, "executable", "/bin/false")
    helper = precompile.Helper(precompile._spawn())
    helper.give(work)
    helper._reader.join(timeout=10)
    assert all(ev.is_set() for ev in helper._events.values()) and len(J._awaited) == 1
    helper.close()
    assert not J._awaited
    helper = precompile.Helper(precompile._spawn())
    helper._reader.join(timeout=10)  # ended before it got its work
    helper.give(work)
    assert all(ev.is_set() for ev in helper._events.values())
    helper.close()
    assert not J._awaited

    def broken(*args):  # e.g. numba's cache internals changed: no helper, the compile goes on here
        raise AttributeError("no such cache attribute")

    monkeypatch.setattr(precompile, "is_cached", broken)
    assert precompile.start(work) is None and not J._awaited


def test_early_helper_gets_the_work_or_ends(monkeypatch, tmp_path):
    """``start_early`` (what ``bkgen generate`` calls first) starts a helper only when the cache holds no
    compiled record fill; the helper compiles its static work at once, and a compile here waits for
    it; ``start`` gives it the rest that is not cached (possibly nothing, then it exits after its own),
    and ``discard_early`` ends one that got none: no process is left behind either way."""
    from numba import types

    from bkgen import cache
    from bkgen.kernels import jit as J
    from bkgen.kernels import precompile

    precompile.discard_early()
    monkeypatch.setattr(cache, "kernel_cache_warm", lambda: False)
    precompile.start_early()
    early = precompile._early
    assert early is not None and early.proc.poll() is None
    assert early.work == precompile.static_work()
    assert all(id(precompile._kernel(m, f)) in J._awaited for m, f, _ in early.work)
    sig = (types.float64,)
    work = [("cascade", "_sin_from_cos", sig), *precompile.static_work()]
    monkeypatch.setattr(precompile, "is_cached", lambda disp, s: False)
    helper = precompile.start(work)
    assert helper is early and precompile._early is None
    assert [f for _, f, _ in early.work] == ["_beam_frame", "_to_lab", "_sin_from_cos"]  # static work once
    assert early.proc.wait(timeout=300) == 0
    early._reader.join(timeout=10)
    assert all(ev.is_set() for ev in early._events.values())
    helper.close()
    assert not J._awaited
    precompile.start_early()
    early = precompile._early
    monkeypatch.setattr(precompile, "is_cached", lambda disp, s: True)  # all cached: it ends after its own
    assert precompile.start(work) is early and early.proc.wait(timeout=300) == 0 and precompile._early is None
    early.close()
    precompile.start_early()
    early = precompile._early
    precompile.discard_early()  # a run that ended before its compile
    assert early.proc.poll() is not None and precompile._early is None and not J._awaited
    monkeypatch.setattr(cache, "kernel_cache_warm", lambda: True)
    precompile.start_early()  # warm: nothing started
    assert precompile._early is None


def test_an_interrupt_while_the_early_helper_is_set_up_ends_it(monkeypatch):
    """Ctrl-C (or SIGTERM) between the helper's start and its registration leaves no process behind."""
    from bkgen import cache
    from bkgen.kernels import precompile

    precompile.discard_early()
    started = []
    spawn = precompile._spawn
    monkeypatch.setattr(precompile, "_spawn", lambda static=False: started.append(spawn(static)) or started[-1])
    monkeypatch.setattr(cache, "kernel_cache_warm", lambda: False)

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(precompile, "static_work", interrupted)
    with pytest.raises(KeyboardInterrupt):
        precompile.start_early()
    assert len(started) == 1 and started[0].poll() is not None and precompile._early is None
    started[0].stdin.close()
    started[0].stdout.close()


def test_a_kernel_cache_is_warm_with_a_compiled_record_fill_of_these_sources(monkeypatch, tmp_path):
    """kernel_cache_warm (which decides whether bkgen generate starts its compile helper) looks for the
    record fill in a cache directory of this bkgen version and these kernel sources, any numba version."""
    from bkgen import cache

    monkeypatch.setenv("BKGEN_CACHE_DIR", str(tmp_path))
    assert not cache.kernel_cache_warm()
    other = tmp_path / cache.kernel_cache_dir("0.1").name.replace(cache.kernel_sources_hash(), "0" * 12) / "kernels"
    other.mkdir(parents=True)
    (other / "record.fill_record_tile-59.py311.nbi").touch()  # older kernel sources
    (cache.kernel_cache_dir("0.1") / "kernels").mkdir(parents=True)  # this version: nothing compiled yet
    assert not cache.kernel_cache_warm()
    (cache.kernel_cache_dir("0.1") / "kernels" / "record.fill_record_tile-59.py311.nbi").touch()
    assert cache.kernel_cache_warm()


@pytest.mark.slow
def test_model_parameter_edge_values_are_one_line_errors(capsys):
    """Every numeric model parameter of every shipped card set to 0 or -1: the card is valid or the
    error is one line with exit status 2, never a traceback (model validators raise InputError)."""
    import tomllib

    from bkgen.physics.models import get as get_model

    checked = 0
    for name in catalog.names():
        model = get_model(tomllib.loads(catalog.path(name).read_text())["process"]["model"])
        for par in model.parameters:
            if isinstance(par.default, bool) or not isinstance(par.default, (int, float)):
                continue
            for value in ("0", "-1"):
                rc, _, err = run(["validate", name, "--set", f"model.{par.name}={value}"], capsys)
                assert rc == 0 or (rc == 2 and err.count("\n") == 1 and err.startswith("bkgen: error: ")), \
                    (name, par.name, value, err)
                checked += 1
    assert checked > 100
