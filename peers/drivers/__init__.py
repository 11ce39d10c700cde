"""The Python that drives each order book through the side-by-side workload (``workload.py``)."""
