"""How a file becomes checked data: the strict YAML reader and the typed validation with its file:line errors."""
