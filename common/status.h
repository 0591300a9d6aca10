#ifndef AP_COMMON_STATUS_H_
#define AP_COMMON_STATUS_H_

// absl::Status helpers, and the one place that converts between
// absl::Status and grpc::Status.
//
// Codes are chosen by what the caller should do (absl/status/status.h):
// UNAVAILABLE means retry the call, ABORTED retry higher up,
// FAILED_PRECONDITION do not retry until the state changes.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/support/status.h"

namespace ap {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace ap

#define AP_STATUS_CONCAT_INNER_(a, b) a##b
#define AP_STATUS_CONCAT_(a, b) AP_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define AP_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status ap_status_ = (expr);      \
    if (!ap_status_.ok()) return ap_status_; \
  } while (0)

// AP_ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>);
// returns its status if not OK, else assigns the value to `lhs`, which may
// be a declaration (`auto x`).
#define AP_ASSIGN_OR_RETURN(lhs, expr)                                      \
  AP_ASSIGN_OR_RETURN_IMPL_(AP_STATUS_CONCAT_(ap_statusor_, __LINE__), lhs, \
                            expr)
#define AP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)     \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // AP_COMMON_STATUS_H_
