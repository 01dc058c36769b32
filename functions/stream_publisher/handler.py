"""Table streams -> domain events -> the bus."""

from earnloop.contexts import derivers
from earnloop.platform.publisher import stream_handler

lambda_handler = stream_handler(derivers())
