import sys

from numpattern.cli import main

sys.exit(main())
