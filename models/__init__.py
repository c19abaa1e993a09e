"""The shipped models as package data (``nianbao.models``): the tagger folder and ``calibration.json``."""
