"""One nested stack per bounded context: its functions and everything each function brings.

A CloudFormation stack holds at most 500 resources; with a role, policy, function, log group,
version, alias, route, integration, permission and two alarms per HTTP function, one stack for the
whole app passed that limit at about fifty functions. Each context's stack holds its functions'
roles and policies, log groups, versions and aliases, event source mappings, schedules, API routes
with their integrations and permissions, and the functions' alarms. What several contexts share
(tables, secrets, keys, the bus, queues and rules, DLQs, buckets, layers, the API and its stage,
the alarm topic) stays in the parent, which CDK passes in as parameters (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import NestedStack

from infra.api import Routes
from infra.event_sources import EventSources
from infra.functions import Functions
from infra.monitoring import FunctionAlarms
from infra.schedules import Schedules

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from aws_cdk import aws_sqs as sqs
    from constructs import Construct
    from earnloop.platform.catalog import FunctionSpec
    from fastapi.routing import APIRoute

    from infra.api import Api
    from infra.config import StageConfig
    from infra.data import Data
    from infra.events import Events
    from infra.keys import SigningKeys
    from infra.layers import Layers
    from infra.monitoring import Monitoring
    from infra.secrets import Secrets
    from infra.storage import Storage


@dataclass(frozen=True)
class Shared:
    """What the parent stack makes for every context."""

    config: StageConfig
    data: Data
    secrets: Secrets
    keys: SigningKeys
    events: Events
    storage: Storage
    layers: Layers
    api: Api
    monitoring: Monitoring
    routes: Sequence[APIRoute]
    # On-failure destinations: the stream consumers' DLQs by function name, the schedules' DLQ.
    stream_dlqs: Mapping[str, sqs.IQueue]
    schedules_dlq: sqs.IQueue | None


class ContextStack(NestedStack):
    def __init__(
        self, scope: Construct, id: str, *, context: str, specs: Sequence[FunctionSpec], shared: Shared
    ) -> None:
        config = shared.config
        super().__init__(scope, id, description=f"earnloop {config.stage}: the {context} context's functions")
        self.context = context
        self.specs = tuple(specs)
        self.functions = Functions(
            self,
            "Functions",
            config=config,
            specs=specs,
            data=shared.data,
            secrets=shared.secrets,
            keys=shared.keys,
            events=shared.events,
            storage=shared.storage,
            layers=shared.layers,
            routes=shared.routes,
        )
        functions = self.functions.functions
        EventSources(
            self,
            "EventSources",
            specs=specs,
            functions=self.functions,
            data=shared.data,
            events=shared.events,
            dlqs=shared.stream_dlqs,
        )
        self.schedules = Schedules(
            self, "Schedules", config=config, specs=specs, functions=functions, dlq=shared.schedules_dlq
        )
        self.routes = Routes(self, "Api", api=shared.api, functions=self.functions.entry_points)
        self.alarms = FunctionAlarms(
            self,
            "Alarms",
            actions=shared.monitoring.actions,
            functions=functions,
            stream_consumers={spec.name: functions[spec.name] for spec in specs if spec.kind == "stream"},
        )
