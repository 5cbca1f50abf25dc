"""Stand-in for basf2 that knows only the modules and parameters of bkgen's parameter table: it
rejects unknown modules, unknown parameters, values of the wrong type and missing required
parameters, and logs the path that ``process`` would run."""

from __future__ import annotations

from _table import LOG, TABLE, StubError, check_type, dump

statistics = "(basf2 stub: no statistics)"


class Module:
    def __init__(self, name: str):
        if name not in TABLE["modules"]:
            raise StubError(f"module {name!r} is not in the parameter table of {TABLE['release']}")
        self.name = name
        self.params: dict = {}

    def param(self, key, value=None):
        items = key.items() if isinstance(key, dict) else [(key, value)]
        for k, v in items:
            spec = TABLE["modules"][self.name].get(k)
            if spec is None:
                raise StubError(f"module {self.name}: unknown parameter {k!r} (known: {sorted(TABLE['modules'][self.name])})")
            check_type(f"{self.name}.{k}", spec["type"], v)
            self.params[k] = v


def register_module(name: str) -> Module:
    return Module(name)


class Path:
    def __init__(self):
        self.modules: list[Module] = []

    def add_module(self, module, **params):
        if isinstance(module, str):
            module = register_module(module)
        module.param(params)
        self.modules.append(module)
        return module


def create_path() -> Path:
    return Path()


def set_random_seed(seed) -> None:
    if not isinstance(seed, (int, str)) or isinstance(seed, bool):
        raise StubError(f"set_random_seed({seed!r}): expected an int or str")
    LOG["calls"].append({"function": "basf2.set_random_seed", "args": {"seed": seed}})


def process(path, max_event: int = 0) -> None:
    if not isinstance(path, Path):
        raise StubError("process() needs a basf2 Path")
    for m in path.modules:
        missing = [k for k, spec in TABLE["modules"][m.name].items() if spec.get("required") and k not in m.params]
        if missing:
            raise StubError(f"module {m.name}: required parameter(s) {missing} not set")
        LOG["modules"].append({"name": m.name, "params": m.params})
    dump()
