"""Hardware design data and maths: wiring source of truth, divider design, drawings.

- ``wiring.json`` / ``wiring.py``: every connection; the firmware defaults are tested against it.
- ``bom.json`` / ``bom.py``: the parts list.
- ``divider.py``: divider resistor and ADC gain design (``insole-monitor divider``).
- ``placement.py`` / ``template.py``: foot-proportion model and printable sensor templates.
- ``schematic.py``, ``assembly_drawings.py``, ``checks.py``: drawings and tables for the guide.
- ``generate.py``: ``python -m hardware.generate [--check]`` rebuilds everything derived.

Nothing here touches hardware at run time; it imports only ``insole`` and the standard library.
"""
