"""``python -m drpolicy``: the command-line interface (see :mod:`drpolicy.cli`)."""

from drpolicy.cli import main

raise SystemExit(main())
