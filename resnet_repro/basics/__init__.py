"""What every floor uses: one-line user errors, atomic writes, digests, faults, a launch's size, counted words."""
