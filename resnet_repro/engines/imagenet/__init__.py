"""The imagenet engine (Fig. 4, Tables 2-4): engine.py and outputs.py (no torch), measure.py (the 10-crop and
multi-scale tests of the trained nets: torch)."""
