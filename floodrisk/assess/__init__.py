"""Assessment of run results: waterlogging points, underground spaces, pumps, hazard."""
