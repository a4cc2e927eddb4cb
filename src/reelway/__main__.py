"""``python -m reelway`` is the ``reelway`` command."""

from reelway.cli.main import main

main()
