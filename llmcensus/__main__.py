"""``python -m llmcensus``: the same command as ``llmcensus``."""

from __future__ import annotations

import sys

from llmcensus.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
