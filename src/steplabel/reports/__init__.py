"""Reports over a store: run summaries and agreement between label sources."""
