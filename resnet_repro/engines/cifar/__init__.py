"""The cifar engine (Fig. 1, Fig. 6, Table 6): engine.py; its tables and curves are ../curves_tables.py, which the
imagenet and layer_responses engines share."""
