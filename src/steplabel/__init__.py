"""steplabel: step-label synthesis for process reward models."""

__version__ = "0.1.0"
