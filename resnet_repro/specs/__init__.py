"""What the tool is asked to do, read and checked: target and recipe files, and the names in them."""
