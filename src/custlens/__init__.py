"""custlens: customer analytics for e-commerce and new retail."""

__version__ = "0.1.0"
