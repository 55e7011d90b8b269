"""The layer_responses engine (Fig. 7): engine.py, measure.py and stds.py (torch), outputs.py and figure.py (no torch)."""
