# kubepci, as `deploy/` and the CronJob/serve manifests run it.
#
#   docker build -t registry.example.com/kubepci:0.1.0 .
#
# Stage 1 builds the release binary; the final image holds only that binary on distroless
# (glibc, CA certificates, no shell, no package manager) and runs as the non-root user 65532.
FROM docker.io/library/rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p kubepci \
 && strip target/release/kubepci

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/kubepci /usr/local/bin/kubepci
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubepci"]
