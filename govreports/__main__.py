"""`python -m govreports` runs the command line (govreports.cli)."""
import sys

from govreports.cli import main

sys.exit(main())
