"""Conditions are made once per stack that uses them, since no template can read another's."""

from __future__ import annotations

import pytest
from aws_cdk import App, NestedStack, Stack
from constructs import Construct

from infra.conditions import snapstart_offered, xray_offered

pytestmark = pytest.mark.infra


def test_each_stack_gets_its_own_condition_and_a_stack_only_one() -> None:
    parent = Stack(App(), "parent")
    nested = NestedStack(parent, "Context")
    inner = Construct(nested, "Functions")

    for make in (snapstart_offered, xray_offered):
        in_nested = make(inner)
        assert make(nested) is in_nested
        assert Stack.of(in_nested) is nested
        in_parent = make(parent)
        assert in_parent is not in_nested
        assert Stack.of(in_parent) is parent
