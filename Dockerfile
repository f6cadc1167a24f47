# Production image: gunicorn web, Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SCHOOLCONDUCT_ENV=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core tesseract-ocr tesseract-ocr-eng \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 app \
 && mkdir -p /data/media /data/private && chown -R app /data

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=app . .
# collectstatic needs settings that import: a throwaway key, never used at run time.
RUN SECRET_KEY=collectstatic-only-$(python -c "print('x'*60)") ALLOWED_HOSTS=build \
    SITE_URL=https://build python manage.py collectstatic --noinput

USER app
EXPOSE 8000
CMD ["gunicorn", "schoolconduct.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
