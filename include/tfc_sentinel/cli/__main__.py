"""``python -m tfc_sentinel.cli``, the same as the ``tfc-sentinel`` command."""

import sys

from tfc_sentinel.cli import main

sys.exit(main())
