"""cdk-nag (3.x): the AwsSolutions pack, always on, and the one way to acknowledge a finding.

cdk-nag 3 runs as a CDK policy-validation plugin: a finding that is not acknowledged makes
`app.synth()` raise `ValidationFailed`, and every acknowledged one is listed, with its reason, in
`validation-report.json` of the cloud assembly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Validations
from cdk_nag import AwsSolutionsChecks

if TYPE_CHECKING:
    from aws_cdk import App
    from constructs import IConstruct

PACK = "AwsSolutions"
MIN_REASON = 40


def enable(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledges one finding (`"SMG4"`, `"IAM5[Resource::*]"`) on `scope` and its children.

    Acknowledge on the narrowest construct that holds the finding, and say why it is acceptable.
    """
    if len(reason) < MIN_REASON:
        raise ValueError(f"the reason for {finding} must explain itself ({MIN_REASON}+ characters)")
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}::{PACK}-{finding}", reason=reason))
