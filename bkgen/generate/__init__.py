"""Event generation (generator, tables, pipeline, distributed runs).

This package is also the function ``bkgen.generate(card_or_name, n, seed=None, overrides=None)`` of
the Python API (:func:`bkgen.api.generate`): calling it generates events as an awkward array. (A
package and a function cannot share the name ``bkgen.generate``, so the package is callable.)
"""

import sys as _sys
import types as _types


class _CallablePackage(_types.ModuleType):
    def __call__(self, card_or_name, n, seed=None, overrides=None):
        """``bkgen.generate(card_or_name, n, seed=None, overrides=None)``: see :func:`bkgen.api.generate`."""
        from ..api import generate

        return generate(card_or_name, n, seed=seed, overrides=overrides)


_sys.modules[__name__].__class__ = _CallablePackage
