"""Labelers: each turns a rollout's steps into step labels, with evidence and cost."""

from steplabel.labelers.base import LabelTask, Labeler, first_error_of

__all__ = ["LabelTask", "Labeler", "first_error_of"]
