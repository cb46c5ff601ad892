# The Playground image: one image for the web (Daphne) and worker (Celery) processes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm bubblewrap \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/run.txt ./requirements/
RUN pip install --require-hashes -r requirements/run.txt
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "playground.asgi:application"]
