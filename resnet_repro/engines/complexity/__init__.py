"""The complexity engine (Table 1): engine.py and outputs.py (no torch), measure.py (counts the built nets: torch)."""
