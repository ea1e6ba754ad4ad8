"""Input and output: the only package that touches files."""
