"""The layers every function shares (the library and its dependencies) and the optional ones
(`make layer` builds them) that only the functions declaring them carry.

They live in the parent stack, once: each context's nested stack receives their ARNs as
parameters, so a deploy publishes one version of each layer, not one per context.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.layer_build import PYTHON_VERSION
from infra.naming import construct_id

if TYPE_CHECKING:
    from collections.abc import Iterable

    from earnloop.platform.catalog import FunctionSpec

    from infra.config import StageConfig

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_DIR = ROOT / "layers" / "earnloop"

RUNTIME: lambda_.Runtime = getattr(lambda_.Runtime, "PYTHON_" + PYTHON_VERSION.replace(".", "_"))
ARCHITECTURE = lambda_.Architecture.ARM_64

# Nothing local ships: the local cloud (`earnloop.local`) and build leftovers stay out of the layer.
LIBRARY_EXCLUDE = ["python/earnloop/local", "**/__pycache__", "**/*.pyc", "python/*.egg-info"]


class Layers(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: StageConfig, specs: Iterable[FunctionSpec]
    ) -> None:
        super().__init__(scope, id)
        self.library = lambda_.LayerVersion(
            self,
            "Library",
            code=lambda_.Code.from_asset(str(LIBRARY_DIR), exclude=LIBRARY_EXCLUDE),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="earnloop library (layers/earnloop)",
        )
        if not config.deps_layer.is_dir():
            raise FileNotFoundError(f"{config.deps_layer} is missing: run `make layer` first")
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(config.deps_layer)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="earnloop runtime dependencies (make layer)",
        )
        # Optional layers by name, made only when some function declares one.
        self.optional: dict[str, lambda_.LayerVersion] = {}
        for name in sorted({name for spec in specs for name in spec.layers}):
            folder = config.layer_folder(name)
            if not folder.is_dir():
                raise FileNotFoundError(f"{folder} is missing: run `make layer` first")
            self.optional[name] = lambda_.LayerVersion(
                self,
                f"{construct_id(name)}Layer",
                code=lambda_.Code.from_asset(str(folder)),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                description=f"earnloop {name} layer (make layer)",
            )

    def of(self, spec: FunctionSpec) -> list[lambda_.ILayerVersion]:
        """The library, its dependencies, and the optional layers the spec declares."""
        return [self.library, self.dependencies, *(self.optional[name] for name in spec.layers)]
