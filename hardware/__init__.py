"""Hardware design data and maths: wiring source of truth, divider design, drawings."""
