# One image for every process of the app: `web` (gunicorn), `worker` (Huey jobs) and the release step
# (`moulin-hubspot db upgrade`); compose.yaml and any container host pick the process by its command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The app runs as an unprivileged user; only its instance folder (SQLite fallback, local queue) is writable.
RUN useradd --create-home --uid 10001 --user-group moulin

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY hubspot_app ./hubspot_app
COPY sandbox ./sandbox
COPY bench ./bench
COPY migrations ./migrations
# Editable: the CLI finds alembic.ini and migrations/ next to the package, as in a checkout.
RUN pip install -e . && mkdir -p instance && chown moulin:moulin instance

USER moulin
ENV PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=4)"

# The web process, as in the Procfile; the worker overrides the command with `moulin-hubspot worker`.
CMD ["sh", "-c", "exec gunicorn 'hubspot_app:create_app()' --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-2} --threads ${WEB_THREADS:-4} --timeout 30 --access-logfile -"]
