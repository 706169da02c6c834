# syntax=docker/dockerfile:1
# Hunter's one image: the API (`hunter serve`), Celery workers (`hunter worker`), beat
# (`hunter beat`) and one-off commands (`hunter db upgrade`) all run from it; see
# docker-compose.yml and docs/operations.md.  No secret is baked in: every setting comes from the
# environment when a container starts.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
COPY hunter ./hunter
RUN python -m venv /opt/hunter \
 && /opt/hunter/bin/pip install --upgrade pip \
 && /opt/hunter/bin/pip install ".[redis,enrichment,celery]"

FROM python:${PYTHON_VERSION}-slim
RUN groupadd --system --gid 10001 hunter \
 && useradd --system --uid 10001 --gid hunter --home-dir /var/lib/hunter --shell /usr/sbin/nologin hunter \
 && mkdir -p /var/lib/hunter /var/lib/hunter-enrichment \
 && chown hunter:hunter /var/lib/hunter
COPY --from=build /opt/hunter /opt/hunter
ENV PATH=/opt/hunter/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HUNTER_DATA_DIR=/var/lib/hunter \
    HUNTER_API_HOST=0.0.0.0 \
    HUNTER_API_PORT=8000 \
    HUNTER_LOG_LEVEL=INFO
USER hunter
WORKDIR /var/lib/hunter
VOLUME ["/var/lib/hunter"]
EXPOSE 8000
# Liveness of the API (the default command); docker-compose.yml gives every service its own check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["hunter"]
CMD ["serve"]
