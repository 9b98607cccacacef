"""The pipeline without Prefect: stages, one batch's control loop, retries, a whole run."""
