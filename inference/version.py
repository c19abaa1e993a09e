"""The package version every record carries (``nianbao`` in the output contract)."""

__version__ = "0.7.6"
