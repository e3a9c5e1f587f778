import sys

from sdrlib.cli import main

sys.exit(main())
