"""Sub-commands of ``insole-monitor``: one module each, found by ``firmware.cli``.

A command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int`` (the exit status).
"""
