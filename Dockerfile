# syntax=docker/dockerfile:1
#
# tfc-sentinel on the official Airflow image: one image for every Airflow component (api-server,
# scheduler, dag-processor, triggerer, Celery workers) and for the Terraform Cloud emulator.
# The triggerer imports our triggers by class path and the workers run our operators, so the package
# is installed into the image, not mounted next to the DAGs.
#
#   docker build -t tfc-sentinel-airflow .
#   docker build --build-arg SENTINEL_BINARY=bin/sentinel -t tfc-sentinel-airflow .
#
# Build arguments:
#   AIRFLOW_VERSION   official image version; must equal apache-airflow in uv.lock (a test checks it)
#   PYTHON_VERSION    the image's Python (3.11, 3.12 or 3.13: the lock covers them)
#   UV_VERSION        uv used only to export the lock, in a throw-away stage
#   SENTINEL_BINARY   optional: path, inside the build context, of a Linux `sentinel` binary to install
#                     as /usr/local/bin/sentinel (the `sentinel` engine). Nothing is downloaded.
#
# Dependency versions come from uv.lock, the versions the test suite ran with: a first stage exports
# the lock's runtime dependencies (`uv export --frozen --no-dev --no-hashes`) as a pinned requirements
# file at build time, so there is no second, hand-maintained list to drift from the lock. The image
# then installs them the way the image's documentation recommends: as the airflow user, with pip,
# --no-cache-dir, and apache-airflow pinned to the image's own version so nothing up- or downgrades
# Airflow by accident.

ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11

# --- the lock's runtime dependencies, pinned --------------------------------------------------------------
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION} AS lock
ARG UV_VERSION=0.13.9
USER airflow
WORKDIR /tmp/lock
COPY pyproject.toml uv.lock ./
RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
    && python -m uv export --frozen --no-dev --no-hashes --no-emit-project --no-header --no-annotate \
        --no-cache --output-file requirements.txt

# --- the image ------------------------------------------------------------------------------------------
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}
ARG AIRFLOW_VERSION
ARG SENTINEL_BINARY=""

USER airflow

# Dependencies first: this layer is rebuilt only when uv.lock changes.
COPY --from=lock /tmp/lock/requirements.txt /opt/tfc-sentinel/requirements.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/tfc-sentinel/requirements.txt

# The project itself, built from the copied source tree; the lock constrains anything it still needs.
COPY --chown=airflow:0 pyproject.toml README.md /opt/tfc-sentinel/src/
COPY --chown=airflow:0 include/tfc_sentinel /opt/tfc-sentinel/src/include/tfc_sentinel
RUN pip install --no-cache-dir --constraint /opt/tfc-sentinel/requirements.txt \
        "apache-airflow==${AIRFLOW_VERSION}" /opt/tfc-sentinel/src \
    && tfc-sentinel --version

# The example policy sets are not part of the wheel; docker-compose.yaml points
# [tfc_sentinel] policy_set at /opt/tfc-sentinel/policies/aws-baseline.
COPY --chown=airflow:0 include/policies /opt/tfc-sentinel/policies
COPY --chown=airflow:0 dags/ /opt/airflow/dags/

# plugins/ (absent until it holds a file: git keeps no empty folders) and the optional sentinel binary,
# through a read-only bind mount of the build context, so a missing folder or an unset argument is
# not an error.
USER root
RUN --mount=type=bind,source=.,target=/tmp/build-context \
    set -eu; \
    mkdir -p /opt/airflow/plugins; \
    if [ -d /tmp/build-context/plugins ]; then \
        cp -R /tmp/build-context/plugins/. /opt/airflow/plugins/; \
    fi; \
    chown -R airflow:0 /opt/airflow/plugins; \
    if [ -n "${SENTINEL_BINARY}" ]; then \
        if [ ! -f "/tmp/build-context/${SENTINEL_BINARY}" ]; then \
            echo "SENTINEL_BINARY=${SENTINEL_BINARY} is not a file in the build context" \
                "(give a path relative to the context; check .dockerignore)" >&2; \
            exit 1; \
        fi; \
        install -m 0755 "/tmp/build-context/${SENTINEL_BINARY}" /usr/local/bin/sentinel; \
        /usr/local/bin/sentinel version; \
    fi
USER airflow
