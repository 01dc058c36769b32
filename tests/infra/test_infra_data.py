"""Tables: what the resource definitions say, plus what AWS needs to keep the data safe."""

from __future__ import annotations

import pytest
from earnloop.contexts import tables
from earnloop.platform.resources import Index, Key

pytestmark = pytest.mark.infra


def _key_schema(pk: Key, sk: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk.name, "KeyType": "HASH"}]
    if sk:
        schema.append({"AttributeName": sk.name, "KeyType": "RANGE"})
    return schema


def _indexes(indexes: tuple[Index, ...]) -> dict[str, tuple[list[dict[str, str]], str]]:
    return {index.name: (_key_schema(index.pk, index.sk), index.projection) for index in indexes}


def _deployed(props: dict, key: str) -> dict[str, tuple[list[dict[str, str]], str]]:
    return {
        index["IndexName"]: (index["KeySchema"], index["Projection"]["ProjectionType"])
        for index in props.get(key, [])
    }


@pytest.mark.parametrize("definition", tables(), ids=lambda t: t.name)
def test_each_table_is_on_demand_with_streams_pitr_and_ttl(synth, definition) -> None:
    props = synth.props(synth.table(definition.name))

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["KeySchema"] == _key_schema(definition.pk, definition.sk)
    if definition.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": definition.ttl_attribute,
            "Enabled": True,
        }


@pytest.mark.parametrize("definition", tables(), ids=lambda t: t.name)
def test_each_table_has_exactly_the_indexes_of_its_definition(synth, definition) -> None:
    props = synth.props(synth.table(definition.name))

    assert _deployed(props, "GlobalSecondaryIndexes") == _indexes(definition.gsis)
    assert _deployed(props, "LocalSecondaryIndexes") == _indexes(definition.lsis)


def test_tables_outside_dev_are_retained_and_deletion_protected(synth) -> None:
    for definition in tables():
        logical_id = synth.table(definition.name)
        # Named by CloudFormation: a table kept after a rolled-back first deploy cannot make the
        # retry fail with "already exists"; functions read the name from EARNLOOP_TABLES.
        assert "TableName" not in synth.props(logical_id)
        assert synth.resources[logical_id]["DeletionPolicy"] == "Retain"
        assert synth.resources[logical_id]["UpdateReplacePolicy"] == "Retain"
        assert synth.props(logical_id)["DeletionProtectionEnabled"] is True
