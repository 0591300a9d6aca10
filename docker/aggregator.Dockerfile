# The aggregator image: aggregator and apctl on debian:bookworm-slim, built
# from Debian's packages in a builder stage. Build from the repository root:
#   docker build -f docker/aggregator.Dockerfile -t ap-aggregator .
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      grpc-proto libabsl-dev libspdlog-dev libfmt-dev librocksdb-dev \
      libcpp-httplib-dev libcurl4-openssl-dev libssl-dev libyaml-cpp-dev \
      prometheus-cpp-dev libjemalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY proto proto
COPY common common
COPY aggregator aggregator
COPY operator operator
COPY cli cli
COPY tools tools
RUN cmake -S . -B /build -G Ninja -DAP_BUILD_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && ninja -C /build aggregator apctl

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libabsl20220623 libcpp-httplib0.11 libfmt9 libgrpc++1.51 libgrpc29 \
      libprometheus-cpp-core1.0 libprotobuf32 librocksdb7.8 libspdlog1.10 \
      libssl3 libyaml-cpp0.7 libjemalloc2 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/ap --shell /usr/sbin/nologin ap \
 && mkdir -p /var/lib/ap /etc/ap \
 && chown ap:ap /var/lib/ap
COPY --from=build /build/aggregator/aggregator /usr/local/bin/aggregator
COPY --from=build /build/cli/apctl /usr/local/bin/apctl
COPY docker/aggregator.yaml /etc/ap/aggregator.yaml
USER ap
VOLUME /var/lib/ap
EXPOSE 2206 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["apctl", "--aggregator=127.0.0.1:2206", "--timeout=3s", "health"]
ENTRYPOINT ["aggregator", "--config=/etc/ap/aggregator.yaml"]
