"""``python -m dupdetect ...``: the same as the ``dupdetect`` command."""

from .cli import main

raise SystemExit(main())
