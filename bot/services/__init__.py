"""The service layer: plain values in, plain values out, one unit of work per call."""
