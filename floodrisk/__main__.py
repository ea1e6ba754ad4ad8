"""``python -m floodrisk`` runs the command line."""

from .cli import main

main()
