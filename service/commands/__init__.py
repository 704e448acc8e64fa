"""The command-line commands, one module per group; :mod:`service.cli` wires them up."""
