import sys

from mlparams.cli import main

sys.exit(main())
