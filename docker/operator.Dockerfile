# The operator image: operator and apctl on debian:bookworm-slim, built
# from Debian's packages in a builder stage. Build from the repository root:
#   docker build -f docker/operator.Dockerfile -t ap-operator .
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
 && ninja -C /build operator apctl

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libabsl20220623 libcpp-httplib0.11 libcurl4 libfmt9 libgrpc++1.51 \
      libgrpc29 libprometheus-cpp-core1.0 libprotobuf32 libspdlog1.10 \
      libyaml-cpp0.7 libjemalloc2 ca-certificates tzdata curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10002 --home-dir /var/lib/ap-operator --shell /usr/sbin/nologin ap \
 && mkdir -p /var/lib/ap-operator/spool /etc/ap \
 && chown -R ap:ap /var/lib/ap-operator
COPY --from=build /build/operator/operator /usr/local/bin/operator
COPY --from=build /build/cli/apctl /usr/local/bin/apctl
COPY docker/operator.yaml /etc/ap/operator.yaml
USER ap
VOLUME /var/lib/ap-operator
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/health"]
ENTRYPOINT ["operator", "--config=/etc/ap/operator.yaml"]
