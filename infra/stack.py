"""`earnloop-<stage>`: one construct per concern, all built from the library's definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnOutput, Stack

from infra.api import Api
from infra.data import Data
from infra.domains import Domains
from infra.event_sources import EventSources
from infra.events import Events
from infra.functions import Functions
from infra.keys import SigningKeys
from infra.monitoring import Monitoring
from infra.schedules import Schedules
from infra.secrets import Secrets
from infra.storage import Storage

if TYPE_CHECKING:
    from collections.abc import Sequence

    from constructs import Construct
    from earnloop.platform.catalog import FunctionSpec
    from fastapi.routing import APIRoute

    from infra.config import StageConfig


class EarnloopStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        specs: Sequence[FunctionSpec],
        routes: Sequence[APIRoute],
    ) -> None:
        super().__init__(scope, id, description=f"earnloop backend, stage {config.stage}")
        by_name = {spec.name: spec for spec in specs}
        if len(by_name) != len(specs):
            raise ValueError("two catalog functions share a name")
        self.data = Data(self, "Data", config=config)
        self.secrets = Secrets(self, "Secrets", config=config)
        self.keys = SigningKeys(self, "Keys", config=config)
        self.events = Events(self, "Events", config=config, functions=by_name)
        self.storage = Storage(self, "Storage", config=config, events=self.events)
        self.functions = Functions(
            self,
            "Functions",
            config=config,
            specs=specs,
            data=self.data,
            secrets=self.secrets,
            keys=self.keys,
            events=self.events,
            storage=self.storage,
            routes=routes,
        )
        functions = self.functions.functions
        self.event_sources = EventSources(
            self,
            "EventSources",
            config=config,
            specs=specs,
            functions=self.functions,
            data=self.data,
            events=self.events,
        )
        self.schedules = Schedules(self, "Schedules", config=config, specs=specs, functions=functions)
        self.api = Api(
            self, "Api", config=config, routes=routes, specs=by_name, functions=self.functions.entry_points
        )
        self.domains = Domains(
            self, "Domains", config=config, http_api=self.api.http_api, stage=self.api.stage
        )
        dlqs = {**self.events.dlqs, **self.event_sources.dlqs}
        if self.schedules.dlq is not None:
            dlqs["schedules"] = self.schedules.dlq
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            api=self.api,
            functions=functions,
            queues=self.events.queues,
            dlqs=dlqs,
            stream_consumers={spec.name: functions[spec.name] for spec in specs if spec.kind == "stream"},
        )
        CfnOutput(self, "ApiUrl", value=self.api.http_api.api_endpoint, description="HTTP API base URL")
        CfnOutput(
            self, "AlarmTopic", value=self.monitoring.topic.topic_arn, description="SNS topic of alarms"
        )
        for name, bucket in self.storage.buckets.items():
            CfnOutput(
                self,
                f"{bucket.node.id}Bucket",
                value=bucket.bucket_name,
                description=f"the {name} bucket (named by CloudFormation)",
            )
        for name, table in self.data.tables.items():
            CfnOutput(
                self,
                f"{table.node.id}Table",
                value=table.table_name,
                description=f"the {name} table (named by CloudFormation)",
            )
