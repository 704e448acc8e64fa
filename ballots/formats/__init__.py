"""Ballot file formats: readers and writers, one module per format."""
