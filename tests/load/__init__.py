"""Load and fault tools: simulated tablets against a real server (see ``tablets.py``)."""
