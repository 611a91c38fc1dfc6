"""Models: base presets, the offline default model, trained hybrid models."""
