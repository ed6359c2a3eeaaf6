import sys

from CineMALib.cli import main

sys.exit(main())
