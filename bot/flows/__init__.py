"""Designer-edited conversation flows: YAML format, loading with line numbers, lint, graph."""
