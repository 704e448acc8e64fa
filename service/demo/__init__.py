"""The pocket-park example (口袋公园) used by ``redbench demo`` and the tests."""
