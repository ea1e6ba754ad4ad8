"""Simulation engines: screening, SWMM, 2D surface and coupled."""
