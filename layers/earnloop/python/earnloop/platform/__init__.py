"""Cross-cutting code: settings, errors, auth, AWS adapters, the HTTP app factory, workers."""
