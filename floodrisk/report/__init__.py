"""Reports: maps, web map and documents made from assessments."""
