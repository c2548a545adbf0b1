"""Acquisition benchmark: ``python -m benchmarks.acquisition [bench options]``.

The same as ``insole-monitor bench`` (the code lives in ``firmware.acquisition_bench`` so that
the installed command works on a Pi without this folder).
"""

from __future__ import annotations

import sys

from firmware.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
