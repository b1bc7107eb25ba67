"""``python -m experiments`` is the ``custsim`` command."""

from .cli import main

main()
