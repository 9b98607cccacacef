"""LLM backends behind one async interface, a batching layer, and cost accounting."""

from steplabel.engines.base import Backend, Completion, Engine, EngineUnavailable, Generation, GenerationRequest
from steplabel.engines.batching import BatchingEngine
from steplabel.engines.accounting import CostMeter

__all__ = [
    "Backend",
    "BatchingEngine",
    "Completion",
    "CostMeter",
    "Engine",
    "EngineUnavailable",
    "Generation",
    "GenerationRequest",
]
