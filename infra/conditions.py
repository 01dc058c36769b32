"""The CloudFormation conditions the functions use, made once in each stack that uses them.

A condition belongs to one template and cannot be referenced from another, so each context's
nested stack asks for its own: `Stack.of(scope)` decides where, and a second call in the same stack
returns the first one's.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, Fn, ICfnConditionExpression, Stack
from constructs import IConstruct

from infra.config import SNAPSTART_REGIONS

SNAPSTART_OFFERED = "SnapStartOffered"
XRAY_OFFERED = "XRayOffered"


def _in_stack(scope: IConstruct, id: str, expression: ICfnConditionExpression) -> CfnCondition:
    stack = Stack.of(scope)
    found = stack.node.try_find_child(id)
    if found is not None:
        assert isinstance(found, CfnCondition)
        return found
    return CfnCondition(stack, id, expression=expression)


def snapstart_offered(scope: IConstruct) -> CfnCondition:
    """True in the regions that offer SnapStart for Python (the stack's region decides)."""
    region = Stack.of(scope).region
    equals = [Fn.condition_equals(region, name) for name in SNAPSTART_REGIONS]
    # Fn::Or takes at most 10 conditions: an Or of Ors.
    groups = [Fn.condition_or(*equals[i : i + 10]) for i in range(0, len(equals), 10)]
    return _in_stack(scope, SNAPSTART_OFFERED, Fn.condition_or(*groups))


def xray_offered(scope: IConstruct) -> CfnCondition:
    """Lambda's X-Ray integration does not exist in the China regions (Lambda's China guide)."""
    return _in_stack(scope, XRAY_OFFERED, Fn.condition_not(Fn.condition_equals(Aws.PARTITION, "aws-cn")))
