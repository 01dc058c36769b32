"""Cold-start floor for HTTP functions: a hello-world on the same framework as ours.

FastAPI + Mangum + Powertools Logger/Metrics/Tracer + one boto3 client + one pydantic model, one
route, wrapped the way our HTTP functions are. `bench/cold_start.py` runs it as a Lambda init would.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from fastapi import FastAPI
from mangum import Mangum
from pydantic import BaseModel

logger = Logger(service="floor")
metrics = Metrics(namespace="floor", service="floor")
tracer = Tracer(service="floor")
dynamodb = boto3.client("dynamodb")


class Greeting(BaseModel):
    message: str


app = FastAPI()


@app.get("/hello", response_model=Greeting)
def hello() -> Greeting:
    return Greeting(message="hello")


asgi = Mangum(app, lifespan="off")


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return asgi(event, context)  # type: ignore[no-any-return]
