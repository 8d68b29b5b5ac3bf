"""``python -m causalpost_cli``: the ``causalpost`` command."""

import sys

from causalpost_cli import main

sys.exit(main())
