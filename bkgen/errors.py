"""bkgen's own exception for bad input.

Anything the user can get wrong (a card value, a command-line option, an input file, an output
location) raises :class:`InputError` with one line naming the key, the value and what is allowed;
the command line prints that line and exits with status 2. Every other exception is a bug and is
shown as a traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: one line naming the key, the value and what is allowed (exit status 2)."""
