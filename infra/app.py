"""The CDK app: `python -m infra.app` (what `cdk.json` runs), `-c stage=prod` selects the stage.

Every context key is described in `infra/config.py`; a stage that cannot be deployed as configured
(no code domain, no HTTPS domain or alarm destination outside dev) fails here, before any synth.
cdk-nag's AwsSolutions pack is always on: an unacknowledged finding fails the synth.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Tags
from earnloop.contexts import all_functions, routers
from earnloop.platform.app import api_routes

from infra import nag
from infra.config import ConfigError, StageConfig
from infra.layer_build import DEFAULT_TARGET
from infra.stack import EarnloopStack

ROOT = Path(__file__).resolve().parents[1]


def build(app: App) -> EarnloopStack:
    """Adds the stack the app's context asks for, with cdk-nag, to `app`."""
    config = StageConfig.from_context(app.node.try_get_context, DEFAULT_TARGET)
    stack = EarnloopStack(
        app, f"earnloop-{config.stage}", config=config, specs=all_functions(), routes=api_routes(routers())
    )
    Tags.of(stack).add("app", "earnloop")
    Tags.of(stack).add("stage", config.stage)
    nag.enable(app)
    return stack


def create_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> tuple[App, EarnloopStack]:
    app = App(context=context, outdir=outdir)
    return app, build(app)


def cli_context(root: Path = ROOT) -> dict[str, Any] | None:
    """Run by the CDK CLI, the app gets its context from the CLI (None here). Run directly (`make
    synth`), it reads what the CLI would: `cdk.json`'s `context`, then `cdk.context.json`."""
    if os.environ.get("CDK_CONTEXT_JSON") or os.environ.get("CDK_OUTDIR"):
        return None
    context: dict[str, Any] = {}
    for name, key in (("cdk.json", "context"), ("cdk.context.json", None)):
        path = root / name
        if path.is_file():
            document = json.loads(path.read_text())
            context.update(document.get(key, {}) if key else document)
    return context


def main(root: Path = ROOT) -> int:
    try:
        context = cli_context(root)
        # Run by the CLI, the CLI chooses the output folder; run directly, `cdk.out` as the CLI would.
        app, _ = create_app(context, outdir=None if context is None else str(root / "cdk.out"))
    except (ConfigError, FileNotFoundError) as error:
        # One line that says what to set or run, not a jsii traceback.
        print(f"earnloop: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
