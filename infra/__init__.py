"""The CDK app that deploys earnloop (`python -m infra.app`), and the dependency layer build."""
