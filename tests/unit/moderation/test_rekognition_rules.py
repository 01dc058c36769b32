"""Rekognition's labels to a verdict: the thresholds and the category hierarchy."""

from __future__ import annotations

from earnloop.moderation.rekognition import Thresholds, verdict_of

from tests.fakes.rekognition_server import label

THRESHOLDS = Thresholds(50.0, 80.0, frozenset({"Explicit", "Explicit Nudity", "Violence"}))


def test_no_label_passes():
    assert verdict_of([], THRESHOLDS).outcome == "pass"


def test_a_confident_label_under_an_explicit_category_rejects_through_its_ancestors():
    labels = [
        label("Explicit", 96.0),
        label("Explicit Nudity", 95.5, parent="Explicit", level=2),
        label("Exposed Male Genitalia", 95.0, parent="Explicit Nudity", level=3),
    ]
    verdict = verdict_of(labels[2:] + labels[:2], THRESHOLDS)
    assert verdict.outcome == "reject"
    assert "aws:Exposed Male Genitalia" in verdict.labels


def test_a_level_three_label_alone_is_judged_by_its_own_name_and_parent():
    verdict = verdict_of([label("Graphic Violence", 90.0, parent="Violence", level=2)], THRESHOLDS)
    assert verdict.outcome == "reject"


def test_an_explicit_label_below_the_reject_confidence_goes_to_review():
    assert verdict_of([label("Explicit", 70.0)], THRESHOLDS).outcome == "review"


def test_a_confident_label_outside_the_reject_categories_goes_to_review():
    verdict = verdict_of(
        [label("Alcohol", 99.0), label("Drinking", 98.0, parent="Alcohol", level=2)], THRESHOLDS
    )
    assert verdict.outcome == "review" and verdict.labels == ("aws:Alcohol", "aws:Drinking")


def test_labels_below_the_minimum_confidence_are_ignored():
    assert verdict_of([label("Explicit", 40.0)], THRESHOLDS).outcome == "pass"


def test_a_parent_cycle_in_a_malformed_answer_does_not_hang():
    labels = [label("A", 99.0, parent="B"), label("B", 99.0, parent="A")]
    assert verdict_of(labels, THRESHOLDS).outcome == "review"
