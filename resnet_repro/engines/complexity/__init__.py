"""The complexity engine (Table 1): engine.py and claims.py (no torch), measure.py (counts the built nets: torch)."""
