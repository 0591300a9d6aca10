# Every dependency comes from Debian bookworm's packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# libpq (Debian's libpq-dev): the PostgreSQL client library.
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)

# grpc/health/v1/health.proto, so that reflection can describe the health
# service (Debian's grpc-proto package).
find_path(AP_GRPC_PROTO_DIR grpc/health/v1/health.proto
  PATHS /usr/share/grpc-proto REQUIRED)

# jemalloc (Debian's libjemalloc-dev) replaces glibc's malloc in the
# binaries: the aggregator allocates and frees many small protobuf and
# RocksDB objects across threads, and glibc's arenas (malloc_consolidate,
# arena locks) took about a third of the fire thread's time; with jemalloc
# the dispatch benchmark went from ~7,000 to ~12,000 executions/s
# (docs/benchmarks.md). Sanitizer builds keep their own allocator.
option(AP_JEMALLOC "Link the binaries against jemalloc" ON)
add_library(ap_malloc INTERFACE)
if(AP_JEMALLOC AND AP_SANITIZE STREQUAL "" AND NOT AP_BUILD_FUZZ)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
  target_link_libraries(ap_malloc INTERFACE PkgConfig::JEMALLOC)
endif()
