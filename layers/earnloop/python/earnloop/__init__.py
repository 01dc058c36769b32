"""earnloop: the library behind every function of the earnloop backend (shipped as a Lambda layer)."""
