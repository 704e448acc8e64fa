"""Communities (社区) and their grids (网格)."""
