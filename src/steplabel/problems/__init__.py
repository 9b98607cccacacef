"""Problem sources, step splitting, prompts, answer checking and the synthetic worlds."""
