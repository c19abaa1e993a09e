"""nianbao: structured data from Chinese government information-disclosure annual reports."""

__version__ = "0.4.0"
