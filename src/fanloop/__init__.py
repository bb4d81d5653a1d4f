"""fanloop: a self-hosted platform for running a product's fan community."""

__version__ = "0.1.0"
