"""The local cloud behind `make dev` and the tests: emulators, provisioning, pumps, demo data."""
