"""``python -m dupdetect ...``: the same as the ``dupdetect`` command."""

from .cli import main

if __name__ == "__main__":  # guarded: worker processes re-import the main module
    raise SystemExit(main())
