"""The community's household roll (户册), kept across rounds: imported from the grid
workers' CSV, edited in the console, drawn on when a household round issues its codes."""
