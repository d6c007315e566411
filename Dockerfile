# Homeward's container image (docs/deploy.md): built from source in one stage,
# run from a small Debian in the next, as a non-root user, with a health check
# on /readyz. Build: docker build -t homeward .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p homeward \
 && strip target/release/homeward

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/homeward --create-home homeward \
 && mkdir -p /var/lib/homeward/data \
 && chown -R homeward:homeward /var/lib/homeward
COPY --from=build /src/target/release/homeward /usr/local/bin/homeward
USER homeward
WORKDIR /var/lib/homeward
ENV HOMEWARD_BIND=0.0.0.0:8080 \
    HOMEWARD_DATA_DIR=/var/lib/homeward/data \
    HOMEWARD_LOG_FORMAT=json
# Attachments, exports and (unless HOMEWARD_DATA_KEY_FILE points elsewhere) the data key.
VOLUME ["/var/lib/homeward/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["homeward"]
CMD ["serve"]
