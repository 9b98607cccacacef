# The steplabel worker image: the package and its CLI, no model (the vLLM service serves it).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY configs ./configs
RUN pip install --no-cache-dir -e ".[dask,s3]"
ENV PREFECT_SERVER_ANALYTICS_ENABLED=false STEPLABEL_STATE_DIR=/app/.steplabel
CMD ["prefect", "worker", "start", "--pool", "steplabel-process", "--type", "process"]
