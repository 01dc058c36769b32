"""The AWS provider: Rekognition `DetectModerationLabels` for images, the word lists for text.

Rekognition answers labels in a hierarchy (taxonomy levels 1-3, each label naming its `ParentName`;
the ancestors of a detected label come back too). Verdict, with the thresholds of the settings:

- a label at or above `rekognition_reject_confidence` whose top-level category (or itself) is one of
  `rekognition_reject_categories` (explicit content, violence, ...) -> reject;
- any other label at or above `rekognition_min_confidence` (sent as `MinConfidence`) -> review;
- no label -> pass. An image Rekognition cannot read (format, size) -> review.

Where it runs: Rekognition is not offered in Hong Kong (ap-east-1) or the China regions (Beijing,
Ningxia). A stage in Hong Kong may name a nearby region (`rekognition_region`, e.g. ap-southeast-1,
the images then cross regions); a stage in China picks the `wechat` provider (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from earnloop.moderation.verdicts import ImageVerdict, TextVerdict
from earnloop.moderation.words import WordLists
from earnloop.platform.observability import logger

# Errors that say the image cannot be judged: a person looks at it instead.
UNREADABLE = frozenset({"InvalidImageFormatException", "ImageTooLargeException", "InvalidParameterException"})


@dataclass(frozen=True)
class Thresholds:
    min_confidence: float
    reject_confidence: float
    reject_categories: frozenset[str]


def verdict_of(labels: list[dict[str, Any]], thresholds: Thresholds, provider: str = "aws") -> ImageVerdict:
    """The verdict on Rekognition's `ModerationLabels` (pure: no call)."""
    parents = {str(label.get("Name")): str(label.get("ParentName") or "") for label in labels}

    def top(name: str) -> str:
        seen: set[str] = set()
        while parents.get(name) and name not in seen:
            seen.add(name)
            name = parents[name]
        return name

    found = [
        (str(label.get("Name")), float(label.get("Confidence") or 0))
        for label in labels
        if float(label.get("Confidence") or 0) >= thresholds.min_confidence
    ]
    if not found:
        return ImageVerdict(outcome="pass", provider=provider)
    names = tuple(f"aws:{name}" for name, _ in found)
    for name, confidence in found:
        categories = {name, top(name)}
        if confidence >= thresholds.reject_confidence and categories & thresholds.reject_categories:
            return ImageVerdict(outcome="reject", labels=names, provider=provider)
    return ImageVerdict(outcome="review", labels=names, provider=provider)


class RekognitionModeration:
    name = "aws"
    wants_url = False

    def __init__(self, client: Any, words: WordLists, thresholds: Thresholds) -> None:
        self._client = client
        self._words = words
        self._thresholds = thresholds

    def check_text(self, text: str, *, openid: str | None) -> TextVerdict:
        return self._words.check(text, self.name)

    def check_image(
        self, *, image: bytes, url: str | None, openid: str | None, subject_id: str
    ) -> ImageVerdict:
        """Raises: ClientError on throttling or a service failure (the worker's retry)."""
        try:
            answer = self._client.detect_moderation_labels(
                Image={"Bytes": image}, MinConfidence=self._thresholds.min_confidence
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in UNREADABLE:
                raise
            logger.info(
                "rekognition cannot read the image: review", extra={"subject_id": subject_id, "code": code}
            )
            return ImageVerdict(outcome="review", labels=(f"aws:{code}",), provider=self.name)
        return verdict_of(list(answer.get("ModerationLabels") or []), self._thresholds, self.name)


@cache
def rekognition_client(region: str) -> Any:
    """A client per region, once per container (the endpoint may come from `AWS_ENDPOINT_URL_REKOGNITION`)."""
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=10)
    return boto3.session.Session().client("rekognition", region_name=region, config=config)
