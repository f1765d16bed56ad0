# The factcheck image: this checkout's release binaries, its models and the
# seed corpus on a Debian 12 base, run as a non-root user (UID 65532). Build
# the binaries and fetch the models first (the README's setup does both):
#
#   cargo build --release --locked -p factcheck-server -p factcheck-client
#   scripts/setup-models.sh
#   podman build -t factcheck:0.1.0 .        # or: docker build -t factcheck:0.1.0 .
#   podman run --rm -p 50051:50051 -p 9090:9090 factcheck:0.1.0
#
# BASE: any Debian 12 (bookworm) image, the glibc the binaries were built
# against. scripts/image.sh builds it (making a base from Debian's packages
# where no registry is reachable) and with --smoke starts and checks it.
ARG BASE=docker.io/library/debian:bookworm-slim
FROM ${BASE}
COPY target/release/factcheck-server /usr/local/bin/factcheck-server
COPY target/release/factcheck /usr/local/bin/factcheck
# The corpus every replica builds its store from (see k8s/README.md).
COPY seeds /srv/factcheck/seeds
# Embedder, stance model and ONNX Runtime (libstdc++ comes with Debian).
COPY models /srv/factcheck/models
RUN mkdir -p /var/lib/factcheck && chown 65532:65532 /var/lib/factcheck
USER 65532:65532
ENV FACTCHECK_LISTEN=0.0.0.0:50051 \
    FACTCHECK_METRICS_LISTEN=0.0.0.0:9090 \
    FACTCHECK_DATA_DIR=/var/lib/factcheck \
    FACTCHECK_CORPUS=/srv/factcheck/seeds \
    FACTCHECK_MODELS=/srv/factcheck/models \
    FACTCHECK_LOG_FORMAT=json
EXPOSE 50051 9090
ENTRYPOINT ["/usr/local/bin/factcheck-server"]
