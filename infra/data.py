"""The tables, one per context, from `earnloop.contexts.tables()`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct
from earnloop.contexts import tables
from earnloop.platform.resources import Index, Key, Table

from infra.naming import construct_id

if TYPE_CHECKING:
    from infra.config import StageConfig

_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


def _projection(index: Index) -> dynamodb.ProjectionType:
    return dynamodb.ProjectionType[index.projection]


class Data(Construct):
    """On-demand tables with streams (both images), point-in-time recovery, TTL and the indexes of
    their definitions; kept (and deletion-protected) everywhere but the dev stage, named by
    CloudFormation (`earnloop-<stage>-DataPoints...`)."""

    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        self.tables: dict[str, dynamodb.Table] = {
            definition.name: self._table(definition, config) for definition in tables()
        }

    def _table(self, definition: Table, config: StageConfig) -> dynamodb.Table:
        # No fixed name: a table is kept even when the first deploy's create is rolled back (a
        # deletion-protected table could not be deleted by the rollback anyway), and a fixed name
        # would make the retry fail with "already exists". Functions learn the name CloudFormation
        # chose from `EARNLOOP_TABLES`; the stack outputs it for operators.
        table = dynamodb.Table(
            self,
            construct_id(definition.name),
            partition_key=_attribute(definition.pk),
            sort_key=_attribute(definition.sk),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=dynamodb.StreamViewType[definition.stream],
            time_to_live_attribute=definition.ttl_attribute,
            deletion_protection=config.protect_data,
            removal_policy=config.removal_policy,
            # Stated, not left to the unstated AWS-owned default: the AWS-managed key (aws/dynamodb)
            # lives in the account, so its use shows in CloudTrail, and there is no key of ours to
            # rotate or lose (docs/decisions.md, "Encryption at rest").
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
        )
        for index in definition.gsis:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.pk),
                sort_key=_attribute(index.sk) if index.sk else None,
                projection_type=_projection(index),
            )
        for index in definition.lsis:
            if index.pk != definition.pk or index.sk is None:
                raise ValueError(
                    f"LSI {definition.name}.{index.name} must share the table's pk and have an sk"
                )
            table.add_local_secondary_index(
                index_name=index.name, sort_key=_attribute(index.sk), projection_type=_projection(index)
            )
        return table
