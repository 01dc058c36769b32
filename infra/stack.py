"""`earnloop-<stage>`: one construct per concern, all built from the library's definitions.

The parent stack holds what the contexts share; each context's functions, with everything that
exists per function, are in a nested stack of their own (infra/context_stack.py). `cdk deploy
earnloop-<stage>` deploys them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct
from earnloop.contexts import CONTEXTS

from infra.api import Api
from infra.context_stack import ContextStack, Shared
from infra.data import Data
from infra.domains import Domains
from infra.event_sources import stream_dead_letter_queues
from infra.events import Events
from infra.functions import signer_role_arn
from infra.keys import SigningKeys
from infra.layers import Layers
from infra.monitoring import Monitoring
from infra.naming import construct_id
from infra.schedules import schedules_dead_letter_queue
from infra.secrets import Secrets
from infra.storage import Storage

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aws_cdk import aws_sqs as sqs
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
        self.layers = Layers(self, "Layers", config=config, specs=specs)
        self.api = Api(self, "Api", config=config, routes=routes, specs=by_name)
        self.domains = Domains(
            self, "Domains", config=config, http_api=self.api.http_api, stage=self.api.stage
        )
        # Every DLQ is the parent's, beside the queues, where the queues' alarms watch them; under
        # the construct paths they had before the split, so their logical ids did not move.
        stream_dlqs = stream_dead_letter_queues(Construct(self, "EventSources"), config=config, specs=specs)
        schedules_dlq = (
            schedules_dead_letter_queue(Construct(self, "Schedules"), "Dlq", config=config)
            if any(spec.kind == "schedule" for spec in specs)
            else None
        )
        dlqs: dict[str, sqs.IQueue] = {**self.events.dlqs, **stream_dlqs}
        if schedules_dlq is not None:
            dlqs["schedules"] = schedules_dlq
        self.monitoring = Monitoring(
            self, "Monitoring", config=config, api=self.api, queues=self.events.queues, dlqs=dlqs
        )
        shared = Shared(
            config=config,
            data=self.data,
            secrets=self.secrets,
            keys=self.keys,
            events=self.events,
            storage=self.storage,
            layers=self.layers,
            api=self.api,
            monitoring=self.monitoring,
            routes=routes,
            stream_dlqs=stream_dlqs,
            schedules_dlq=schedules_dlq,
        )
        self.contexts: dict[str, ContextStack] = {}
        for context, context_specs in by_context(specs).items():
            self.contexts[context] = ContextStack(
                self, construct_id(context), context=context, specs=context_specs, shared=shared
            )
        self._restrict_signing(config)
        self.monitoring.add_dashboard(
            functions=[spec.name for spec in specs],
            stream_consumers=[spec.name for spec in specs if spec.kind == "stream"],
            alarms=[alarm for nested in self.contexts.values() for alarm in nested.alarms.alarms.values()],
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

    def _restrict_signing(self, config: StageConfig) -> None:
        """Each signing key's policy names the roles that may sign, by their fixed names."""
        signers: dict[str, list[str]] = {name: [] for name in self.keys.versions}
        for nested in self.contexts.values():
            for key_name, functions in nested.functions.signers.items():
                signers[key_name].extend(functions)
        for key_name, functions in signers.items():
            roles = [
                iam.Role.from_role_arn(
                    self.keys,
                    f"{construct_id(function)}Signer",
                    signer_role_arn(self, config.stage, function),
                    mutable=False,
                )
                for function in functions
            ]
            self.keys.sign_only_by(key_name, roles)


def by_context(specs: Sequence[FunctionSpec]) -> dict[str, list[FunctionSpec]]:
    """The specs grouped by the context that declares them, in `CONTEXTS` order."""
    owner = {spec.name: context.name for context in CONTEXTS for spec in context.functions}
    grouped: dict[str, list[FunctionSpec]] = {context.name: [] for context in CONTEXTS}
    for spec in specs:
        if spec.name not in owner:
            raise LookupError(f"function {spec.name!r} is declared by no context of earnloop.contexts")
        grouped[owner[spec.name]].append(spec)
    return {context: found for context, found in grouped.items() if found}
