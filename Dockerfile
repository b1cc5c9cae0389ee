# One image for web, workers and beat. GPU hosts build with --build-arg TORCH_INDEX=<CUDA wheel index>.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DJANGO_STATIC_ROOT=/app/staticfiles
WORKDIR /app

RUN useradd --create-home --uid 1000 meditrack
COPY requirements.txt .
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --extra-index-url "$TORCH_INDEX" -r requirements.txt

COPY . .
RUN DJANGO_SECRET_KEY=build-only DATABASE_URL=postgres://build/build REDIS_URL=redis://build:6379/0 \
    python manage.py collectstatic --noinput
USER meditrack
EXPOSE 8000
CMD ["daphne", "--verbosity", "0", "--bind", "0.0.0.0", "--port", "8000", "meditrack.asgi:application"]
