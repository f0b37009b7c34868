"""numpattern: learn a numeric pattern y = f(x) with a small PyTorch network, then predict with it."""

__version__ = "0.1.0"
