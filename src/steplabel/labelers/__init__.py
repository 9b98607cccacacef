"""Labelers: each turns a rollout's steps into step labels, with evidence and cost."""

from steplabel.labelers.base import LabelOutput, LabelTask, Labeler, PerRolloutLabeler, first_error_of

__all__ = ["LabelOutput", "LabelTask", "Labeler", "PerRolloutLabeler", "first_error_of"]
