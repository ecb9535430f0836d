"""Operator tools: the command line, report, re-extraction, snapshot, schema doc."""
