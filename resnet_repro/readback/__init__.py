"""What results/ holds, read back without torch: a target's measured numbers, and the parts of the report an engine fills in."""
