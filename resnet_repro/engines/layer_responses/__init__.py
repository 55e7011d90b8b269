"""The layer_responses engine (Fig. 7): engine.py (the Engine), measure.py (the responses of the trained nets:
torch), outputs.py (the table, the figure and the numbers read back from responses.csv: no torch)."""
