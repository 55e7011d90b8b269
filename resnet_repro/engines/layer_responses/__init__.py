"""The layer_responses engine (Fig. 7): engine.py, measure.py and stds.py (torch), table.py and figure.py (no torch)."""
